import { Redis } from "ioredis";
import type { Logger } from "../common/logger";
import type { Database } from "../db";
import { EventFeed } from "./event-feed";
import { pruneEvents } from "./event-log";

export interface PubSubOptions {
  redisUrl?: string;
  /** Start of the Redis channel name, so deployments sharing a Redis do not hear each other. */
  channelPrefix?: string;
  /** How often the event log is read even without a signal, in ms. */
  pollMs?: number;
  /** Events older than this are pruned from the log, in seconds. */
  retentionSeconds?: number;
  /** Test hook: send no signal after commits (as a process killed right after committing). */
  holdSignals?: boolean;
}

/**
 * How events travel: every mutation writes its events to the event log in its own
 * transaction, then `committed()` wakes this process's feed and (with Redis) tells the
 * other instances, whose feeds read the log too. Redis carries only that signal, so an outage
 * of Redis delays events between instances by at most `pollMs`; it never loses one.
 */
export interface PubSubHandle {
  readonly kind: "memory" | "redis";
  readonly feed: EventFeed;
  /** Starts reading the event log (after the newest event already stored). */
  start(): Promise<void>;
  /** Called after a transaction that wrote events has committed. */
  committed(): void;
  /** Redis answers PING (always true in memory). */
  ready(): Promise<boolean>;
  /** Stops reading, ends every stream, closes Redis. */
  close(): Promise<void>;
}

const HOUR_MS = 3_600_000;

/** Redis clients that never queue commands while disconnected and keep trying to reconnect. */
function redisClient(url: string, logger: Logger, role: string): Redis {
  const client = new Redis(url, {
    enableOfflineQueue: false,
    autoResubscribe: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 5_000,
    retryStrategy: (attempt) => Math.min(attempt * 250, 2_000),
  });
  let down = false;
  client.on("error", (error: Error) => {
    if (!down) logger.warn({ err: error, role }, "Redis is unreachable; events reach other instances by polling until it is back");
    down = true;
  });
  client.on("ready", () => {
    if (down) logger.info({ role }, "Redis is reachable again");
    down = false;
  });
  return client;
}

/** The process's event transport over the database `db`, with Redis signals when `redisUrl` is set. */
export function createAppPubSub(db: Database, logger: Logger, options: PubSubOptions = {}): PubSubHandle {
  const feed = new EventFeed(db, logger, options.pollMs ?? 1_000);
  const retention = options.retentionSeconds ?? 7 * 86_400;
  let maintenance: NodeJS.Timeout | undefined;
  const prune = () =>
    db
      .withConnection((sql) => pruneEvents(sql, retention))
      .then((pruned) => pruned && logger.info({ pruned }, "pruned old events from the event log"))
      .catch((error: unknown) => logger.warn({ err: error }, "could not prune the event log"));
  const startCommon = async () => {
    await feed.start();
    maintenance = setInterval(prune, HOUR_MS);
    maintenance.unref();
    void prune();
  };

  if (!options.redisUrl) {
    return {
      kind: "memory",
      feed,
      start: startCommon,
      committed: () => feed.poke(),
      ready: async () => true,
      async close() {
        clearInterval(maintenance);
        feed.stop();
      },
    };
  }

  const channel = `${options.channelPrefix ?? ""}events`;
  const publisher = redisClient(options.redisUrl, logger, "publish");
  const subscriber = redisClient(options.redisUrl, logger, "subscribe");
  // Whenever this instance (re)connects, possibly after commits nobody was told of: tell everyone.
  publisher.on("ready", () => {
    if (!options.holdSignals) publisher.publish(channel, "1").catch(() => undefined);
  });
  subscriber.on("message", () => feed.poke());
  subscriber.on("ready", () => {
    subscriber.subscribe(channel).catch(() => undefined);
    // After an outage, read what was committed meanwhile at once.
    feed.poke();
  });

  return {
    kind: "redis",
    feed,
    async start() {
      await startCommon();
    },
    committed() {
      if (options.holdSignals) return;
      feed.poke();
      publisher.publish(channel, "1").catch(() => undefined);
    },
    async ready() {
      try {
        return (await Promise.race([
          publisher.ping(),
          new Promise<string>((resolve) => setTimeout(() => resolve("timeout"), 1_000).unref()),
        ])) === "PONG";
      } catch {
        return false;
      }
    },
    async close() {
      clearInterval(maintenance);
      feed.stop();
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}
