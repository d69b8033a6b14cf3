import type { AccessGround } from "../../common/enums";
import { isoDate, todayInChina } from "../../common/scalars";
import type { App, Context } from "../../context";
import { Prisma } from "../../generated/prisma/client";

/** One unmasked read (or several, aggregated) of a household's names or ID number by one account on one day. */
export interface AccessRow {
  accountId: string;
  householdId: string;
  /** The China-time day, "2025-06-30". */
  day: string;
  ground: AccessGround;
  firstAt: Date;
  lastAt: Date;
  count: number;
}

/** How long the rows of one subscription event wait for those of its other subscribers. */
const EVENT_BATCH_QUIET_MS = 50;
/** The longest a row of a subscription event waits before it is written. */
const EVENT_BATCH_MAX_WAIT_MS = 1_000;

const reads = new WeakMap<Context, Map<string, AccessGround>>();
const finishers = new WeakMap<Context, () => Promise<void>>();
const eventContexts = new WeakSet<Context>();
const batches = new WeakMap<App, EventAccessBatch>();

/**
 * Marks a WebSocket subscription's context: its reads are written with those of every other
 * subscriber of the same event, in one statement, rather than one statement per subscriber.
 */
export function markSubscriptionContext(ctx: Context): void {
  eventContexts.add(ctx);
}

/**
 * Notes that the viewer read a household's names or ID number unmasked, on `ground`. A request
 * (or one subscription event) counts once per household however many fields it read; the
 * rows are written when its result is complete (see Context.finishers).
 */
export function recordUnmaskedRead(ctx: Context, householdId: string, ground: AccessGround): void {
  if (!ctx.viewer) return;
  let pending = reads.get(ctx);
  if (!pending) {
    pending = new Map();
    reads.set(ctx, pending);
    const noted = pending;
    const finish = async () => {
      reads.delete(ctx);
      finishers.delete(ctx);
      const rows = accessRows(ctx.viewer?.accountId ?? "", noted);
      if (eventContexts.has(ctx)) eventBatch(ctx.app).add(rows);
      else await writeAccessRows(ctx.app, rows);
    };
    finishers.set(ctx, finish);
    ctx.finishers.add(finish);
  }
  pending.set(householdId, ground);
}

/**
 * Takes the unmasked reads noted in `ctx` so far (household → ground) away from it, so that its
 * finishers will not record them: a subscription event worked out once for several subscribers
 * who see the same thing records them for each of them (recordEventReads).
 */
export function takeUnmaskedReads(ctx: Context): ReadonlyMap<string, AccessGround> {
  const noted = reads.get(ctx);
  const finish = finishers.get(ctx);
  if (finish) ctx.finishers.delete(finish);
  reads.delete(ctx);
  finishers.delete(ctx);
  return noted ?? new Map();
}

/** Records, with the other subscribers' of the same event, the unmasked reads of one event delivered to `accountId`. */
export function recordEventReads(app: App, accountId: string, noted: ReadonlyMap<string, AccessGround>): void {
  if (noted.size) eventBatch(app).add(accessRows(accountId, noted));
}

let daySecond = NaN;
let dayOfSecond = "";

/** The China-time day of `now`, worked out once a second (a day starts on a whole second). */
function chinaDay(now: Date): string {
  const second = Math.floor(now.getTime() / 1000);
  if (second !== daySecond) {
    daySecond = second;
    dayOfSecond = isoDate(todayInChina(now));
  }
  return dayOfSecond;
}

function accessRows(accountId: string, noted: ReadonlyMap<string, AccessGround>): AccessRow[] {
  const now = new Date();
  const day = chinaDay(now);
  return [...noted].map(([householdId, ground]) => ({ accountId, householdId, day, ground, firstAt: now, lastAt: now, count: 1 }));
}

/** Rows with the same account, household and day as one: earliest first, latest last, counts added, the latest ground. */
export function aggregateAccessRows(rows: readonly AccessRow[]): AccessRow[] {
  const byKey = new Map<string, AccessRow>();
  for (const row of rows) {
    const key = `${row.accountId}|${row.householdId}|${row.day}`;
    const seen = byKey.get(key);
    if (!seen) {
      byKey.set(key, { ...row });
      continue;
    }
    if (row.firstAt < seen.firstAt) seen.firstAt = row.firstAt;
    if (row.lastAt >= seen.lastAt) {
      seen.lastAt = row.lastAt;
      seen.ground = row.ground;
    }
    seen.count += row.count;
  }
  return [...byKey.values()];
}

