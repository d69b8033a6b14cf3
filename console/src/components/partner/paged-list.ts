import { reactive, ref, type Ref } from "vue";
import { messageOf } from "../../api/graphql";

/** One page of a connection as the partner pages' list queries select it. */
export interface Connection<Item> {
  /** Absent when the query does not ask for it: the first page's length stands in. */
  totalCount?: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  nodes: Item[];
}

/** The paging variables of one request: the first page has no `after`. */
export type PageVariables = { first: number } | { first: number; after: string | null };

export interface PagedListOptions<Item> {
  /** How many items a request asks for. */
  pageSize: number;
  /** Requests one page; the paging variables go into the query's variables as they are. */
  fetchPage(page: PageVariables): Promise<Connection<Item>>;
  /** Says why "load more" failed; the items loaded so far stay as they are. */
  onLoadMoreError(message: string): void;
  /** Runs each request inside it, for instance to hold live events back until its answer is applied. */
  whileLoading?(work: () => Promise<void>): Promise<void>;
  /** The list's order for items `place` inserts: negative when `a` comes first. Without it they go last. */
  order?(a: Item, b: Item): number;
}


/**
 * A list loaded a page at a time: `load` (again) from the first page, `loadMore` appends the next
 * one without the items already shown. An answer to a request made before the latest `load`
 * began is dropped. `place` and `remove` apply live updates to the pages loaded so far.
 */
export function usePagedList<Item extends { id: string }>(options: PagedListOptions<Item>) {
  const items = ref<Item[]>([]) as Ref<Item[]>;
  const total = ref(0);
  const hasMore = ref(false);
  const state = reactive({ loading: true, error: null as string | null });
  const loadingMore = ref(false);
  let cursor: string | null = null;
  let generation = 0;
  const order = options.order ?? (() => 0);
  const whileLoading = options.whileLoading ?? ((work: () => Promise<void>) => work());

  async function load(): Promise<void> {
    const current = ++generation;
    state.loading = true;
    state.error = null;
    await whileLoading(async () => {
      try {
        const page = await options.fetchPage({ first: options.pageSize });
        if (current !== generation) return;
        items.value = page.nodes;
        total.value = page.totalCount ?? page.nodes.length;
        cursor = page.pageInfo.endCursor;
        hasMore.value = page.pageInfo.hasNextPage;
      } catch (caught) {
        if (current === generation) state.error = messageOf(caught);
      } finally {
        if (current === generation) state.loading = false;
      }
    });
  }

  async function loadMore(): Promise<void> {
    const current = generation;
    loadingMore.value = true;
    await whileLoading(async () => {
      try {
        const page = await options.fetchPage({ first: options.pageSize, after: cursor });
        if (current !== generation) return;
        const known = new Set(items.value.map((item) => item.id));
        items.value = [...items.value, ...page.nodes.filter((item) => !known.has(item.id))];
        cursor = page.pageInfo.endCursor;
        hasMore.value = page.pageInfo.hasNextPage;
      } catch (caught) {
        options.onLoadMoreError(messageOf(caught));
      } finally {
        loadingMore.value = false;
      }
    });
  }

  /** Takes an item out of the list and the total, if it is shown. */
  function remove(id: string): void {
    const index = items.value.findIndex((item) => item.id === id);
    if (index < 0) return;
    items.value.splice(index, 1);
    total.value = Math.max(0, total.value - 1);
  }

  /**
   * Shows an item as it is now: replaced where it is, dropped when it no longer `belongs`, or, when
   * it is new, counted and inserted in order (unless it sorts beyond the pages loaded so far: it
   * shows up when they are). True when it was inserted.
   */
  function place(item: Item, belongs: boolean): boolean {
    const index = items.value.findIndex((known) => known.id === item.id);
    if (!belongs) {
      if (index >= 0) remove(item.id);
      return false;
    }
    if (index >= 0) {
      items.value[index] = item;
      return false;
    }
    total.value += 1;
    const last = items.value[items.value.length - 1];
    if (hasMore.value && last && order(item, last) > 0) return false;
    const at = items.value.findIndex((known) => order(item, known) < 0);
    items.value.splice(at < 0 ? items.value.length : at, 0, item);
    return true;
  }

  return { items, total, hasMore, state, loadingMore, load, loadMore, place, remove };
}
