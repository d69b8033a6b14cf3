import type { Scope, Viewer } from "../../auth";
import { requireId } from "../../common/ids";
import { runMutation, type Tx } from "../../common/mutation";
import { isoDate, todayInChina } from "../../common/scalars";
import type { App } from "../../context";
import { badInput, conflict, forbidden } from "../../errors";
import { Prisma, type Alliance } from "../../generated/prisma/client";
import { StatsService, type AllianceStats, type StatsPeriod, type StatsRoot } from "../stats";
import { dayOf, decodeFigures, encodeFigures, UNDATED_FIGURES } from "./closed-figures";

/** Stored figures are what an ADMIN sees: every source of money, the whole subtree. */
const WHOLE_TREE: Scope = Object.freeze({ all: true });
/** The PostgreSQL advisory lock that recomputations of stored figures take, across instances. */
const STORED_FIGURES_LOCK = "7236451001";

/** The alliance ids on a materialized path ("/<city>/<county>/"), root first. */
function pathIds(alliancePath: string): string[] {
  return alliancePath.split("/").filter(Boolean);
}

/** SQL: the latest `closed_through` among the alliances on the materialized path `path` (a text expression). */
function closedThroughOfPathSql(path: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`(SELECT max(c.closed_through) FROM alliance c
    WHERE c.id = ANY(string_to_array(trim(BOTH '/' FROM ${path}), '/')::uuid[]))`;
}

/**
 * The periods whose figures are stored when a node closes through `through`: from the first day
 * of its year to `through`, and each calendar month of that year up to it (the last one ending
 * on `through` when that is not a month's last day).
 */
function periodsClosedBy(through: Date): StatsPeriod[] {
  const year = through.getUTCFullYear();
  const periods: StatsPeriod[] = [{ from: new Date(Date.UTC(year, 0, 1)), to: through }];
  // In January the year to `through` is January's period itself.
  for (let month = through.getUTCMonth() === 0 ? 1 : 0; month <= through.getUTCMonth(); month += 1) {
    const last = new Date(Date.UTC(year, month + 1, 0));
    periods.push({ from: new Date(Date.UTC(year, month, 1)), to: last.getTime() < through.getTime() ? last : through });
  }
  return periods;
}

/** Whether a period is closed for an alliance, and its stored figures for it (null when none). */
export interface StoredLookup {
  closed: boolean;
  figures: unknown;
}

interface StoredRow {
  allianceId: string;
  figures: unknown;
}

/**
 * Closed reporting periods (closeReportingPeriod): which days of a subtree are closed, the guard
 * every dated write goes through, and the figures stored for closed periods.
 *
 * Stored figures: `stats` of an alliance for a period ending on or before the closed date in
 * force there is answered from `closed_figures`, computed once (at the close for the closed
 * node's year and months, on first ask for any other alliance and period) and kept whatever
 * changes later; only an ADMIN correction dated inside the period recomputes its dated figures.
 * They are figures as an ADMIN or coordinator sees them: a PARTNER's figures count only its
 * own projects' money, so a PARTNER's are always computed live.
 */
export class ReportingService {
  constructor(private readonly app: App) {}

  /**
   * The last closed day for the alliance at `alliancePath`: the latest `closed_through` of the
   * alliance itself and of its ancestors (closing a node closes its whole subtree); null when none.
   * Inside a transaction (`tx`) the rows read are key-share locked until it ends, so that a close
   * of any of them waits for the write that read it, and a write waits for a close in progress.
   */
  async closedThrough(alliancePath: string, tx?: Tx): Promise<Date | null> {
    const ids = pathIds(alliancePath);
    if (ids.length === 0) return null;
    if (tx) {
      const rows = await tx.$queryRaw<{ through: string | null }[]>`
        SELECT max(closed_through)::text AS through
          FROM (SELECT closed_through FROM alliance WHERE id = ANY(${ids}::uuid[]) FOR KEY SHARE) locked`;
      return rows[0]?.through ? dayOf(rows[0].through) : null;
    }
    const [through] = await this.closedThroughByPaths([alliancePath]);
    return through;
  }

  /** The closed date in force for each alliance path (see `closedThrough`), in key order: one statement. */
  async closedThroughByPaths(paths: readonly string[]): Promise<(Date | null)[]> {
    if (paths.length === 0) return [];
    const rows = await this.app.deps.db.rows<{ path: string; through: string | null }>(Prisma.sql`
      SELECT p.path, ${closedThroughOfPathSql(Prisma.sql`p.path`)}::text AS through
        FROM unnest(${[...new Set(paths)]}::text[]) AS p(path)`);
    const byPath = new Map(rows.map((row) => [row.path, row.through]));
    return paths.map((path) => {
      const through = byPath.get(path);
      return through ? dayOf(through) : null;
    });
  }

