import { allianceScopeSql, allianceScopeWhere, inScope, type Scope, type Viewer } from "../../auth";
import type { AccessGround, AssistanceCategory } from "../../common/enums";
import { isId, requireId, selectByIdsInOrder } from "../../common/ids";
import { runMutation, type Tx } from "../../common/mutation";
import { decodeCursor, paginate, pageSize, toConnection, type Connection, type PageArgs, lazyCount } from "../../common/pagination";
import { isoDate, todayInChina } from "../../common/scalars";
import { residentIdBirthDate } from "../../common/validators";
import type { App } from "../../context";
import { badInput, conflict, forbidden } from "../../errors";
import { Prisma, type Household, type HouseholdMember } from "../../generated/prisma/client";
import { ClosedPeriodGuard } from "../reporting";
import type {
  AddHouseholdMemberInput,
  ChangeHouseholdCategoryInput,
  ExitHouseholdInput,
  RegisterHouseholdInput,
  RemoveHouseholdMemberArgs,
  UpdateHouseholdMemberInput,
} from "./household.inputs";
import type { HouseholdCategoryChange, HouseholdMemberChange } from "./household.types";
import { maskIdNumber, maskName } from "./masking";

const byRegistration = { fields: ["createdAt", "id"] as ("createdAt" | "id")[], direction: "asc" as const };

/** The most entries a history list returns per household: the latest ones. */
export const HISTORY_LIMIT = 100;

/** The most current members a household may have (registration takes as many). */
export const MAX_MEMBERS = 30;

