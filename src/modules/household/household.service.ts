import { allianceScopeSql, allianceScopeWhere, inScope, type Scope, type Viewer } from "../../auth";
import type { AccessGround, AssistanceCategory } from "../../common/enums";
import { isId, requireId, selectByIdsInOrder } from "../../common/ids";
import { runMutation } from "../../common/mutation";
import { decodeCursor, paginate, pageSize, toConnection, type Connection, type PageArgs, lazyCount } from "../../common/pagination";
import { isoDate, todayInChina } from "../../common/scalars";
import { residentIdBirthDate } from "../../common/validators";
import type { App } from "../../context";
import { badInput, conflict, forbidden } from "../../errors";
import { Prisma, type Household, type HouseholdMember } from "../../generated/prisma/client";
import type { RegisterHouseholdInput } from "./household.inputs";
import { maskIdNumber, maskName } from "./masking";

const byRegistration = { fields: ["createdAt", "id"] as ("createdAt" | "id")[], direction: "asc" as const };

/** The earliest birth date a member may have. */
const EARLIEST_BIRTH = new Date(Date.UTC(1900, 0, 1));

export interface HouseholdFilter {
  allianceId?: string | null;
  category?: AssistanceCategory | null;
}

/** A household that a viewer may act on, with the path of its alliance. */
export interface HouseholdInScope {
  household: Household;
  alliancePath: string;
}

/** The calendar quarter containing `on`: [start, end), dates at UTC midnight. */
export function quarterOf(on: Date): { start: Date; end: Date } {
  const firstMonth = Math.floor(on.getUTCMonth() / 3) * 3;
  return {
    start: new Date(Date.UTC(on.getUTCFullYear(), firstMonth, 1)),
    end: new Date(Date.UTC(on.getUTCFullYear(), firstMonth + 3, 1)),
  };
}

type DueRow = Household & { regionCode: string };

/**
 * The columns of a Household record from `alias`, named as Prisma names its fields, each name
 * after `prefix` (a record read beside another one in the same row, see `prefixed`).
 */
export function householdColumns(alias = "h", prefix = ""): Prisma.Sql {
  const [h, p] = [alias, prefix];
  return Prisma.raw(`${h}.id::text AS "${p}id", ${h}.alliance_id::text AS "${p}allianceId", ${h}.category::text AS "${p}category",
    ${h}.head_name AS "${p}headName", ${h}.id_number AS "${p}idNumber", ${h}.size AS "${p}size", ${h}.created_at AS "${p}createdAt"`);
}

/** The columns of a Household record, from `household h`, named as Prisma names them. */
export const HOUSEHOLD_COLUMNS = householdColumns();

/** Households and their members: registration, reads within scope, and who may see their PII. */
export class HouseholdService {
  constructor(private readonly app: App) {}

  private get prisma() {
    return this.app.prisma;
  }

  /** Households by id, in key order, null for misses; no scope check (callers reach them through records in scope). */
  async findByIds(ids: readonly string[]): Promise<(Household | null)[]> {
    return selectByIdsInOrder(this.app.deps.db, (valid) => Prisma.sql`SELECT ${HOUSEHOLD_COLUMNS} FROM household h WHERE h.id = ANY(${valid}::uuid[])`, ids);
  }

  /** The members of each household (oldest first), in key order, in one statement. */
  async membersOf(householdIds: readonly string[]): Promise<HouseholdMember[][]> {
    const valid = householdIds.filter(isId);
    const rows = valid.length
      ? await this.prisma.householdMember.findMany({
          where: { householdId: { in: valid } },
          orderBy: [{ birthDate: "asc" }, { id: "asc" }],
        })
      : [];
    const byHousehold = new Map<string, HouseholdMember[]>();
    for (const row of rows) {
      const list = byHousehold.get(row.householdId) ?? [];
      list.push(row);
      byHousehold.set(row.householdId, list);
    }
    return householdIds.map((id) => byHousehold.get(id) ?? []);
  }

