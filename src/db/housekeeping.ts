import type { Logger } from "../common/logger";
import type { Database } from "./database";

const HOUR_MS = 3_600_000;

/**
 * Deletes the idempotency keys older than `ttlSeconds`. An expired key names nothing any more
 * (runMutation takes it over as a new key), so its row only takes room; without this the table
 * grows by every keyed mutation ever made. A key being taken over at the same moment is safe:
 * the takeover sets its `created_at` to now, and the delete re-checks the row once it may lock it.
 */
async function pruneIdempotencyKeys(db: Database, ttlSeconds: number): Promise<number> {
  const [row] = await db.withConnection((sql) =>
    sql.query<{ pruned: number }>(
      `WITH gone AS (DELETE FROM idempotency_key WHERE created_at < now() - make_interval(secs => $1) RETURNING 1)
       SELECT count(*)::int AS pruned FROM gone`,
      [ttlSeconds],
    ),
  );
  return row?.pruned ?? 0;
}

export interface Housekeeping {
  /** Runs every task once now (what the hourly timer does). */
  run(): Promise<void>;
  /** No more runs; resolves once a run under way has ended. */
  stop(): Promise<void>;
}

/**
 * The database's housekeeping, once at start and then hourly on every instance (each task is
 * safe to run on several at once): expired idempotency keys are deleted. Failures are logged and
 * tried again the next hour. (The event log prunes itself, in src/pubsub.)
 */
export function startHousekeeping(db: Database, options: { idempotencyKeyTtlSeconds: number }, logger: Logger): Housekeeping {
  let running: Promise<void> = Promise.resolve();
  const run = () =>
    (running = running.then(() =>
      pruneIdempotencyKeys(db, options.idempotencyKeyTtlSeconds)
        .then((pruned) => {
          if (pruned) logger.info({ pruned }, "deleted expired idempotency keys");
        })
        .catch((error: unknown) => logger.warn({ err: error }, "could not delete expired idempotency keys")),
    ));
  const timer = setInterval(() => void run(), HOUR_MS);
  timer.unref();
  void run();
  return {
    run,
    stop: () => {
      clearInterval(timer);
      return running;
    },
  };
}