  /**
   * The guard of every write dated `on` in the subtree at `alliancePath` (adding, changing or
   * voiding a record): CONFLICT naming the closed date and `field` when `on` lies in a closed
   * period and the viewer is not ADMIN. Returns the closed date when an ADMIN writes inside a
   * closed period (a correction: the caller notes it in the audit input and calls
   * `correctionCommitted` after commit), null otherwise. Pass `tx` to read inside the write's transaction.
   */
  async requireOpen(viewer: Viewer | null, alliancePath: string, on: Date, field: string, tx?: Tx): Promise<Date | null> {
    const through = await this.closedThrough(alliancePath, tx);
    if (!through || on.getTime() > through.getTime()) return null;
    if (viewer?.role === "ADMIN") return through;
    throw conflict(`${field}: reporting is closed through ${isoDate(through)} here; only ADMIN may change records dated on or before it`, {
      field,
      closedThrough: isoDate(through),
    });
  }

  /**
   * Closes reporting for an alliance's subtree through `through` (inclusive): a COORDINATOR for
   * any alliance of its subtree, ADMIN for any; FORBIDDEN for partners and outside scope.
   * BAD_USER_INPUT when `through` is in the future (China time) or before the closed date
   * already in force there (a closed period is never reopened); CONFLICT when reporting is
   * already closed through that very day. Stores the node's figures for the year to `through`
   * and each of its months once the close has committed.
   */
  async close(viewer: Viewer | null, allianceId: string, through: Date): Promise<Alliance> {
    const scope = await this.app.deps.scopes.of(viewer);
    if (!scope.all && viewer?.role !== "COORDINATOR") throw forbidden("Only coordinators and ADMIN may close reporting periods");
    const node = await this.app.deps.scopes.requireAlliance(viewer, requireId(allianceId, "allianceId"));
    const today = todayInChina();
    if (through.getTime() > today.getTime()) {
      throw badInput("through", `must not be in the future (today is ${isoDate(today)}, China time)`);
    }
    const closed = await runMutation(
      this.app,
      viewer,
      { operation: "closeReportingPeriod", input: { allianceId: node.id, through: isoDate(through) } },
      async (tx) => {
        await tx.$queryRaw`SELECT id FROM alliance WHERE id = ${node.id}::uuid FOR UPDATE`;
        const inForce = await this.closedThrough(node.path, tx);
        if (inForce && through.getTime() < inForce.getTime()) {
          throw badInput("through", `reporting here is already closed through ${isoDate(inForce)}; a closed period cannot be shortened`, {
            closedThrough: isoDate(inForce),
          });
        }
        if (inForce && through.getTime() === inForce.getTime()) {
          throw conflict(`through: reporting here is already closed through ${isoDate(inForce)}`, {
            field: "through",
            closedThrough: isoDate(inForce),
          });
        }
        await tx.reportingClose.create({ data: { allianceId: node.id, through, closedById: viewer?.accountId ?? null } });
        return tx.alliance.update({ where: { id: node.id }, data: { closedThrough: through } });
      },
    );
    try {
      await this.storeFigures(node, periodsClosedBy(through));
    } catch (err) {
      // The close stands: figures not stored now are stored on first ask.
      this.app.deps.logger.error({ err, allianceId: node.id, requestId: viewer?.requestId }, "storing the figures of a closed period failed");
    }
    return closed;
  }

  /** Computes and stores `root`'s figures for each period, keeping any stored already. */
  private async storeFigures(root: StatsRoot, periods: readonly StatsPeriod[]): Promise<void> {
    const stats = this.app.get(StatsService);
    for (const period of periods) {
      const [figures] = await stats.computeFigures(null, WHOLE_TREE, [root], period);
      await this.insertFigures(period, [root.id], [await encodeFigures(figures)]);
    }
  }

  /** Inserts figures of one period unless stored already; the alliance ids actually inserted. */
  private async insertFigures(period: StatsPeriod, allianceIds: readonly string[], figures: readonly unknown[]): Promise<Set<string>> {
    const rows = await this.app.deps.db.rows<{ alliance_id: string }>(Prisma.sql`
      INSERT INTO closed_figures (alliance_id, period_from, period_to, figures)
      SELECT f.alliance_id, ${isoDate(period.from)}::date, ${isoDate(period.to)}::date, f.figures::jsonb
        FROM unnest(${[...allianceIds]}::uuid[], ${figures.map((f) => JSON.stringify(f))}::text[]) AS f(alliance_id, figures)
      ON CONFLICT (alliance_id, period_from, period_to) DO NOTHING
      RETURNING alliance_id::text AS alliance_id`);
    return new Set(rows.map((row) => row.alliance_id));
  }

