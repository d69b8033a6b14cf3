import { allianceScopeSql, type Viewer } from "../../auth";
import { isId, requireId } from "../../common/ids";
import { runMutation, type Tx } from "../../common/mutation";
import { decodeCursor, pageSize, toConnection, type Connection, type PageArgs, lazyCount } from "../../common/pagination";
import { isoDate, todayInChina } from "../../common/scalars";
import type { App } from "../../context";
import { badInput, conflict, forbidden, notFound } from "../../errors";
import { Prisma, type HouseholdAssignment } from "../../generated/prisma/client";
import { HouseholdService } from "../household";
import type { AssignHouseholdInput } from "./assignment.inputs";

export interface AssignmentFilter {
  organizationId?: string | null;
  active?: boolean | null;
}

/** The columns of a HouseholdAssignment record, from `household_assignment ha`. */
const COLUMNS = Prisma.sql`ha.id::text AS id, ha.household_id::text AS "householdId", ha.organization_id::text AS "organizationId",
  ha.from_date AS "fromDate", ha.to_date AS "toDate", ha.assigned_by_id::text AS "assignedById",
  ha.ended_by_id::text AS "endedById", ha.created_at AS "createdAt"`;

/** True when `on` lies within the assignment's days (both ends inclusive; no end: open). */
export function assignmentCovers(assignment: Pick<HouseholdAssignment, "fromDate" | "toDate">, on: Date): boolean {
  return assignment.fromDate.getTime() <= on.getTime() && (!assignment.toDate || assignment.toDate.getTime() >= on.getTime());
}

/**
 * Care assignments (结对帮扶): a coordinator pairs a household of its subtree with a partner
 * organization of the household's lineage for a span of days; the assignment decides where
 * the partner may record visits and whose names and ID numbers it sees.
 */
export class AssignmentService {
  constructor(private readonly app: App) {}

  private get prisma() {
    return this.app.prisma;
  }

  /**
   * Assigns a household to an organization (ADMIN, or a COORDINATOR whose subtree holds the
   * household; a PARTNER is FORBIDDEN). The organization must be a member of the household's
   * alliance or of an ancestor; `to` must not be before `from` (default today). An overlap
   * with another assignment of the same household to the same organization is a CONFLICT,
   * checked with the household row locked, so concurrent calls cannot both pass.
   */
  async assign(viewer: Viewer | null, input: AssignHouseholdInput): Promise<HouseholdAssignment> {
    await this.app.deps.scopes.of(viewer);
    if (viewer?.role === "PARTNER") throw forbidden("Only a coordinator assigns households to organizations");
    const { household, alliancePath } = await this.app.get(HouseholdService).requireInScope(viewer, input.householdId);
    const organizationId = requireId(input.organizationId, "organizationId");
    const from = input.from ?? todayInChina();
    const to = input.to ?? null;
    if (to && to.getTime() < from.getTime()) throw badInput("to", `must not be before from (${isoDate(from)})`);
    const lineage = alliancePath.split("/").filter(isId);
    const [membership] = await this.prisma.$queryRaw<{ organization: boolean; member: boolean }[]>`
      SELECT EXISTS (SELECT 1 FROM organization o WHERE o.id = ${organizationId}::uuid) AS organization,
             EXISTS (SELECT 1 FROM alliance_membership m
                      WHERE m.organization_id = ${organizationId}::uuid AND m.alliance_id = ANY(${lineage}::uuid[])) AS member`;
    if (!membership?.organization) throw badInput("organizationId", "no organization has this id");
    if (!membership.member) {
      throw badInput("organizationId", "the organization is not a member of the household's alliance or of an alliance above it");
    }
    return runMutation(
      this.app,
      viewer,
      {
        operation: "assignHousehold",
        input,
        idempotencyKey: input.idempotencyKey,
        findExisting: (tx, id) => tx.householdAssignment.findUnique({ where: { id } }),
      },
      async (tx) => {
        await lockHousehold(tx, household.id);
        const [overlap] = await tx.$queryRaw<{ n: number }[]>`
          SELECT count(*)::int AS n FROM household_assignment ha
           WHERE ha.household_id = ${household.id}::uuid AND ha.organization_id = ${organizationId}::uuid
             AND (${to ? isoDate(to) : null}::date IS NULL OR ha.from_date <= ${to ? isoDate(to) : null}::date)
             AND (ha.to_date IS NULL OR ha.to_date >= ${isoDate(from)}::date)`;
        if (Number(overlap?.n ?? 0) > 0) {
          throw conflict("from: the organization holds an assignment for this household on some of these days already", {
            field: "from",
          });
        }
        return tx.householdAssignment.create({
          data: {
            householdId: household.id,
            organizationId,
            fromDate: from,
            toDate: to,
            assignedById: viewer?.accountId ?? "",
          },
        });
      },
    );
  }