  /**
   * The ground on which the viewer may see the names and ID numbers of each household (null:
   * masked), in key order, with at most one SQL statement: ADMIN always; a COORDINATOR for
   * households in its subtree; a PARTNER only while its organization holds an assignment
   * active today (ASSIGNED), or the claim of a request for the household that another party
   * raised (CLAIMED): a need its own organization found does not widen what it sees.
   */
  async piiAccess(viewer: Viewer | null, householdIds: readonly string[]): Promise<(AccessGround | null)[]> {
    if (!viewer) return householdIds.map(() => null);
    const scope = await this.app.deps.scopes.of(viewer);
    return this.piiGrounds(householdIds.map((householdId) => ({ viewer, scope, householdId })));
  }


  /**
   * The grounds of `piiAccess` (the same rules) for many viewers at once, one per pair of a
   * viewer (with its scope) and a household, in at most one SQL statement: what a live event
   * needs for every kind of subscriber it goes to.
   */
  async piiGrounds(pairs: readonly { viewer: Viewer | null; scope: Scope; householdId: string }[]): Promise<(AccessGround | null)[]> {
    const grounds: (AccessGround | null)[] = pairs.map(({ viewer }) => (viewer?.role === "ADMIN" ? "ADMIN" : null));
    const asked = pairs
      .map((pair, index) => ({ ...pair, index }))
      .filter(({ viewer, householdId }) => isId(householdId) && (viewer?.role === "COORDINATOR" || (viewer?.role === "PARTNER" && viewer.organizationId)));
    if (asked.length === 0) return grounds;
    const today = isoDate(todayInChina());
    const rows = await this.app.deps.db.rows<{ n: number; ground: AccessGround | null }>(Prisma.sql`
      SELECT p.n::int AS n,
             CASE p.role
               WHEN 'COORDINATOR' THEN
                 CASE WHEN EXISTS (
                        SELECT 1 FROM household h JOIN alliance a ON a.id = h.alliance_id
                         WHERE h.id = p.household_id AND a.path LIKE ANY (string_to_array(p.patterns, ' ')))
                      THEN 'COORDINATOR' END
               ELSE
                 CASE WHEN EXISTS (
                        SELECT 1 FROM household_assignment ha
                         WHERE ha.household_id = p.household_id AND ha.organization_id = p.organization_id
                           AND ha.from_date <= ${today}::date AND (ha.to_date IS NULL OR ha.to_date >= ${today}::date))
                      THEN 'ASSIGNED'
                      WHEN EXISTS (
                        SELECT 1 FROM service_request r
                         WHERE r.household_id = p.household_id AND r.status = 'CLAIMED' AND r.claimed_by_id = p.organization_id
                           AND r.raised_by_organization_id IS DISTINCT FROM p.organization_id)
                      THEN 'CLAIMED' END
             END AS ground
        FROM unnest(
               ${asked.map((pair) => pair.viewer!.role)}::text[],
               ${asked.map((pair) => pair.householdId)}::uuid[],
               ${asked.map((pair) => (pair.viewer!.role === "PARTNER" ? pair.viewer!.organizationId : null))}::uuid[],
               ${asked.map((pair) => (pair.scope.all ? "%" : pair.scope.paths.map((root) => `${root}%`).join(" ")))}::text[]
             ) WITH ORDINALITY AS p(role, household_id, organization_id, patterns, n)`);
    for (const row of rows) grounds[asked[row.n - 1].index] = row.ground ?? null;
    return grounds;
  }

  /** One household: null when there is none, FORBIDDEN when it lies outside the viewer's scope. */
  async findOne(viewer: Viewer | null, id: string): Promise<Household | null> {
    const scope = await this.app.deps.scopes.of(viewer);
    if (!isId(id)) return null;
    const household = await this.prisma.household.findUnique({ where: { id }, include: { alliance: { select: { path: true } } } });
    if (!household) return null;
    if (!inScope(scope, household.alliance.path)) throw forbidden("This household is outside your scope");
    const { alliance: _alliance, ...row } = household;
    return row;
  }