  /**
   * The figures of each root over `period`, in root order: the stored figures where the period
   * is closed for that root (computed and stored first when missing), `compute(roots)` for the
   * others — called at most once, with the roots to compute in order. One statement looks up
   * every root's closed date and stored figures; storing the missing ones costs one more, and
   * one read-back only when a concurrent first ask stored them first. A PARTNER's figures are
   * its own (only its projects' money) and always computed. The scope checks are the caller's.
   * `known`: the lookup already made for every root (see `allianceForFigures`), saving its statement.
   */
  async figures(
    viewer: Viewer | null,
    roots: readonly { id: string; path: string }[],
    period: { from: Date; to: Date },
    compute: (roots: readonly { id: string; path: string }[]) => Promise<AllianceStats[]>,
    known?: ReadonlyMap<string, StoredLookup>,
  ): Promise<AllianceStats[]> {
    if (roots.length === 0 || viewer?.role === "PARTNER") return compute(roots);
    const to = isoDate(period.to);
    const found =
      known && roots.every((root) => known.has(root.id))
        ? roots.map((root) => ({ id: root.id, ...known.get(root.id)! }))
        : await this.app.deps.db.rows<{ id: string } & StoredLookup>(Prisma.sql`
      SELECT r.id::text AS id, COALESCE(${closedThroughOfPathSql(Prisma.sql`r.path`)} >= ${to}::date, false) AS closed, f.figures
        FROM unnest(${roots.map((r) => r.id)}::uuid[], ${roots.map((r) => r.path)}::text[]) AS r(id, path)
        LEFT JOIN closed_figures f ON f.alliance_id = r.id AND f.period_from = ${isoDate(period.from)}::date AND f.period_to = ${to}::date`);
    const byId = new Map(found.map((row) => [row.id, row]));
    const answers = new Map<string, AllianceStats>();
    for (const row of found) if (row.closed && row.figures != null) answers.set(row.id, decodeFigures(row.figures));

    const missing = roots.filter((root) => !answers.has(root.id));
    if (missing.length === 0) return roots.map((root) => answers.get(root.id)!);
    const computed = await compute(missing);
    const toStore = missing.map((root, i) => ({ root, stats: computed[i] })).filter(({ root }) => byId.get(root.id)?.closed);
    for (const [i, root] of missing.entries()) answers.set(root.id, computed[i]);

    if (toStore.length > 0) {
      const encoded = await Promise.all(toStore.map(({ stats }) => encodeFigures(stats)));
      const inserted = await this.insertFigures(period, toStore.map(({ root }) => root.id), encoded);
      const storedBefore = toStore.map(({ root }) => root.id).filter((id) => !inserted.has(id));
      for (const row of await this.storedFigures(storedBefore, period)) answers.set(row.allianceId, decodeFigures(row.figures));
    }
    return roots.map((root) => answers.get(root.id)!);
  }

  /**
   * One alliance by id (null when there is none) with what `figures` needs to know of it for
   * `period` (closed there? stored figures?): `stats` of one alliance reads it in the statement
   * that finds the alliance.
   */
  async allianceForFigures(id: string, period: StatsPeriod): Promise<(StatsRoot & StoredLookup) | null> {
    const to = isoDate(period.to);
    const [row] = await this.app.deps.db.rows<StatsRoot & StoredLookup>(Prisma.sql`
      SELECT a.id::text AS id, a.path, a.level::text AS level,
             COALESCE(${closedThroughOfPathSql(Prisma.sql`a.path`)} >= ${to}::date, false) AS closed, f.figures
        FROM alliance a
        LEFT JOIN closed_figures f ON f.alliance_id = a.id AND f.period_from = ${isoDate(period.from)}::date AND f.period_to = ${to}::date
       WHERE a.id = ${id}::uuid`);
    return row ?? null;
  }

  /** The stored figures of the alliances `allianceIds` for `period`. */
  private async storedFigures(allianceIds: readonly string[], period: StatsPeriod): Promise<StoredRow[]> {
    if (allianceIds.length === 0) return [];
    return this.app.deps.db.rows<StoredRow>(Prisma.sql`
      SELECT alliance_id::text AS "allianceId", figures FROM closed_figures
       WHERE alliance_id = ANY(${[...allianceIds]}::uuid[])
         AND period_from = ${isoDate(period.from)}::date AND period_to = ${isoDate(period.to)}::date`);
  }