  /**
   * Ends an assignment on `on` (default today, China time), the last day it covers: same
   * roles and scope as assign. `on` must not be before its first day (BAD_USER_INPUT); an
   * assignment that already ended before `on` is a CONFLICT.
   */
  async end(viewer: Viewer | null, id: string, on: Date | null | undefined): Promise<HouseholdAssignment> {
    await this.app.deps.scopes.of(viewer);
    if (viewer?.role === "PARTNER") throw forbidden("Only a coordinator ends an assignment");
    const assignment = await this.prisma.householdAssignment.findUnique({ where: { id: requireId(id, "id") } });
    if (!assignment) throw notFound("HouseholdAssignment");
    await this.app.get(HouseholdService).requireInScope(viewer, assignment.householdId);
    const last = on ?? todayInChina();
    if (last.getTime() < assignment.fromDate.getTime()) {
      throw badInput("on", `must not be before the assignment's first day (${isoDate(assignment.fromDate)})`);
    }
    return runMutation(this.app, viewer, { operation: "endHouseholdAssignment", input: { id, on: on ?? null } }, async (tx) => {
      await lockHousehold(tx, assignment.householdId);
      const current = await tx.householdAssignment.findUniqueOrThrow({ where: { id: assignment.id } });
      if (current.toDate && current.toDate.getTime() < last.getTime()) {
        throw conflict(`on: the assignment ended on ${isoDate(current.toDate)} already`, { field: "on" });
      }
      return tx.householdAssignment.update({
        where: { id: assignment.id },
        data: { toDate: last, endedById: viewer?.accountId ?? null },
      });
    });
  }

  /**
   * Inside the transaction of an organization leaving the alliance at `leftPath` on `on` (its
   * first day outside): its assignments for households of that subtree that no remaining
   * membership (`remainingPaths`) covers end on the day before `on`; those that would only
   * start on or after `on` are removed. Returns how many changed.
   */
  async endOnLeaving(
    tx: Tx,
    organizationId: string,
    leftPath: string,
    remainingPaths: readonly string[],
    on: Date,
    endedById: string | null,
  ): Promise<number> {
    const stillCovered = remainingPaths.length
      ? Prisma.sql`AND NOT (${Prisma.join(remainingPaths.map((root) => Prisma.sql`a.path LIKE ${`${root}%`}`), " OR ")})`
      : Prisma.empty;
    const lost = Prisma.sql`ha.organization_id = ${organizationId}::uuid
      AND ha.household_id IN (SELECT h.id FROM household h JOIN alliance a ON a.id = h.alliance_id
                               WHERE a.path LIKE ${`${leftPath}%`} ${stillCovered})`;
    const day = isoDate(on);
    const removed = await tx.$executeRaw`DELETE FROM household_assignment ha WHERE ${lost} AND ha.from_date >= ${day}::date`;
    const ended = await tx.$executeRaw`
      UPDATE household_assignment ha SET to_date = ${day}::date - 1, ended_by_id = ${endedById}::uuid
       WHERE ${lost} AND (ha.to_date IS NULL OR ha.to_date >= ${day}::date)`;
    return removed + ended;
  }

  /** True when the organization holds an assignment for the household covering `on`. */
  async isAssigned(organizationId: string, householdId: string, on: Date): Promise<boolean> {
    const count = await this.prisma.householdAssignment.count({
      where: { organizationId, householdId, fromDate: { lte: on }, OR: [{ toDate: null }, { toDate: { gte: on } }] },
    });
    return count > 0;
  }

