import type { Prisma } from "../generated/prisma/client";
import type { SqlRunner } from "../db/sql-runner";
import type { PendingEvent, TopicName, Topics } from "./topics";

/** An event as the log keeps it: its id orders events as they became visible. */
export interface StoredEvent<T extends TopicName = TopicName> {
  /** Decimal digits of a bigint. */
  id: string;
  topic: T;
  payload: Topics[T];
  createdAt: Date;
}

/** The key of the transaction-scoped advisory lock under which event ids are taken. */
const EVENT_LOG_LOCK = 7_110_001;

/**
 * Writes a transaction's events to the log as its last statements. The ids come from a sequence
 * while the transaction holds an advisory lock it keeps until commit, so a transaction that
 * takes ids after another one can only do so once the other has committed: a reader that has
 * seen id N never later finds a committed event below N.
 */
export async function appendEvents(tx: Prisma.TransactionClient, events: readonly PendingEvent[]): Promise<void> {
  if (events.length === 0) return;
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${EVENT_LOG_LOCK}::bigint)`;
  await tx.$executeRaw`
    INSERT INTO event_outbox (id, topic, payload)
    SELECT nextval('event_outbox_id_seq'), e.topic, e.payload
      FROM unnest(${events.map((e) => e.topic)}::text[], ${events.map((e) => JSON.stringify(e.payload))}::jsonb[])
           WITH ORDINALITY AS e(topic, payload, n)`;
}

interface EventRow {
  id: string;
  topic: TopicName;
  payload: unknown;
  created_at: Date | string;
}

function toStored(row: EventRow): StoredEvent {
  const payload = typeof row.payload === "string" ? JSON.parse(row.payload) : row.payload;
  return { id: String(row.id), topic: row.topic, payload: payload as Topics[TopicName], createdAt: new Date(row.created_at) };
}

/** Events after `after` (and up to `upto`, when given), oldest first, at most `limit`. */
export async function readEvents(sql: SqlRunner, after: bigint, limit: number, upto?: bigint): Promise<StoredEvent[]> {
  const rows = await sql.query<EventRow>(
    // ORDER BY the bigint column, not the text alias of the same name ("10" < "9").
    `SELECT e.id::text AS id, e.topic, e.payload, e.created_at FROM event_outbox e
      WHERE e.id > $1::bigint AND ($2::bigint IS NULL OR e.id <= $2::bigint)
      ORDER BY e.id LIMIT $3`,
    [after.toString(), upto === undefined ? null : upto.toString(), limit],
  );
  return rows.map(toStored);
}

/** The newest event id (0 when the log is empty) and the id up to which events were pruned. */
export async function logBounds(sql: SqlRunner): Promise<{ newest: bigint; prunedThrough: bigint }> {
  const [row] = await sql.query<{ newest: string | null; through: string }>(
    `SELECT (SELECT max(id) FROM event_outbox)::text AS newest, through::text AS through FROM event_outbox_horizon WHERE id = 1`,
  );
  return { newest: BigInt(row?.newest ?? "0"), prunedThrough: BigInt(row?.through ?? "0") };
}

/** Deletes events older than `keepSeconds` and moves the horizon past them; returns how many went. */
export async function pruneEvents(sql: SqlRunner, keepSeconds: number): Promise<number> {
  const [row] = await sql.query<{ pruned: number }>(
    `WITH gone AS (
       DELETE FROM event_outbox WHERE created_at < now() - make_interval(secs => $1) RETURNING id),
     moved AS (
       UPDATE event_outbox_horizon SET through = GREATEST(through, (SELECT max(id) FROM gone))
        WHERE id = 1 AND EXISTS (SELECT 1 FROM gone) RETURNING 1)
     SELECT (SELECT count(*) FROM gone)::int AS pruned, (SELECT count(*) FROM moved)::int AS moved`,
    [keepSeconds],
  );
  return row?.pruned ?? 0;
}
