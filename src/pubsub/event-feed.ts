import type { Logger } from "../common/logger";
import type { Database } from "../db";
import { badInput } from "../errors";
import { logBounds, readEvents, type StoredEvent } from "./event-log";

/** Events read from the log per statement. */
const BATCH = 500;

/** What a subscriber asked for: where to start, and which events concern it. */
export interface FeedSubscription {
  /** Replay every stored event after this id first (a client resuming), then go on live. */
  after?: bigint;
  accepts(event: StoredEvent): boolean;
  /**
   * Who is listening, for the topic's preparer (see `prepareWith`): it sees, for each event,
   * the audiences of the subscribers that accept it. Subscribers with no audience are not told of.
   */
  audience?: unknown;
}

interface Subscriber {
  accepts(event: StoredEvent): boolean;
  audience: unknown;
  push(event: StoredEvent): void;
  /** Ends the stream (the server is stopping). */
  end(): void;
}

/**
 * What is shared by the subscribers of one live event while it is delivered: what the topic's
 * preparer loaded for it, and what the subscribers work out from it once for all (see
 * shared-subscriptions.ts). It lives as long as the event object, so it is dropped once every
 * subscriber has taken the event; nothing in it outlives the delivery of that one event.
 */
export class EventDelivery {
  /** Whatever the preparer keeps for the event. */
  prepared: unknown = undefined;
  /** Results worked out once for several subscribers, by what makes them alike. */
  readonly shared = new Map<string, unknown>();
}

/** One event about to be delivered, with the distinct audiences of the subscribers that accept it. */
export interface PendingDelivery {
  event: StoredEvent;
  delivery: EventDelivery;
  audiences: Set<unknown>;
}

/**
 * Loads, once for all subscribers, what delivering a batch of events needs (whatever the number
 * of subscribers: a fixed number of statements per batch), and keeps it in each `delivery`.
 */
export type DeliveryPreparer = (pending: readonly PendingDelivery[]) => Promise<void>;

const deliveries = new WeakMap<StoredEvent, EventDelivery>();

/** The shared state of a live event being delivered; undefined for a replayed one (read for one subscriber). */
export function deliveryOf(event: StoredEvent): EventDelivery | undefined {
  return deliveries.get(event);
}

/**
 * One process's reader of the event log. It reads the events committed after the last one it
 * delivered, in id order, and hands each to the local subscribers that accept it: when this
 * process commits, when Redis says another instance did, and every `pollMs` in any case, so a
 * Redis outage delays events between instances, it loses none. One statement per read,
 * whatever the number of subscribers.
 */
export class EventFeed {
  private position = 0n;
  private readonly subscribers = new Set<Subscriber>();
  private reading: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private failing = false;
  private readonly preparers = new Map<string, DeliveryPreparer>();
  /** Subscribers added while a batch is being prepared: they are offered its events too. */
  private joined: Set<Subscriber> | null = null;

  constructor(
    private readonly db: Database,
    private readonly logger: Logger,
    private readonly pollMs: number,
  ) {}

  /** Starts after the newest event already stored: older ones are for clients that resume. */
  async start(): Promise<void> {
    const { newest } = await this.db.withConnection(logBounds);
    this.position = newest;
    this.started = true;
    this.timer = setInterval(() => this.poke(), this.pollMs);
    this.timer.unref();
  }

  /** The id of the last event delivered to local subscribers. */
  get lastId(): bigint {
    return this.position;
  }

  /** Sets the preparer of a topic's events (the same one again is a no-op). */
  prepareWith(topic: string, preparer: DeliveryPreparer): void {
    this.preparers.set(topic, preparer);
  }

  /** Reads new events soon; calls while a read runs lead to one more read after it. */
  poke(): void {
    if (!this.started) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = this.readAll().finally(() => {
      this.reading = null;
      if (this.again) {
        this.again = false;
        this.poke();
      }
    });
  }

  /** Waits for the read in progress (and a requested one after it). */
  async settle(): Promise<void> {
    while (this.reading) await this.reading;
  }

  private async readAll(): Promise<void> {
    try {
      for (;;) {
        const events = await this.db.withConnection((sql) => readEvents(sql, this.position, BATCH));
        if (events.length) await this.deliver(events);
        if (events.length) this.logger.debug({ from: events[0].id, to: events[events.length - 1].id, subscribers: this.subscribers.size }, "delivered events");
        if (events.length < BATCH) break;
      }
      if (this.failing) this.logger.info("the event log can be read again");
      this.failing = false;
    } catch (error) {
      if (!this.failing) this.logger.warn({ err: error }, "cannot read the event log; retrying");
      this.failing = true;
    }
  }