/**
 * Adds rows to the access record in one statement (INSERT … SELECT FROM unnest … ON CONFLICT
 * DO UPDATE), whatever their number: a row per account, household and day, whose count grows
 * and whose last_at moves on with each read.
 */
export async function writeAccessRows(app: App, rows: readonly AccessRow[]): Promise<void> {
  const merged = aggregateAccessRows(rows);
  if (merged.length === 0) return;
  await app.deps.db.rows(Prisma.sql`
    INSERT INTO personal_data_access (account_id, household_id, day, ground, first_at, last_at, count)
    SELECT r.account_id, r.household_id, r.day, r.ground::"AccessGround", r.first_at, r.last_at, r.count
      FROM unnest(
        ${merged.map((row) => row.accountId)}::uuid[],
        ${merged.map((row) => row.householdId)}::uuid[],
        ${merged.map((row) => row.day)}::date[],
        ${merged.map((row) => row.ground)}::text[],
        ${merged.map((row) => row.firstAt.toISOString())}::timestamptz[],
        ${merged.map((row) => row.lastAt.toISOString())}::timestamptz[],
        ${merged.map((row) => row.count)}::int[]
      ) AS r(account_id, household_id, day, ground, first_at, last_at, count)
    ON CONFLICT (account_id, household_id, day) DO UPDATE
      SET first_at = LEAST(personal_data_access.first_at, EXCLUDED.first_at),
          last_at = GREATEST(personal_data_access.last_at, EXCLUDED.last_at),
          ground = EXCLUDED.ground,
          count = personal_data_access.count + EXCLUDED.count`);
}

/**
 * The process-wide buffer of subscription events' reads: every subscriber of an event adds
 * its rows as its result is sent, and the buffer is written in one statement once no row has
 * come for EVENT_BATCH_QUIET_MS (or EVENT_BATCH_MAX_WAIT_MS after the first), so the number
 * of statements per event does not grow with the number of subscribers.
 */
class EventAccessBatch {
  private rows: AccessRow[] = [];
  private timer: NodeJS.Timeout | undefined;
  private firstAddedAt = 0;
  private lastAddedAt = 0;
  private writing: Promise<void> = Promise.resolve();
  /** Statements written so far (tests and metrics). */
  statements = 0;

  constructor(private readonly app: App) {}

  add(rows: AccessRow[]): void {
    if (rows.length === 0) return;
    const now = Date.now();
    if (this.rows.length === 0) this.firstAddedAt = now;
    this.lastAddedAt = now;
    for (const row of rows) this.rows.push(row);
    // One timer, moved on when it fires, not one per add: an event may bring thousands of adds.
    if (!this.timer) this.arm(EVENT_BATCH_QUIET_MS);
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => {
      const now = Date.now();
      const quietFor = now - this.lastAddedAt;
      const waited = now - this.firstAddedAt;
      if (this.rows.length && quietFor < EVENT_BATCH_QUIET_MS && waited < EVENT_BATCH_MAX_WAIT_MS) {
        this.arm(Math.min(EVENT_BATCH_QUIET_MS - quietFor, EVENT_BATCH_MAX_WAIT_MS - waited));
      } else {
        void this.flush();
      }
    }, ms);
    this.timer.unref();
  }

  /** Writes what is buffered (one statement) and waits for any write under way. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const rows = this.rows;
    this.rows = [];
    if (rows.length) {
      this.statements += 1;
      this.writing = this.writing.then(() =>
        writeAccessRows(this.app, rows).catch((err: unknown) => {
          this.app.deps.logger.error({ err, rows: rows.length }, "could not write the personal-data access record");
        }),
      );
    }
    return this.writing;
  }
}

function eventBatch(app: App): EventAccessBatch {
  let batch = batches.get(app);
  if (!batch) {
    batch = new EventAccessBatch(app);
    batches.set(app, batch);
  }
  return batch;
}

/** Writes the subscription reads still buffered; closeApp calls it before closing the database. */
export function flushAccessRecords(app: App): Promise<void> {
  return batches.get(app)?.flush() ?? Promise.resolve();
}

/** How many statements the subscription-event buffer has written in this process. */
export function eventAccessStatements(app: App): number {
  return batches.get(app)?.statements ?? 0;
}