  /**
   * The household with id `id` for a mutation acting on it: BAD_USER_INPUT naming `field` when
   * there is none, FORBIDDEN when it lies outside the viewer's scope.
   */
  async requireInScope(viewer: Viewer | null, id: string, field = "householdId"): Promise<HouseholdInScope> {
    const scope = await this.app.deps.scopes.of(viewer);
    const household = await this.prisma.household.findUnique({
      where: { id: requireId(id, field) },
      include: { alliance: { select: { path: true } } },
    });
    if (!household) throw badInput(field, "no household has this id");
    if (!inScope(scope, household.alliance.path)) throw forbidden("This household is outside your scope");
    const { alliance, ...row } = household;
    return { household: row, alliancePath: alliance.path };
  }

  /** Households in scope, in order of registration; `allianceId` keeps those in that alliance or below it. */
  async list(viewer: Viewer | null, filter: HouseholdFilter, page: PageArgs): Promise<Connection<Household>> {
    const scope = await this.app.deps.scopes.of(viewer);
    const and: Prisma.HouseholdWhereInput[] = [{ alliance: allianceScopeWhere(scope) }];
    if (filter.category) and.push({ category: filter.category });
    if (filter.allianceId) {
      const alliance = await this.app.deps.scopes.requireAlliance(viewer, requireId(filter.allianceId, "allianceId"));
      and.push({ alliance: { path: { startsWith: alliance.path } } });
    }
    return paginate(this.prisma.household, { AND: and }, byRegistration, page);
  }

  /**
   * Households in the subtree of `allianceId` (and in the viewer's scope) with no visit in the
   * calendar quarter containing `on`, by village region code then id: one statement for the
   * page, one for the count.
   */
  async dueForVisit(viewer: Viewer | null, allianceId: string, on: Date, page: PageArgs): Promise<Connection<Household>> {
    const scope = await this.app.deps.scopes.of(viewer);
    const alliance = await this.app.deps.scopes.requireAlliance(viewer, requireId(allianceId, "allianceId"));
    const size = pageSize(page.first);
    const quarter = quarterOf(on);
    const where = Prisma.sql`
      a.path LIKE ${`${alliance.path}%`} AND ${allianceScopeSql(scope, "a.path")}
      AND NOT EXISTS (
        SELECT 1 FROM visit v
         WHERE v.household_id = h.id
           AND v.visited_on >= ${isoDate(quarter.start)}::date AND v.visited_on < ${isoDate(quarter.end)}::date)`;
    let after = Prisma.empty;
    if (page.after) {
      const [regionCode, id] = decodeCursor(page.after, 2);
      if (typeof regionCode !== "string" || !isId(String(id))) throw badInput("after", "is not a cursor from this list");
      after = Prisma.sql`AND (a.region_code, h.id) > (${regionCode}, ${String(id)}::uuid)`;
    }
    const rows = await this.prisma.$queryRaw<DueRow[]>`
      SELECT h.id::text AS id, h.alliance_id::text AS "allianceId", h.category::text AS category,
             h.head_name AS "headName", h.id_number AS "idNumber", h.size, h.created_at AS "createdAt",
             a.region_code AS "regionCode"
        FROM household h JOIN alliance a ON a.id = h.alliance_id
       WHERE ${where} ${after}
       ORDER BY a.region_code, h.id
       LIMIT ${size + 1}`;
    const totalCount = lazyCount(async () => Number((await this.prisma.$queryRaw<{ count: number }[]>`
      SELECT count(*)::int AS count FROM household h JOIN alliance a ON a.id = h.alliance_id WHERE ${where}`)[0]?.count ?? 0));
    const households = rows.map((row) => ({ ...row, size: Number(row.size) }));
    return toConnection(households, size, totalCount, (row) => [row.regionCode, row.id]);
  }