  /**
   * Hands each event to the subscribers that accept it, in order. The events' preparers run
   * first, once for the whole batch; subscribers that arrive meanwhile are offered the events too
   * (they may have read the log only up to `position`, which moves as the events are handed out).
   */
  private async deliver(events: readonly StoredEvent[]): Promise<void> {
    const accepted: Subscriber[][] = [];
    const pending = new Map<DeliveryPreparer, PendingDelivery[]>();
    for (const event of events) {
      const takers: Subscriber[] = [];
      const preparer = this.preparers.get(event.topic);
      let audiences: Set<unknown> | null = null;
      for (const subscriber of this.subscribers) {
        if (!subscriber.accepts(event)) continue;
        takers.push(subscriber);
        if (preparer && subscriber.audience !== undefined) (audiences ??= new Set()).add(subscriber.audience);
      }
      accepted.push(takers);
      if (preparer && audiences) {
        const delivery = new EventDelivery();
        deliveries.set(event, delivery);
        let list = pending.get(preparer);
        if (!list) pending.set(preparer, (list = []));
        list.push({ event, delivery, audiences });
      }
    }
    if (pending.size) {
      this.joined = new Set();
      try {
        await Promise.all(
          [...pending].map(([prepare, list]) =>
            prepare(list).catch((error: unknown) => {
              // Each subscriber then loads what it shows itself, as for a replayed event.
              this.logger.warn({ err: error, events: list.length }, "could not prepare the delivery of events");
              for (const { event } of list) deliveries.delete(event);
            }),
          ),
        );
      } finally {
        const joined = [...this.joined];
        this.joined = null;
        for (const [i, event] of events.entries()) {
          this.position = BigInt(event.id);
          for (const subscriber of accepted[i]) if (this.subscribers.has(subscriber)) subscriber.push(event);
          for (const subscriber of joined) if (this.subscribers.has(subscriber) && subscriber.accepts(event)) subscriber.push(event);
        }
      }
      return;
    }
    for (const [i, event] of events.entries()) {
      this.position = BigInt(event.id);
      for (const subscriber of accepted[i]) subscriber.push(event);
    }
  }

  /**
   * A subscriber's stream: with `after`, first every stored event after it (in order, as the
   * subscription accepts them), then live ones, with no gap and no duplicate. An `after`
   * below what is kept fails with BAD_USER_INPUT naming the oldest id still available.
   */
  async subscribe(subscription: FeedSubscription): Promise<AsyncIterableIterator<StoredEvent>> {
    const queue: StoredEvent[] = [];
    let wake: (() => void) | null = null;
    let done = false;
    let delivered = subscription.after ?? -1n;
    const subscriber: Subscriber = {
      accepts: (event) => subscription.accepts(event),
      audience: subscription.audience,
      push: (event) => {
        queue.push(event);
        wake?.();
      },
      end: () => finish(),
    };

    let history: StoredEvent[] = [];
    const subscribers = this.subscribers;
    if (subscription.after !== undefined) {
      const { prunedThrough } = await this.db.withConnection(logBounds);
      if (subscription.after < prunedThrough) {
        throw badInput("after", `events up to ${prunedThrough} are no longer kept; the oldest available comes after ${prunedThrough}`, {
          oldestAvailableAfter: prunedThrough.toString(),
        });
      }
    }
    // Registered before the history is read: what arrives meanwhile waits in the queue.
    this.subscribers.add(subscriber);
    this.joined?.add(subscriber);
    try {
      if (subscription.after !== undefined) {
        const upto = this.position;
        let cursor = subscription.after;
        while (cursor < upto) {
          const page = await this.db.withConnection((sql) => readEvents(sql, cursor, BATCH, upto));
          history.push(...page.filter((event) => subscription.accepts(event)));
          if (page.length < BATCH) break;
          cursor = BigInt(page[page.length - 1].id);
        }
      }
    } catch (error) {
      this.subscribers.delete(subscriber);
      throw error;
    }
    this.logger.debug({ after: subscription.after?.toString(), position: this.position.toString(), replay: history.length, queued: queue.length }, "subscribed to the event feed");

    function finish() {
      done = true;
      subscribers.delete(subscriber);
      history = [];
      queue.length = 0;
      wake?.();
    }
    const iterator: AsyncIterableIterator<StoredEvent> = {
      next: async () => {
        for (;;) {
          if (done) return { done: true, value: undefined };
          const event = history.shift() ?? queue.shift();
          if (event) {
            const id = BigInt(event.id);
            if (id <= delivered) continue;
            delivered = id;
            return { done: false, value: event };
          }
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = null;
        }
      },
      return: async () => {
        finish();
        return { done: true, value: undefined };
      },
      throw: async (error: unknown) => {
        finish();
        throw error;
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  /** Ends every stream and stops polling. */
  stop(): void {
    clearInterval(this.timer);
    this.started = false;
    for (const subscriber of [...this.subscribers]) subscriber.end();
  }
}
