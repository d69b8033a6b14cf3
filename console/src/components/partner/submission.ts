import { ref } from "vue";
import { messageOf } from "../../api/graphql";

/**
 * A form's sending: `busy` while `run`'s work is under way, `error` the sentence for its failure
 * (cleared when it is run again). A form may also set `error` itself for what it checks first.
 */
export function useSubmission() {
  const busy = ref(false);
  const error = ref<string | null>(null);
  async function run(work: () => Promise<void>): Promise<void> {
    busy.value = true;
    error.value = null;
    try {
      await work();
    } catch (caught) {
      error.value = messageOf(caught);
    } finally {
      busy.value = false;
    }
  }
  return { busy, error, run };
}