  /**
   * After an ADMIN correction dated `on` in the subtree at `alliancePath` committed: recomputes
   * the stored figures of the alliance and its ancestors for every stored period ending on or
   * after `on` (what the figures as of the period's end may count). The dated figures are
   * replaced; those without a date (alliances by level, operating rate, open requests) stay as
   * stored. One computation per distinct period, one statement to update them all. The
   * correction has committed already: a failure here is logged, never thrown at its caller.
   *
   * Recomputations run one at a time (oneAtATime): each reads the records only once the one
   * before it has written, so whichever writes last read every correction committed before it
   * began. Two at once could otherwise leave the figures of the one that read less.
   */
  async correctionCommitted(alliancePath: string, on: Date): Promise<void> {
    const run = this.recomputing.then(() => this.oneAtATime(() => this.recomputeStoredFigures(alliancePath, on)));
    this.recomputing = run.catch(() => undefined);
    try {
      await run;
    } catch (err) {
      this.app.deps.logger.error({ err, alliancePath, on: isoDate(on) }, "updating the stored figures after a correction failed");
    }
  }

  /** The recomputation under way in this process, if any (they run one after another). */
  private recomputing: Promise<void> = Promise.resolve();

  /**
   * Runs `work` holding the stored figures' advisory lock on PostgreSQL, which several instances
   * share (a transaction-scoped lock: a failure or a lost connection releases it; after 60 s of
   * waiting it gives up, and the error is logged). Embedded, one process holds the data folder:
   * the in-process order of correctionCommitted is enough.
   */
  private async oneAtATime(work: () => Promise<void>): Promise<void> {
    if (!this.app.deps.config.databaseUrl) return work();
    await this.app.deps.db.withConnection(async (sql) => {
      await sql.query("BEGIN");
      try {
        await sql.query("SET LOCAL lock_timeout = '60s'");
        await sql.query("SELECT pg_advisory_xact_lock($1::bigint)", [STORED_FIGURES_LOCK]);
        await work();
      } finally {
        // Nothing was written on this connection: ending its transaction releases the lock.
        await sql.query("ROLLBACK");
      }
    });
  }

  private async recomputeStoredFigures(alliancePath: string, on: Date): Promise<void> {
    const ids = pathIds(alliancePath);
    if (ids.length === 0) return;
    const stored = await this.app.deps.db.rows<{ id: string; path: string; level: string; from: string; to: string; figures: unknown }>(Prisma.sql`
      SELECT f.alliance_id::text AS id, a.path, a.level::text AS level, f.period_from::text AS "from",
             f.period_to::text AS "to", f.figures
        FROM closed_figures f JOIN alliance a ON a.id = f.alliance_id
       WHERE f.alliance_id = ANY(${ids}::uuid[]) AND f.period_to >= ${isoDate(on)}::date`);
    if (stored.length === 0) return;

    const byPeriod = new Map<string, typeof stored>();
    for (const row of stored) {
      const key = `${row.from}/${row.to}`;
      byPeriod.set(key, [...(byPeriod.get(key) ?? []), row]);
    }
    const stats = this.app.get(StatsService);
    const updates: { id: string; from: string; to: string; figures: string }[] = [];
    for (const rows of byPeriod.values()) {
      const period = { from: dayOf(rows[0].from), to: dayOf(rows[0].to) };
      const recomputed = await stats.computeFigures(null, WHOLE_TREE, rows, period);
      for (const [i, row] of rows.entries()) {
        const previous = (typeof row.figures === "string" ? JSON.parse(row.figures) : row.figures) as Record<string, unknown>;
        const figures = await encodeFigures(recomputed[i]);
        for (const field of UNDATED_FIGURES) if (field in previous) figures[field] = previous[field];
        updates.push({ id: row.id, from: row.from, to: row.to, figures: JSON.stringify(figures) });
      }
    }
    await this.app.deps.db.rows(Prisma.sql`
      UPDATE closed_figures f SET figures = u.figures::jsonb, updated_at = now()
        FROM unnest(${updates.map((u) => u.id)}::uuid[], ${updates.map((u) => u.from)}::date[],
                    ${updates.map((u) => u.to)}::date[], ${updates.map((u) => u.figures)}::text[]) AS u(id, period_from, period_to, figures)
       WHERE f.alliance_id = u.id AND f.period_from = u.period_from AND f.period_to = u.period_to`);
  }
}