  /**
   * The assignments of many households in one statement, newest first, at most `limit` each:
   * a PARTNER sees only its own organization's, a COORDINATOR or ADMIN all of them (the
   * households were reached through records already in scope).
   */
  async ofHouseholds(viewer: Viewer | null, householdIds: readonly string[], limit: number): Promise<HouseholdAssignment[][]> {
    const valid = [...new Set(householdIds.filter(isId).map((id) => id.toLowerCase()))];
    if (!viewer || valid.length === 0) return householdIds.map(() => []);
    let own = Prisma.empty;
    if (viewer.role === "PARTNER") {
      if (!viewer.organizationId) return householdIds.map(() => []);
      own = Prisma.sql`AND ha.organization_id = ${viewer.organizationId}::uuid`;
    }
    const rows = await this.prisma.$queryRaw<HouseholdAssignment[]>`
      SELECT "id", "householdId", "organizationId", "fromDate", "toDate", "assignedById", "endedById", "createdAt" FROM (
        SELECT ${COLUMNS},
               row_number() OVER (PARTITION BY ha.household_id ORDER BY ha.created_at DESC, ha.id DESC) AS rn
          FROM household_assignment ha
         WHERE ha.household_id = ANY(${valid}::uuid[]) ${own}
      ) ranked
      WHERE rn <= ${limit}
      ORDER BY "householdId", rn`;
    const byHousehold = new Map<string, HouseholdAssignment[]>();
    for (const row of rows) {
      const list = byHousehold.get(row.householdId) ?? [];
      list.push(row);
      byHousehold.set(row.householdId, list);
    }
    return householdIds.map((id) => byHousehold.get(id.toLowerCase()) ?? []);
  }

  /**
   * Assignments the viewer may see, newest first: ADMIN all; a COORDINATOR those of
   * households in its subtree; a PARTNER its own organization's (another `organizationId`
   * is FORBIDDEN). `active` keeps those covering today (or, false, those that do not).
   */
  async list(viewer: Viewer | null, filter: AssignmentFilter, page: PageArgs): Promise<Connection<HouseholdAssignment>> {
    const scope = await this.app.deps.scopes.of(viewer);
    const size = pageSize(page.first);
    const where: Prisma.Sql[] = [];
    let organizationId = filter.organizationId ? requireId(filter.organizationId, "organizationId") : null;
    if (viewer?.role === "PARTNER") {
      const own = viewer.organizationId?.toLowerCase() ?? null;
      if (organizationId && organizationId !== own) throw forbidden("A partner sees the assignments of its own organization only");
      if (!own) throw forbidden("Your account has no organization");
      organizationId = own;
    } else if (!scope.all) {
      where.push(Prisma.sql`h.alliance_id IN (SELECT scoped.id FROM alliance scoped WHERE ${allianceScopeSql(scope, "scoped.path")})`);
    }
    if (organizationId) where.push(Prisma.sql`ha.organization_id = ${organizationId}::uuid`);
    if (filter.active !== null && filter.active !== undefined) {
      const today = isoDate(todayInChina());
      const covers = Prisma.sql`(ha.from_date <= ${today}::date AND (ha.to_date IS NULL OR ha.to_date >= ${today}::date))`;
      where.push(filter.active ? covers : Prisma.sql`NOT ${covers}`);
    }
    let after = Prisma.empty;
    if (page.after) {
      const [createdAt, id] = decodeCursor(page.after, 2);
      if (!(createdAt instanceof Date) || typeof id !== "string" || !isId(id)) throw badInput("after", "is not a cursor from this list");
      after = Prisma.sql`AND (ha.created_at, ha.id) < (${createdAt}::timestamptz, ${id}::uuid)`;
    }
    const condition = where.length ? Prisma.join(where, " AND ") : Prisma.sql`TRUE`;
    const rows = await this.prisma.$queryRaw<HouseholdAssignment[]>`
      SELECT ${COLUMNS}
        FROM household_assignment ha JOIN household h ON h.id = ha.household_id
       WHERE ${condition} ${after}
       ORDER BY ha.created_at DESC, ha.id DESC
       LIMIT ${size + 1}`;
    const totalCount = lazyCount(async () => Number((await this.prisma.$queryRaw<{ count: number }[]>`
      SELECT count(*)::int AS count
        FROM household_assignment ha JOIN household h ON h.id = ha.household_id
       WHERE ${condition}`)[0]?.count ?? 0));
    return toConnection(rows, size, totalCount, (row) => [row.createdAt, row.id]);
  }
}

/** Locks a household's row for the rest of the transaction: its assignments change one at a time. */
async function lockHousehold(tx: Tx, householdId: string): Promise<void> {
  await tx.$queryRaw`SELECT id FROM household WHERE id = ${householdId}::uuid FOR UPDATE`;
}
