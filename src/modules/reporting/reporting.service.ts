import type { Viewer } from "../../auth";
import type { Tx } from "../../common/mutation";
import { isoDate } from "../../common/scalars";
import type { App } from "../../context";
import { conflict } from "../../errors";
import { Prisma } from "../../generated/prisma/client";

/**
 * Closed reporting periods (closeReportingPeriod): which days of a subtree are closed, the guard
 * every dated write goes through, and the figures stored for closed periods.
 */
export class ReportingService {
  constructor(private readonly app: App) {}

  /**
   * The last closed day for the alliance at `alliancePath`: the latest `closed_through` of the
   * alliance itself and of its ancestors (closing a node closes its whole subtree); null when none.
   */
  async closedThrough(alliancePath: string, tx?: Tx): Promise<Date | null> {
    const ids = alliancePath.split("/").filter(Boolean);
    if (ids.length === 0) return null;
    const query = Prisma.sql`SELECT max(closed_through) AS through FROM alliance WHERE id = ANY(${ids}::uuid[])`;
    const rows = tx ? await tx.$queryRaw<{ through: Date | null }[]>(query) : await this.app.deps.db.rows<{ through: Date | null }>(query);
    return rows[0]?.through ?? null;
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
   * The figures of each root over `period`, in root order: the stored figures where the period
   * is closed for that root (and stored), `compute(roots)` for the others — called at most once,
   * with those roots in order. The scope checks are the caller's.
   */
  async figures<T>(_viewer: Viewer | null, roots: readonly { id: string; path: string }[], _period: { from: Date; to: Date }, compute: (roots: readonly { id: string; path: string }[]) => Promise<T[]>): Promise<T[]> {
    return compute(roots);
  }

  /**
   * After an ADMIN correction dated `on` in the subtree at `alliancePath` committed: brings the
   * stored figures of closed periods that it changes up to date.
   */
  async correctionCommitted(_alliancePath: string, _on: Date): Promise<void> {
    // Filled in with the stored figures.
  }
}