/** The most members (current and former) `members(includeFormer: true)` returns. */
export const MAX_MEMBERS_WITH_FORMER = 100;

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
    ${h}.head_name AS "${p}headName", ${h}.id_number AS "${p}idNumber", ${h}.size AS "${p}size", ${h}.created_at AS "${p}createdAt",
    ${h}.recognized_on AS "${p}recognizedOn", ${h}.status::text AS "${p}status", ${h}.exited_on AS "${p}exitedOn", ${h}.exit_reason::text AS "${p}exitReason"`);
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

  /**
   * The members of each household (oldest first), in key order, in one statement: its current
   * members (who have not left by today, China time), and with `includeFormer` those who left too.
   */
  async membersOf(householdIds: readonly string[], includeFormer = false): Promise<HouseholdMember[][]> {
    const valid = householdIds.filter(isId);
    const current: Prisma.HouseholdMemberWhereInput = includeFormer ? {} : { OR: [{ leftOn: null }, { leftOn: { gt: todayInChina() } }] };
    const rows = valid.length
      ? await this.prisma.householdMember.findMany({
          where: { householdId: { in: valid }, ...current },
          orderBy: [{ birthDate: "asc" }, { id: "asc" }],
        })
      : [];
    const byHousehold = new Map<string, HouseholdMember[]>();
    for (const row of rows) {
      const list = byHousehold.get(row.householdId) ?? [];
      list.push(row);
      byHousehold.set(row.householdId, list);
    }
    return householdIds.map((id) => (byHousehold.get(id) ?? []).slice(0, includeFormer ? MAX_MEMBERS_WITH_FORMER : MAX_MEMBERS));
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
                      THEN 'CLAIMED'
                      WHEN EXISTS (
                        SELECT 1 FROM joint_handling_task jt
                         WHERE jt.household_id = p.household_id AND jt.organization_id = p.organization_id
                           AND jt.status IN ('PENDING', 'ACCEPTED'))
                      THEN 'JOINT_TASK' END
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
   * Households in the subtree of `allianceId` (and in the viewer's scope) active on some day of
   * the calendar quarter containing `on` (recognized before its end, not exited before its
   * start) with no visit in it (voided visits do not count), by village region code then id:
   * one statement for the page, one for the count.
   */
  async dueForVisit(viewer: Viewer | null, allianceId: string, on: Date, page: PageArgs): Promise<Connection<Household>> {
    const scope = await this.app.deps.scopes.of(viewer);
    const alliance = await this.app.deps.scopes.requireAlliance(viewer, requireId(allianceId, "allianceId"));
    const size = pageSize(page.first);
    const quarter = quarterOf(on);
    const where = Prisma.sql`
      a.path LIKE ${`${alliance.path}%`} AND ${allianceScopeSql(scope, "a.path")}
      AND h.recognized_on < ${isoDate(quarter.end)}::date
      AND (h.exited_on IS NULL OR h.exited_on > ${isoDate(quarter.start)}::date)
      AND NOT EXISTS (
        SELECT 1 FROM visit v
         WHERE v.household_id = h.id AND v.voided_at IS NULL
           AND v.visited_on >= ${isoDate(quarter.start)}::date AND v.visited_on < ${isoDate(quarter.end)}::date)`;
    let after = Prisma.empty;
    if (page.after) {
      const [regionCode, id] = decodeCursor(page.after, 2);
      if (typeof regionCode !== "string" || !isId(String(id))) throw badInput("after", "is not a cursor from this list");
      after = Prisma.sql`AND (a.region_code, h.id) > (${regionCode}, ${String(id)}::uuid)`;
    }
    const rows = await this.prisma.$queryRaw<DueRow[]>`
      SELECT ${HOUSEHOLD_COLUMNS}, a.region_code AS "regionCode"
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
   * Registers a household in a VILLAGE alliance of the viewer's scope (ADMIN, COORDINATOR),
   * recognized on `recognizedOn` (default today, China time; not in the future, and not in a
   * closed reporting period except for ADMIN): its history starts there (a REGISTERED entry,
   * its members ADDED, its spans). The head is a member: added from `headName` and the birth
   * date in `idNumber` unless the members list names them. A second household with the same
   * 身份证号 is a CONFLICT.
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
    const recognizedOn = input.recognizedOn ?? today;
    if (recognizedOn.getTime() > today.getTime()) throw badInput("recognizedOn", `must not be in the future (today is ${isoDate(today)})`);
    if (recognizedOn.getTime() < EARLIEST_BIRTH.getTime()) throw badInput("recognizedOn", "must not be before 1900-01-01");
    for (const [i, member] of input.members.entries()) {
      if (member.birthDate.getTime() > today.getTime()) throw badInput(`members[${i}].birthDate`, "must not be in the future");
      if (member.birthDate.getTime() < EARLIEST_BIRTH.getTime()) throw badInput(`members[${i}].birthDate`, "must not be before 1900-01-01");
      if (member.birthDate.getTime() > recognizedOn.getTime()) {
        throw badInput(`members[${i}].birthDate`, `must not be after recognizedOn (${isoDate(recognizedOn)}); add a person born later with addHouseholdMember`);
      }
    }
    const headName = input.headName.trim();
    const headBirth = residentIdBirthDate(input.idNumber);
    if (!headBirth) throw badInput("idNumber", "has no real birth date");
    if (headBirth.getTime() > recognizedOn.getTime()) throw badInput("idNumber", `the head's birth date is after recognizedOn (${isoDate(recognizedOn)})`);
    const persons = input.members.map((member) => ({ name: member.name.trim(), birthDate: member.birthDate, joinedOn: recognizedOn }));
    const headListed = persons.some((p) => p.name === headName && p.birthDate.getTime() === headBirth.getTime());
    if (!headListed) persons.unshift({ name: headName, birthDate: headBirth, joinedOn: recognizedOn });

    const guard = new ClosedPeriodGuard(this.app, viewer, auditInput(input, recognizedOn));
    let refusedOutsideScope = false;
    const registration = guard.around(() => runMutation(
      this.app,
      viewer,
      {
        operation: "registerHousehold",
        input: guard.audit,
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
        await guard.check(tx, alliance.path, recognizedOn, "recognizedOn");
        const household = await tx.household.create({
          data: {
            allianceId: alliance.id,
            category: input.category,
            headName,
            idNumber: input.idNumber,
            size: persons.length,
            recognizedOn,
            members: { create: persons },
          },
          include: { members: { select: { id: true } } },
        });
        const recordedById = viewer?.accountId ?? null;
        await tx.householdCategoryChange.create({
          data: { householdId: household.id, kind: "REGISTERED", category: input.category, effectiveOn: recognizedOn, recordedById },
        });
        await tx.householdMemberChange.createMany({
          data: household.members.map((member) => ({ householdId: household.id, memberId: member.id, kind: "ADDED" as const, effectiveOn: recognizedOn, recordedById })),
        });
        await refreshState(tx, household.id);
        const { members: _members, ...row } = household;
        return row;
      },
    ));
    try {
      return await registration;
    } catch (error) {
      if (refusedOutsideScope) await this.auditRefusal(viewer, input, "DUPLICATE_ID_NUMBER");
      throw error;
    }
  }

  /**
   * Changes an ACTIVE household's category from `effectiveOn` on (ADMIN, a COORDINATOR of its
   * subtree): a CATEGORY_CHANGED entry in its history, its category and spans brought up to date.
   */
  async changeCategory(viewer: Viewer | null, input: ChangeHouseholdCategoryInput): Promise<Household> {
    const target = await this.requireWritable(viewer, input.householdId, "householdId");
    requireNotFuture(input.effectiveOn, "effectiveOn");
    const reason = input.reason.trim();
    return this.historyMutation(
      viewer,
      target,
      {
        operation: "changeHouseholdCategory",
        input: { householdId: input.householdId, category: input.category, effectiveOn: isoDate(input.effectiveOn), reason, idempotencyKey: input.idempotencyKey ?? null },
        keyInput: input,
        idempotencyKey: input.idempotencyKey,
      },
      input.effectiveOn,
      async (tx, state) => {
        if (state.category === input.category) {
          throw badInput("category", `the household is ${input.category} already; give the category it changes to`);
        }
        await tx.householdCategoryChange.create({
          data: { householdId: state.id, kind: "CATEGORY_CHANGED", category: input.category, effectiveOn: input.effectiveOn, reason, recordedById: viewer?.accountId ?? null },
        });
        await tx.household.update({ where: { id: state.id }, data: { category: input.category } });
      },
    );
  }

  /**
   * Ends the following of an ACTIVE household from `effectiveOn` on (ADMIN, a COORDINATOR of its
   * subtree): an EXITED entry in its history, status EXITED, its spans ending that day.
   */
  async exit(viewer: Viewer | null, input: ExitHouseholdInput): Promise<Household> {
    const target = await this.requireWritable(viewer, input.householdId, "householdId");
    requireNotFuture(input.effectiveOn, "effectiveOn");
    const note = input.note?.trim() || null;
    if (input.reason === "OTHER" && !note) throw badInput("note", "say why the household exits when the reason is OTHER");
    return this.historyMutation(
      viewer,
      target,
      {
        operation: "exitHousehold",
        input: { householdId: input.householdId, effectiveOn: isoDate(input.effectiveOn), reason: input.reason, note, idempotencyKey: input.idempotencyKey ?? null },
        keyInput: input,
        idempotencyKey: input.idempotencyKey,
      },
      input.effectiveOn,
      async (tx, state) => {
        await tx.householdCategoryChange.create({
          data: { householdId: state.id, kind: "EXITED", category: null, exitReason: input.reason, effectiveOn: input.effectiveOn, reason: note, recordedById: viewer?.accountId ?? null },
        });
        await tx.household.update({ where: { id: state.id }, data: { status: "EXITED", exitedOn: input.effectiveOn, exitReason: input.reason } });
      },
    );
  }

  /** Adds a person to an ACTIVE household from `effectiveOn` on (ADMIN, a COORDINATOR of its subtree). */
  async addMember(viewer: Viewer | null, input: AddHouseholdMemberInput): Promise<Household> {
    const target = await this.requireWritable(viewer, input.householdId, "householdId");
    requireNotFuture(input.effectiveOn, "effectiveOn");
    requireNotFuture(input.birthDate, "birthDate");
    if (input.birthDate.getTime() < EARLIEST_BIRTH.getTime()) throw badInput("birthDate", "must not be before 1900-01-01");
    if (input.birthDate.getTime() > input.effectiveOn.getTime()) throw badInput("birthDate", `must not be after effectiveOn (${isoDate(input.effectiveOn)})`);
    const reason = input.reason.trim();
    return this.historyMutation(
      viewer,
      target,
      {
        operation: "addHouseholdMember",
        input: {
          householdId: input.householdId,
          name: maskName(input.name),
          birthYear: input.birthDate.getUTCFullYear(),
          effectiveOn: isoDate(input.effectiveOn),
          reason,
          idempotencyKey: input.idempotencyKey ?? null,
        },
        keyInput: input,
        idempotencyKey: input.idempotencyKey,
      },
      input.effectiveOn,
      async (tx, state) => {
        const today = todayInChina();
        const current = await tx.householdMember.count({ where: { householdId: state.id, OR: [{ leftOn: null }, { leftOn: { gt: today } }] } });
        if (current >= MAX_MEMBERS) throw conflict(`householdId: a household has at most ${MAX_MEMBERS} members`, { field: "householdId" });
        const member = await tx.householdMember.create({
          data: { householdId: state.id, name: input.name.trim(), birthDate: input.birthDate, joinedOn: input.effectiveOn },
        });
        await tx.householdMemberChange.create({
          data: { householdId: state.id, memberId: member.id, kind: "ADDED", effectiveOn: input.effectiveOn, reason, recordedById: viewer?.accountId ?? null },
        });
      },
    );
  }

  /**
   * A member leaves an ACTIVE household from `effectiveOn` on (ADMIN, a COORDINATOR of its
   * subtree): CONFLICT when they left already or are its last member.
   */
  async removeMember(viewer: Viewer | null, input: RemoveHouseholdMemberArgs): Promise<Household> {
    const { member, target } = await this.requireMemberWritable(viewer, input.memberId);
    requireNotFuture(input.effectiveOn, "effectiveOn");
    const reason = input.reason.trim();
    return this.historyMutation(
      viewer,
      target,
      {
        operation: "removeHouseholdMember",
        input: { memberId: input.memberId, effectiveOn: isoDate(input.effectiveOn), reason, idempotencyKey: input.idempotencyKey ?? null },
        keyInput: input,
        idempotencyKey: input.idempotencyKey,
      },
      input.effectiveOn,
      async (tx, state) => {
        const [current] = await tx.$queryRaw<{ joinedOn: Date; leftOn: Date | null; others: number }[]>`
          SELECT m.joined_on AS "joinedOn", m.left_on AS "leftOn",
                 (SELECT count(*)::int FROM household_member o
                   WHERE o.household_id = m.household_id AND o.id <> m.id AND o.left_on IS NULL) AS others
            FROM household_member m WHERE m.id = ${member.id}::uuid`;
        if (current.leftOn) {
          throw conflict(`memberId: this person left the household on ${isoDate(current.leftOn)} already`, { field: "memberId", leftOn: isoDate(current.leftOn) });
        }
        if (input.effectiveOn.getTime() <= current.joinedOn.getTime()) {
          throw badInput("effectiveOn", `must be after the day the person joined (${isoDate(current.joinedOn)})`);
        }
        if (Number(current.others) === 0) {
          throw conflict("memberId: this is the household's last member; a household keeps at least one (use exitHousehold instead)", { field: "memberId" });
        }
        await tx.householdMember.update({ where: { id: member.id }, data: { leftOn: input.effectiveOn } });
        await tx.householdMemberChange.create({
          data: { householdId: state.id, memberId: member.id, kind: "REMOVED", effectiveOn: input.effectiveOn, reason, recordedById: viewer?.accountId ?? null },
        });
      },
    );
  }

  /**
   * Corrects a member's name or birth date (ADMIN, a COORDINATOR of the household's subtree): an
   * UPDATED entry dated today in the member history; the household's head name follows when the
   * member is its head. Figures do not change, so no reporting period is in the way.
   */
  async updateMember(viewer: Viewer | null, input: UpdateHouseholdMemberInput): Promise<Household> {
    const { member, target } = await this.requireMemberWritable(viewer, input.memberId);
    const name = input.name?.trim() || null;
    const birthDate = input.birthDate ?? null;
    if (!name && !birthDate) throw badInput("name", "give a name or a birth date to correct");
    if (birthDate) {
      requireNotFuture(birthDate, "birthDate");
      if (birthDate.getTime() < EARLIEST_BIRTH.getTime()) throw badInput("birthDate", "must not be before 1900-01-01");
      if (birthDate.getTime() > member.joinedOn.getTime()) throw badInput("birthDate", `must not be after the day the person joined (${isoDate(member.joinedOn)})`);
    }
    const reason = input.reason?.trim() || null;
    const today = todayInChina();
    return runMutation(
      this.app,
      viewer,
      {
        operation: "updateHouseholdMember",
        input: { memberId: input.memberId, name: name ? maskName(name) : null, birthYear: birthDate?.getUTCFullYear() ?? null, reason },
      },
      async (tx) => {
        const state = await lockHousehold(tx, target.household.id);
        requireActive(state);
        const head = target.household.headName === member.name && residentIdBirthDate(target.household.idNumber)?.getTime() === member.birthDate.getTime();
        await tx.householdMember.update({ where: { id: member.id }, data: { ...(name ? { name } : {}), ...(birthDate ? { birthDate } : {}) } });
        if (head && name) await tx.household.update({ where: { id: state.id }, data: { headName: name } });
        await tx.householdMemberChange.create({
          data: { householdId: state.id, memberId: member.id, kind: "UPDATED", effectiveOn: today, reason, recordedById: viewer?.accountId ?? null },
        });
        return tx.household.findUniqueOrThrow({ where: { id: state.id } });
      },
    );
  }

  /**
   * The household `id` for a history mutation: PARTNER → FORBIDDEN, unknown → BAD_USER_INPUT
   * naming `field`, outside the viewer's scope → FORBIDDEN.
   */
  private async requireWritable(viewer: Viewer | null, id: string, field: string): Promise<HouseholdInScope> {
    await this.app.deps.scopes.of(viewer);
    if (viewer?.role === "PARTNER") throw forbidden("Partners cannot change households");
    return this.requireInScope(viewer, id, field);
  }

  /** The member `memberId` and its household for a member mutation, on the terms of requireWritable. */
  private async requireMemberWritable(viewer: Viewer | null, memberId: string): Promise<{ member: HouseholdMember; target: HouseholdInScope }> {
    await this.app.deps.scopes.of(viewer);
    if (viewer?.role === "PARTNER") throw forbidden("Partners cannot change households");
    const member = await this.prisma.householdMember.findUnique({ where: { id: requireId(memberId, "memberId") } });
    if (!member) throw badInput("memberId", "no household member has this id");
    return { member, target: await this.requireInScope(viewer, member.householdId) };
  }

  /**
   * Runs a dated history mutation on an ACTIVE household: locks it, refuses changes to an
   * EXITED one (CONFLICT) and effective days before its recognition or its latest category
   * change (BAD_USER_INPUT), guards closed periods, runs `write`, then brings its size and spans
   * up to date and returns it; after an ADMIN correction in a closed period, updates the stored figures.
   */
  private async historyMutation(
    viewer: Viewer | null,
    target: HouseholdInScope,
    spec: { operation: string; input: Record<string, unknown>; keyInput: unknown; idempotencyKey?: string | null },
    effectiveOn: Date,
    write: (tx: Tx, state: LockedHousehold) => Promise<void>,
  ): Promise<Household> {
    const guard = new ClosedPeriodGuard(this.app, viewer, spec.input);
    return guard.around(() =>
      runMutation(
        this.app,
        viewer,
        { ...spec, input: guard.audit, findExisting: (tx, id) => tx.household.findUnique({ where: { id } }) },
        async (tx) => {
          await this.applyHistoryChange(tx, target, effectiveOn, write, guard);
          return tx.household.findUniqueOrThrow({ where: { id: target.household.id } });
        },
      ),
    );
  }

  /**
   * The work of a dated history change inside the caller's transaction `tx`: locks the household,
   * refuses changes to an EXITED one (CONFLICT) and effective days before its recognition or its
   * latest category change (BAD_USER_INPUT), guards closed periods, runs `write`, then brings its
   * size and spans up to date. `guard` is the caller's: it notes an ADMIN correction inside a
   * closed period in the audit input and brings the stored figures up to date after commit.
   */
  private async applyHistoryChange(
    tx: Tx,
    target: HouseholdInScope,
    effectiveOn: Date,
    write: (tx: Tx, state: LockedHousehold) => Promise<void>,
    guard: ClosedPeriodGuard,
  ): Promise<void> {
    const state = await lockHousehold(tx, target.household.id);
    requireActive(state);
    if (effectiveOn.getTime() < state.recognizedOn.getTime()) {
      throw badInput("effectiveOn", `must not be before the household's recognition day (${isoDate(state.recognizedOn)})`);
    }
    if (effectiveOn.getTime() < state.latestChangeOn.getTime()) {
      throw badInput(
        "effectiveOn",
        `must not be before the household's latest category change (${isoDate(state.latestChangeOn)}): its history only moves forward`,
      );
    }
    await guard.check(tx, target.alliancePath, effectiveOn, "effectiveOn");
    await write(tx, state);
    await tx.$executeRaw`
      UPDATE household SET size = (
        SELECT count(*) FROM household_member m
         WHERE m.household_id = household.id AND (m.left_on IS NULL OR m.left_on > ${isoDate(todayInChina())}::date))
       WHERE id = ${state.id}::uuid`;
    await refreshState(tx, state.id);
  }

  /**
   * Changes the category of the household `target` (from requireChangeable, read before the
   * transaction: PGlite has one connection) from `effectiveOn` inside the caller's transaction (an
   * approved assistance application): the same checks and history entry as
   * changeHouseholdCategory, without an audit row of its own (the caller's mutation writes one);
   * nothing when the household has that category already. `guard` is the caller's mutation's (see applyHistoryChange).
   */
  async changeCategoryInTransaction(
    tx: Tx,
    viewer: Viewer | null,
    target: HouseholdInScope,
    change: { category: AssistanceCategory; effectiveOn: Date; reason: string },
    guard: ClosedPeriodGuard,
  ): Promise<{ changed: boolean }> {
    requireNotFuture(change.effectiveOn, "effectiveOn");
    let changed = false;
    await this.applyHistoryChange(
      tx,
      target,
      change.effectiveOn,
      async (inner, state) => {
        if (state.category === change.category) return;
        changed = true;
        await inner.householdCategoryChange.create({
          data: { householdId: state.id, kind: "CATEGORY_CHANGED", category: change.category, effectiveOn: change.effectiveOn, reason: change.reason, recordedById: viewer?.accountId ?? null },
        });
        await inner.household.update({ where: { id: state.id }, data: { category: change.category } });
      },
      guard,
    );
    return { changed };
  }

  /**
   * The household `id` for a change its caller makes inside its own transaction (read before
   * that transaction opens): PARTNER → FORBIDDEN, unknown → BAD_USER_INPUT naming `field`,
   * outside the viewer's scope → FORBIDDEN.
   */
  requireChangeable(viewer: Viewer | null, id: string, field = "householdId"): Promise<HouseholdInScope> {
    return this.requireWritable(viewer, id, field);
  }

  /**
   * Each household's category on `on` (null before its recognition and from its exit on), in
   * key order, from its spans in one statement.
   */
  async categoriesOn(householdIds: readonly string[], on: Date): Promise<(AssistanceCategory | null)[]> {
    const valid = householdIds.filter(isId);
    if (valid.length === 0) return householdIds.map(() => null);
    const rows = await this.app.deps.db.rows<{ id: string; category: AssistanceCategory | null }>(Prisma.sql`
      SELECT s.household_id::text AS id, s.category::text AS category
        FROM household_state s
       WHERE s.household_id = ANY(${valid}::uuid[])
         AND s.valid_from <= ${isoDate(on)}::date AND (s.valid_to IS NULL OR s.valid_to > ${isoDate(on)}::date)`);
    const byId = new Map(rows.map((row) => [row.id, row.category]));
    return householdIds.map((id) => byId.get(id) ?? null);
  }

  /** The category history of each household (its latest HISTORY_LIMIT entries), oldest first, in key order, in one statement. */
  async categoryHistories(householdIds: readonly string[]): Promise<HouseholdCategoryChange[][]> {
    const valid = householdIds.filter(isId);
    const rows = valid.length
      ? await this.app.deps.db.rows<HouseholdCategoryChange>(Prisma.sql`
          SELECT id, "householdId", kind, category, "effectiveOn", "effectiveUntil", reason, "exitReason", "recordedById", "recordedAt" FROM (
            SELECT c.id::text AS id, c.household_id::text AS "householdId", c.kind::text AS kind, c.category::text AS category,
                   c.effective_on AS "effectiveOn", (lead(c.effective_on) OVER w - 1) AS "effectiveUntil",
                   c.reason, c.exit_reason::text AS "exitReason", c.recorded_by_id::text AS "recordedById", c.recorded_at AS "recordedAt",
                   count(*) OVER (PARTITION BY c.household_id) - row_number() OVER w AS newer, c.household_id, c.effective_on, c.recorded_at, c.id AS change_id
              FROM household_category_change c
             WHERE c.household_id = ANY(${valid}::uuid[])
            WINDOW w AS (PARTITION BY c.household_id ORDER BY c.effective_on, c.recorded_at, c.id)) h
           WHERE newer < ${HISTORY_LIMIT}
           ORDER BY household_id, effective_on, recorded_at, change_id`)
      : [];
    return groupBy(householdIds, rows);
  }

  /** The member history of each household (its latest HISTORY_LIMIT entries), in order of effect (members added together: oldest first), in key order, in one statement. */
  async memberHistories(householdIds: readonly string[]): Promise<HouseholdMemberChange[][]> {
    const valid = householdIds.filter(isId);
    const rows = valid.length
      ? await this.app.deps.db.rows<HouseholdMemberChange>(Prisma.sql`
          SELECT id, "householdId", "memberId", "memberName", kind, "effectiveOn", reason, "recordedById", "recordedAt" FROM (
            SELECT c.id::text AS id, c.household_id::text AS "householdId", c.member_id::text AS "memberId", m.name AS "memberName",
                   c.kind::text AS kind, c.effective_on AS "effectiveOn", c.reason,
                   c.recorded_by_id::text AS "recordedById", c.recorded_at AS "recordedAt",
                   row_number() OVER (PARTITION BY c.household_id ORDER BY c.effective_on, c.recorded_at, m.birth_date, c.id) AS n,
                   count(*) OVER (PARTITION BY c.household_id) AS entries
              FROM household_member_change c JOIN household_member m ON m.id = c.member_id
             WHERE c.household_id = ANY(${valid}::uuid[])) h
           WHERE entries - n < ${HISTORY_LIMIT}
           ORDER BY "householdId", n`)
      : [];
    return groupBy(householdIds, rows);
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
function auditInput(input: RegisterHouseholdInput, recognizedOn = input.recognizedOn ?? todayInChina()) {
  return {
    allianceId: input.allianceId,
    category: input.category,
    recognizedOn: isoDate(recognizedOn),
    headName: maskName(input.headName),
    idNumber: maskIdNumber(input.idNumber),
    members: input.members.map((member) => ({ name: maskName(member.name), birthYear: member.birthDate.getUTCFullYear() })),
    idempotencyKey: input.idempotencyKey ?? null,
  };
}

/** A household row locked for a history change, with the day of its latest category change. */
interface LockedHousehold {
  id: string;
  category: AssistanceCategory;
  status: "ACTIVE" | "EXITED";
  recognizedOn: Date;
  exitedOn: Date | null;
  latestChangeOn: Date;
}

/** Locks the household `id` for the rest of the transaction (changes to one household queue up) and reads its state. */
async function lockHousehold(tx: Tx, id: string): Promise<LockedHousehold> {
  const [row] = await tx.$queryRaw<LockedHousehold[]>`
    SELECT h.id::text AS id, h.category::text AS category, h.status::text AS status, h.recognized_on AS "recognizedOn",
           h.exited_on AS "exitedOn",
           COALESCE((SELECT max(c.effective_on) FROM household_category_change c WHERE c.household_id = h.id), h.recognized_on) AS "latestChangeOn"
      FROM household h WHERE h.id = ${id}::uuid FOR UPDATE`;
  return row;
}

/** CONFLICT when the household has exited: its history is closed. */
function requireActive(state: LockedHousehold): void {
  if (state.status !== "EXITED") return;
  const exitedOn = isoDate(state.exitedOn!);
  throw conflict(`householdId: the household exited on ${exitedOn}; its history is closed`, { field: "householdId", exitedOn });
}

/** Rebuilds the household's derived spans (household_state) inside the transaction. */
async function refreshState(tx: Tx, id: string): Promise<void> {
  await tx.$executeRaw`SELECT refresh_household_state(ARRAY[${id}::uuid])`;
}

/** BAD_USER_INPUT naming `field` when `day` is after today (China time). */
function requireNotFuture(day: Date, field: string): void {
  const today = todayInChina();
  if (day.getTime() > today.getTime()) throw badInput(field, `must not be in the future (today is ${isoDate(today)})`);
}

/** Rows grouped by household, in key order. */
function groupBy<T extends { householdId: string }>(householdIds: readonly string[], rows: readonly T[]): T[][] {
  const byHousehold = new Map<string, T[]>();
  for (const row of rows) {
    const list = byHousehold.get(row.householdId) ?? [];
    list.push(row);
    byHousehold.set(row.householdId, list);
  }
  return householdIds.map((id) => byHousehold.get(id) ?? []);
}