  /**
   * Registers a household in a VILLAGE alliance of the viewer's scope (ADMIN, COORDINATOR).
   * The head is a member: added from `headName` and the birth date in `idNumber` unless the
   * members list names them. A second household with the same 身份证号 is a CONFLICT.
   */
  async register(viewer: Viewer | null, input: RegisterHouseholdInput): Promise<Household> {
    const scope = await this.app.deps.scopes.of(viewer);
    if (viewer?.role === "PARTNER") throw forbidden("Partners cannot register households");
    const alliance = await this.prisma.alliance.findUnique({
      where: { id: requireId(input.allianceId, "allianceId") },
      select: { id: true, path: true, level: true },
    });
    if (!alliance) throw badInput("allianceId", "no alliance has this id");
    if (!inScope(scope, alliance.path)) throw forbidden("This alliance is outside your scope");
    if (alliance.level !== "VILLAGE") {
      throw badInput("allianceId", `a household is registered in a VILLAGE alliance, not a ${alliance.level}`);
    }
    const today = todayInChina();
    for (const [i, member] of input.members.entries()) {
      if (member.birthDate.getTime() > today.getTime()) throw badInput(`members[${i}].birthDate`, "must not be in the future");
      if (member.birthDate.getTime() < EARLIEST_BIRTH.getTime()) throw badInput(`members[${i}].birthDate`, "must not be before 1900-01-01");
    }
    const headName = input.headName.trim();
    const headBirth = residentIdBirthDate(input.idNumber);
    if (!headBirth) throw badInput("idNumber", "has no real birth date");
    const persons = input.members.map((member) => ({ name: member.name.trim(), birthDate: member.birthDate, joinedOn: today }));
    const headListed = persons.some((p) => p.name === headName && p.birthDate.getTime() === headBirth.getTime());
    if (!headListed) persons.unshift({ name: headName, birthDate: headBirth, joinedOn: today });

    let refusedOutsideScope = false;
    const registration = runMutation(
      this.app,
      viewer,
      {
        operation: "registerHousehold",
        input: auditInput(input),
        keyInput: input,
        idempotencyKey: input.idempotencyKey,
        findExisting: (tx, id) => tx.household.findUnique({ where: { id } }),
      },
      async (tx) => {
        const duplicate = await tx.household.findUnique({
          where: { idNumber: input.idNumber },
          select: { alliance: { select: { path: true } } },
        });
        if (duplicate && inScope(scope, duplicate.alliance.path)) {
          throw conflict("idNumber: a household with this 身份证号 is registered already", { field: "idNumber" });
        }
        if (duplicate) {
          refusedOutsideScope = true;
          throw conflict("idNumber: this 身份证号 cannot be registered here", { field: "idNumber" });
        }
        return tx.household.create({
          data: {
            allianceId: alliance.id,
            category: input.category,
            headName,
            idNumber: input.idNumber,
            size: persons.length,
            recognizedOn: today,
            members: { create: persons },
          },
        });
      },
    );
    try {
      return await registration;
    } catch (error) {
      if (refusedOutsideScope) await this.auditRefusal(viewer, input, "DUPLICATE_ID_NUMBER");
      throw error;
    }
  }

  /** Writes a refused registration to the audit log (masked input, no result) after its transaction rolled back. */
  private async auditRefusal(viewer: Viewer | null, input: RegisterHouseholdInput, refused: string): Promise<void> {
    await this.prisma.auditLog.create({
      data: {
        accountId: viewer?.accountId ?? null,
        operation: "registerHousehold",
        input: { ...auditInput(input), refused },
        resultId: null,
        requestId: viewer?.requestId ?? null,
      },
    });
  }
}

/** What the audit log keeps of a registration: names and ID numbers masked, birth years only. */
function auditInput(input: RegisterHouseholdInput) {
  return {
    allianceId: input.allianceId,
    category: input.category,
    headName: maskName(input.headName),
    idNumber: maskIdNumber(input.idNumber),
    members: input.members.map((member) => ({ name: maskName(member.name), birthYear: member.birthDate.getUTCFullYear() })),
    idempotencyKey: input.idempotencyKey ?? null,
  };
}
