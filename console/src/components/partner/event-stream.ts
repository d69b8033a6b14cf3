import { onBeforeUnmount, ref, watch } from "vue";
import { liveState, subscribe, type Subscription } from "../../api/graphql";

export interface EventStreamOptions<Event extends { id: string }> {
  /** A subscription document that takes `$after: String` and selects the event's `id`. */
  query: string;
  /** The subscription field the events arrive in. */
  field: string;
  /** Applies one event, in the order they were committed. */
  onEvent(event: Event): void;
  /**
   * Events may have been missed with no way to replay them (no event seen yet when the connection
   * dropped, or `after` older than the events the server keeps): load the lists again.
   */
  onGap(): Promise<void>;
}

/**
 * One live event stream of a page. It keeps the id of the last event seen, and the subscription's
 * variables getter hands it over as `after` whenever graphql-ws subscribes again after a dropped
 * connection, so the server replays what was missed first. `liveAgain` is true for a while once a
 * connection this page had lost is back.
 */
export function useEventStream<Event extends { id: string }>(options: EventStreamOptions<Event>) {
  let lastEventId: string | null = null;
  let subscription: Subscription | null = null;
  let hadConnection = false;
  let liveAgainTimer: ReturnType<typeof setTimeout> | undefined;
  const liveAgain = ref(false);

  function stop(): void {
    subscription?.unsubscribe();
    subscription = null;
  }

  function start(): void {
    stop();
    hadConnection = liveState.value === "live";
    subscription = subscribe<Record<string, Event>>(options.query, () => (lastEventId ? { after: lastEventId } : {}), {
      next: (data) => {
        const event = data[options.field];
        if (!event) return;
        lastEventId = event.id;
        options.onEvent(event);
      },
      error: (error) => {
        if (error.code !== "BAD_USER_INPUT" || lastEventId === null) return;
        lastEventId = null;
        start();
        void options.onGap();
      },
    });
  }

  watch(liveState, (state, previous) => {
    if (!subscription) return;
    if (state === "live" && previous === "reconnecting" && hadConnection) {
      if (lastEventId === null) void options.onGap();
      liveAgain.value = true;
      clearTimeout(liveAgainTimer);
      liveAgainTimer = setTimeout(() => (liveAgain.value = false), 10_000);
    }
    if (state === "live") hadConnection = true;
  });

  onBeforeUnmount(() => {
    stop();
    clearTimeout(liveAgainTimer);
  });

  return { start, stop, liveAgain };
}

/**
 * Live events held back while a page's lists load: `whileLoading` runs a load (several may
 * overlap), `receive` applies an event at once or, during a load, once every load has ended.
 * Each event carries its record as it is now, so applying it after the load leaves the record
 * where it belongs whatever the order.
 */
export function useHeldEvents<Event>(apply: (event: Event) => void) {
  let loads = 0;
  const waiting: Event[] = [];

  async function whileLoading(work: () => Promise<void>): Promise<void> {
    loads += 1;
    try {
      await work();
    } finally {
      loads -= 1;
      if (loads === 0) for (const event of waiting.splice(0)) apply(event);
    }
  }

  function receive(event: Event): void {
    if (loads > 0) waiting.push(event);
    else apply(event);
  }

  return { whileLoading, receive };
}
