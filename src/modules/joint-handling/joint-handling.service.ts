import { allianceScopeSql, inScope, type Scope, type Viewer } from "../../auth";
import { isId, requireId } from "../../common/ids";
import { runMutation, type Tx } from "../../common/mutation";
import { keysetPage, type Connection, type PageArgs } from "../../common/pagination";
import { isoDate, todayInChina } from "../../common/scalars";
import type { App } from "../../context";
import { badInput, conflict, forbidden, notFound } from "../../errors";
import { Prisma } from "../../generated/prisma/client";
import type { JointHandlingTaskEventPayload, StoredEvent } from "../../pubsub";
import { ClosedPeriodGuard } from "../reporting";
import { HouseholdService } from "../household";
import type { SubmitAssistanceApplicationInput, UpsertJointItemInput } from "./joint-handling.inputs";
import type {
  ApplicationStatus,
  AssistanceApplication,
  JointHandlingTask,
  JointHandlingTaskEventKind,
  JointItem,
  JointItemDepartment,
  JointTaskStatus,
} from "./joint-handling.types";

const REQUESTABLE = new Set<string>(["DIBAO", "DIBAO_MARGINAL", "EXTREME_POVERTY"]);

/** The columns of an AssistanceApplication record, from `assistance_application ap`. */
const APPLICATION_COLUMNS = Prisma.sql`ap.id::text AS id, ap.household_id::text AS "householdId", ap.alliance_id::text AS "allianceId",
  ap.requested::text AS requested, ap.note, ap.status::text AS status, ap.decision::text AS decision,
  ap.decision_reason AS "decisionReason", ap.effective_on AS "effectiveOn", ap.submitted_by_id::text AS "submittedById",
  ap.submitted_at AS "submittedAt", ap.decided_by_id::text AS "decidedById", ap.decided_at AS "decidedAt"`;

/** The columns of a JointHandlingTask record, from `joint_handling_task t`. */
const TASK_COLUMNS = Prisma.sql`t.id::text AS id, t.application_id::text AS "applicationId", t.item_code AS "itemCode",
  t.organization_id::text AS "organizationId", t.household_id::text AS "householdId", t.status::text AS status, t.note,
  t.created_at AS "createdAt", t.updated_at AS "updatedAt", t.updated_by_id::text AS "updatedById"`;

/** The moves a department makes on a task: the statuses it may come from, the one it goes to. */
const MOVES = {
  accept: { operation: "acceptJointHandlingTask", from: ["PENDING"], to: "ACCEPTED" },
  complete: { operation: "completeJointHandlingTask", from: ["ACCEPTED"], to: "COMPLETED" },
  reject: { operation: "rejectJointHandlingTask", from: ["PENDING", "ACCEPTED"], to: "REJECTED" },
} as const satisfies Record<string, { operation: string; from: readonly JointTaskStatus[]; to: JointTaskStatus }>;

function taskEvent(kind: JointHandlingTaskEventKind, task: { id: string; applicationId: string; organizationId: string }, alliancePath: string) {
  const payload: JointHandlingTaskEventPayload = {
    kind,
    taskId: task.id,
    applicationId: task.applicationId,
    organizationId: task.organizationId,
    alliancePath,
    occurredAt: new Date().toISOString(),
  };
  return { topic: "JOINT_HANDLING_TASK_EVENTS" as const, payload };
}

/**
 * The rule of AssistanceApplication.status as SQL over the application `ap` and its tasks `t`
 * (grouped per application): the service and the demo loader both use it.
 */
export const APPLICATION_STATUS_SQL = `CASE
    WHEN ap.decision = 'REJECTED' THEN 'REJECTED'
    WHEN ap.decision = 'APPROVED' AND count(*) FILTER (WHERE t.status IN ('PENDING', 'ACCEPTED')) = 0 THEN
      CASE WHEN count(*) FILTER (WHERE t.status = 'REJECTED') > 0 THEN 'PARTLY_REJECTED' ELSE 'COMPLETED' END
    WHEN ap.decision = 'PENDING' AND count(*) FILTER (WHERE t.status <> 'PENDING') = 0 THEN 'SUBMITTED'
    ELSE 'IN_PROGRESS'
  END::"ApplicationStatus"`;

/** Brings an application's status up to date from its decision and its tasks (APPLICATION_STATUS_SQL). */
async function refreshApplicationStatus(tx: Tx, applicationId: string): Promise<void> {
  await tx.$executeRaw`
    UPDATE assistance_application ap SET status = (
      SELECT ${Prisma.raw(APPLICATION_STATUS_SQL)} FROM joint_handling_task t WHERE t.application_id = ap.id)
     WHERE ap.id = ${applicationId}::uuid`;
}

/**
 * 大救助"一件事": the catalogue of linked items and which department handles each in a county;
 * applications for 特困, 低保 or 低保边缘 that route one task per selected item to its
 * department; the county's decision, which changes the household's category through its
 * history; and the departments' queues.
 */
export class JointHandlingService {
  constructor(private readonly app: App) {}

  private get db() {
    return this.app.deps.db;
  }

  /** The whole catalogue, by code (any signed-in viewer). */
  async items(viewer: Viewer | null): Promise<JointItem[]> {
    await this.app.deps.scopes.of(viewer);
    return this.app.prisma.jointItem.findMany({ orderBy: { code: "asc" } });
  }

  /** Items by code, in key order (null for unknown codes). */
  async itemsByCodes(codes: readonly string[]): Promise<(JointItem | null)[]> {
    const rows = await this.app.prisma.jointItem.findMany({ where: { code: { in: [...codes] } } });
    const byCode = new Map(rows.map((row) => [row.code, row]));
    return codes.map((code) => byCode.get(code) ?? null);
  }

  /** Adds an item to the catalogue or changes one (ADMIN only). */
  async upsertItem(viewer: Viewer | null, input: UpsertJointItemInput): Promise<JointItem> {
    await this.app.deps.scopes.of(viewer);
    if (viewer?.role !== "ADMIN") throw forbidden("Only the city bureau (ADMIN) edits the catalogue of linked items");
    const name = input.name.trim();
    if (!name) throw badInput("name", "must not be blank");
    const data = { name, departmentKind: input.departmentKind, active: input.active, illustrative: input.illustrative };
    const item = await runMutation(this.app, viewer, { operation: "upsertJointItem", input }, async (tx) => {
      const row = await tx.jointItem.upsert({ where: { code: input.code }, create: { code: input.code, ...data }, update: data });
      return { ...row, id: row.code };
    });
    const { id: _id, ...record } = item;
    return record;
  }

  /**
   * Sets the department that handles an item in a county (ADMIN, or a COORDINATOR of the county
   * or of the city above it). The organization must be a GOVERNMENT_DEPARTMENT member of the
   * county alliance or of an alliance above it (a city department may serve a county); a
   * department of a township or village does not handle a county's items.
   */
  async setItemDepartment(viewer: Viewer | null, countyAllianceId: string, itemCode: string, organizationId: string): Promise<JointItemDepartment> {
    const county = await this.app.deps.scopes.requireAlliance(viewer, countyAllianceId);
    if (viewer?.role === "PARTNER") throw forbidden("Only a coordinator of the county (or the city) maps items to departments");
    if (county.level !== "COUNTY") throw badInput("countyAllianceId", "must be a COUNTY alliance");
    const organization = requireId(organizationId, "organizationId");
    const [found] = await this.db.rows<{ item: boolean; kind: string | null; member: boolean }>(Prisma.sql`
      SELECT EXISTS (SELECT 1 FROM joint_item WHERE code = ${itemCode}) AS item,
             (SELECT kind::text FROM organization WHERE id = ${organization}::uuid) AS kind,
             EXISTS (SELECT 1 FROM alliance_membership m JOIN alliance a ON a.id = m.alliance_id
                      WHERE m.organization_id = ${organization}::uuid AND ${county.path} LIKE a.path || '%') AS member`);
    if (!found.item) throw badInput("itemCode", `no linked item has the code ${itemCode}`);
    if (!found.kind) throw badInput("organizationId", "no organization has this id");
    if (found.kind !== "GOVERNMENT_DEPARTMENT") throw badInput("organizationId", "must be a GOVERNMENT_DEPARTMENT organization");
    if (!found.member) throw badInput("organizationId", "must be a member of the county alliance or of an alliance above it");
    const input = { countyAllianceId, itemCode, organizationId };
    return runMutation(this.app, viewer, { operation: "setJointItemDepartment", input }, async (tx) => {
      const row = await tx.jointItemDepartment.upsert({
        where: { countyAllianceId_itemCode: { countyAllianceId: county.id, itemCode } },
        create: { countyAllianceId: county.id, itemCode, organizationId: organization },
        update: { organizationId: organization, updatedAt: new Date() },
      });
      return { ...row, id: `${row.countyAllianceId}:${row.itemCode}` };
    });
  }

  /**
   * Submits an application (ADMIN, or a COORDINATOR of the household's township or village):
   * one PENDING task per selected item, routed to the item's department in the household's
   * county. Unknown, retired, unmapped or repeated items are BAD_USER_INPUT naming the item; an
   * item with an open task for the household is a CONFLICT naming it (checked with the
   * household row locked, so that concurrent submissions cannot both pass).
   */
  async submit(viewer: Viewer | null, input: SubmitAssistanceApplicationInput): Promise<AssistanceApplication> {
    await this.app.deps.scopes.of(viewer);
    if (viewer?.role === "PARTNER") throw forbidden("Applications are submitted by the coordinator of the household's township or village");
    const { household, alliancePath } = await this.app.get(HouseholdService).requireInScope(viewer, input.householdId);
    if (viewer?.role === "COORDINATOR") {
      const [own] = await this.db.rows<{ level: string }>(Prisma.sql`SELECT level::text AS level FROM alliance WHERE id = ${viewer.allianceId}::uuid`);
      if (own?.level !== "TOWNSHIP" && own?.level !== "VILLAGE") {
        throw forbidden("Applications are submitted by the coordinator of the household's township or village; the county decides them");
      }
    }
    if (!REQUESTABLE.has(input.requested)) throw badInput("requested", "must be DIBAO, DIBAO_MARGINAL or EXTREME_POVERTY");
    const codes = input.items.map((code) => code.trim());
    const seen = new Set<string>();
    for (const code of codes) {
      if (seen.has(code)) throw badInput("items", `the item ${code} is selected twice`, { item: code });
      seen.add(code);
    }
    const routes = await this.db.rows<{ code: string; active: boolean; organizationId: string | null }>(Prisma.sql`
      SELECT i.code, i.active, d.organization_id::text AS "organizationId"
        FROM joint_item i
        LEFT JOIN alliance c ON c.level = 'COUNTY' AND ${alliancePath} LIKE c.path || '%'
        LEFT JOIN joint_item_department d ON d.county_alliance_id = c.id AND d.item_code = i.code
       WHERE i.code = ANY(${codes}::text[])`);
    const routeOf = new Map(routes.map((route) => [route.code, route]));
    for (const code of codes) {
      const route = routeOf.get(code);
      if (!route) throw badInput("items", `no linked item has the code ${code}`, { item: code });
      if (!route.active) throw badInput("items", `the item ${code} is retired and can no longer be selected`, { item: code });
      if (!route.organizationId) throw badInput("items", `no department handles the item ${code} in the household's county yet`, { item: code });
    }
    const note = input.note?.trim() || null;
    const record = { householdId: input.householdId, requested: input.requested, items: codes, note, idempotencyKey: input.idempotencyKey ?? null };
    return runMutation(
      this.app,
      viewer,
      {
        operation: "submitAssistanceApplication",
        input: record,
        idempotencyKey: input.idempotencyKey,
        findExisting: async (tx, id) => (await tx.$queryRaw<AssistanceApplication[]>`SELECT ${APPLICATION_COLUMNS} FROM assistance_application ap WHERE ap.id = ${id}::uuid`)[0] ?? null,
      },
      async (tx, emit) => {
        await tx.$queryRaw`SELECT 1 FROM household WHERE id = ${household.id}::uuid FOR UPDATE`;
        if (codes.length) {
          const open = await tx.$queryRaw<{ code: string }[]>`
            SELECT DISTINCT item_code AS code FROM joint_handling_task
             WHERE household_id = ${household.id}::uuid AND item_code = ANY(${codes}::text[]) AND status IN ('PENDING', 'ACCEPTED')
             ORDER BY item_code LIMIT 1`;
          if (open.length) {
            throw conflict(`items: the household already has an open application for the item ${open[0].code}`, { field: "items", item: open[0].code });
          }
        }
        const application = await tx.assistanceApplication.create({
          data: {
            householdId: household.id,
            allianceId: household.allianceId,
            requested: input.requested,
            note,
            submittedById: viewer?.accountId ?? null,
          },
        });
        for (const code of codes) {
          const task = await tx.jointHandlingTask.create({
            data: { applicationId: application.id, itemCode: code, organizationId: routeOf.get(code)!.organizationId!, householdId: household.id },
          });
          emit(taskEvent("CREATED", task, alliancePath));
        }
        return application as AssistanceApplication;
      },
    );
  }

  /**
   * Decides the main application (ADMIN, or the COORDINATOR of the household's county). Approved:
   * the household's category changes to the one asked for from `effectiveOn` through its history
   * in the same transaction as the decision (HouseholdService.changeCategoryInTransaction); a
   * household already in that category keeps its history and only the decision is recorded. Rejected: a reason is required. A decided application is a CONFLICT.
   */
  async decide(viewer: Viewer | null, id: string, approved: boolean, effectiveOn: Date | null | undefined, reason: string | null | undefined): Promise<AssistanceApplication> {
    await this.app.deps.scopes.of(viewer);
    const application = await this.requireApplication(viewer, id);
    if (viewer?.role !== "ADMIN") {
      const [county] = await this.db.rows<{ id: string }>(Prisma.sql`
        SELECT c.id::text AS id FROM alliance v JOIN alliance c ON c.level = 'COUNTY' AND v.path LIKE c.path || '%'
         WHERE v.id = ${application.allianceId}::uuid`);
      if (viewer?.role !== "COORDINATOR" || county?.id !== viewer.allianceId) {
        throw forbidden("Only the coordinator of the household's county (or ADMIN) decides an application");
      }
    }
    if (application.decision !== "PENDING") throw conflict(`This application was already ${application.decision}`);
    const why = reason?.trim() || null;
    if (why && why.length > 200) throw badInput("reason", "must be at most 200 characters");
    if (!approved && !why) throw badInput("reason", "is required when the application is rejected");
    if (approved && !effectiveOn) throw badInput("effectiveOn", "is required when the application is approved");
    if (approved && effectiveOn && effectiveOn.getTime() > todayInChina().getTime()) throw badInput("effectiveOn", "must not be in the future");
    const households = this.app.get(HouseholdService);
    const target = approved ? await households.requireChangeable(viewer, application.householdId) : null;
    const guard = new ClosedPeriodGuard(this.app, viewer, { id, approved, effectiveOn: effectiveOn ? isoDate(effectiveOn) : null, reason: why });
    return guard.around(() => runMutation(this.app, viewer, { operation: "decideAssistanceApplication", input: guard.audit }, async (tx) => {
      const claimed = await tx.assistanceApplication.updateMany({
        where: { id: application.id, decision: "PENDING" },
        data: {
          decision: approved ? "APPROVED" : "REJECTED",
          decisionReason: why,
          effectiveOn: approved ? effectiveOn : null,
          decidedById: viewer?.accountId ?? null,
          decidedAt: new Date(),
        },
      });
      if (claimed.count === 0) throw conflict("This application was decided meanwhile");
      if (target && effectiveOn) {
        // The category change and the decision commit together, or neither does.
        const change = await households.changeCategoryInTransaction(
          tx,
          viewer,
          target,
          { category: application.requested, effectiveOn, reason: why ?? "assistance application approved" },
          guard,
        );
        if (change.changed) guard.audit.categoryChanged = application.requested;
      }
      await refreshApplicationStatus(tx, application.id);
      return (await tx.$queryRaw<AssistanceApplication[]>`SELECT ${APPLICATION_COLUMNS} FROM assistance_application ap WHERE ap.id = ${application.id}::uuid`)[0];
    }));
  }

  /** Moves a task (only the department it is routed to): PENDING→ACCEPTED→COMPLETED, PENDING/ACCEPTED→REJECTED; others are a CONFLICT. */
  async move(viewer: Viewer | null, move: keyof typeof MOVES, id: string, note: string | null | undefined): Promise<JointHandlingTask> {
    await this.app.deps.scopes.of(viewer);
    const spec = MOVES[move];
    const text = note?.trim() || null;
    if (move === "reject" && !text) throw badInput("reason", "is required: say why the department rejects the item");
    if (text && text.length > 500) throw badInput(move === "reject" ? "reason" : "note", "must be at most 500 characters");
    if (!isId(id)) throw notFound("JointHandlingTask");
    const [task] = await this.db.rows<JointHandlingTask & { alliancePath: string }>(Prisma.sql`
      SELECT ${TASK_COLUMNS}, al.path AS "alliancePath"
        FROM joint_handling_task t JOIN assistance_application ap ON ap.id = t.application_id JOIN alliance al ON al.id = ap.alliance_id
       WHERE t.id = ${id}::uuid`);
    if (!task) throw notFound("JointHandlingTask");
    if (viewer?.role !== "PARTNER" || viewer.organizationId?.toLowerCase() !== task.organizationId.toLowerCase()) {
      throw forbidden("Only the department the task is routed to moves it");
    }
    const input = move === "reject" ? { id, reason: text } : { id, note: text };
    return runMutation(this.app, viewer, { operation: spec.operation, input }, async (tx, emit) => {
      await tx.$queryRaw`SELECT 1 FROM assistance_application WHERE id = ${task.applicationId}::uuid FOR UPDATE`;
      const moved = await tx.$queryRaw<JointHandlingTask[]>`
        UPDATE joint_handling_task t SET status = ${spec.to}::"JointTaskStatus", note = COALESCE(${text}, t.note),
               updated_at = now(), updated_by_id = ${viewer.accountId}::uuid
         WHERE t.id = ${task.id}::uuid AND t.status::text = ANY(${[...spec.from]}::text[])
        RETURNING ${TASK_COLUMNS}`;
      if (!moved.length) {
        const [current] = await tx.$queryRaw<{ status: string }[]>`SELECT status::text AS status FROM joint_handling_task WHERE id = ${task.id}::uuid`;
        throw conflict(`The task is ${current?.status ?? task.status}; only a ${spec.from.join(" or ")} task can become ${spec.to}`);
      }
      await refreshApplicationStatus(tx, task.applicationId);
      emit(taskEvent(spec.to, moved[0], task.alliancePath));
      return moved[0];
    });
  }

  /** One application the viewer may read (ADMIN, a COORDINATOR of its subtree); partners are FORBIDDEN. */
  async findApplication(viewer: Viewer | null, id: string): Promise<AssistanceApplication | null> {
    await this.app.deps.scopes.of(viewer);
    if (!isId(id)) return null;
    const application = await this.locateApplication(id);
    if (!application) return null;
    await this.requireReadable(viewer, application.alliancePath);
    return application;
  }

  /** Applications by id, unscoped (callers reach them through records already in scope), in key order. */
  async applicationsByIds(ids: readonly string[]): Promise<(AssistanceApplication | null)[]> {
    const valid = ids.filter(isId);
    const rows = valid.length
      ? await this.db.rows<AssistanceApplication>(Prisma.sql`SELECT ${APPLICATION_COLUMNS} FROM assistance_application ap WHERE ap.id = ANY(${valid}::uuid[])`)
      : [];
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /** The tasks of each application, by item code; a PARTNER sees only those routed to its organization. */
  async tasksOfApplications(viewer: Viewer | null, ids: readonly string[]): Promise<JointHandlingTask[][]> {
    const valid = ids.filter(isId);
    const own = viewer?.role === "PARTNER" ? Prisma.sql`AND t.organization_id = ${viewer.organizationId}::uuid` : Prisma.empty;
    const rows = valid.length
      ? await this.db.rows<JointHandlingTask>(Prisma.sql`
          SELECT ${TASK_COLUMNS} FROM joint_handling_task t WHERE t.application_id = ANY(${valid}::uuid[]) ${own} ORDER BY t.item_code`)
      : [];
    return ids.map((id) => rows.filter((row) => row.applicationId === id));
  }

  /** Applications in scope, newest first (ADMIN all, a COORDINATOR its subtree; partners are FORBIDDEN). */
  async listApplications(
    viewer: Viewer | null,
    allianceId: string | null | undefined,
    status: ApplicationStatus | null | undefined,
    page: PageArgs,
  ): Promise<Connection<AssistanceApplication>> {
    const scope = await this.app.deps.scopes.of(viewer);
    if (viewer?.role === "PARTNER") throw forbidden("Partners see applications through their department's tasks (jointHandlingTasks)");
    const root = allianceId ? (await this.app.deps.scopes.requireAlliance(viewer, allianceId)).path : null;
    const where = Prisma.sql`${allianceScopeSql(scope, "al.path")}
      ${root ? Prisma.sql`AND al.path LIKE ${`${root}%`}` : Prisma.empty}
      ${status ? Prisma.sql`AND ap.status = ${status}::"ApplicationStatus"` : Prisma.empty}`;
    return keysetPage<AssistanceApplication & Record<string, unknown>>(this.db, {
      columns: APPLICATION_COLUMNS,
      from: Prisma.sql`FROM assistance_application ap JOIN alliance al ON al.id = ap.alliance_id`,
      where,
      keys: [
        { sql: "ap.submitted_at", type: "timestamptz", field: "submittedAt" },
        { sql: "ap.id", type: "uuid", field: "id" },
      ],
      direction: "desc",
      args: page,
    });
  }

  /**
   * Joint-handling tasks, newest first: a PARTNER those routed to its organization (a
   * department's queue), a COORDINATOR those of its subtree's households, ADMIN all.
   */
  async listTasks(viewer: Viewer | null, status: JointTaskStatus | null | undefined, page: PageArgs): Promise<Connection<JointHandlingTask>> {
    const scope = await this.app.deps.scopes.of(viewer);
    const visible =
      viewer?.role === "PARTNER"
        ? viewer.organizationId
          ? Prisma.sql`t.organization_id = ${viewer.organizationId}::uuid`
          : Prisma.sql`FALSE`
        : allianceScopeSql(scope, "al.path");
    return keysetPage<JointHandlingTask & Record<string, unknown>>(this.db, {
      columns: TASK_COLUMNS,
      from: Prisma.sql`FROM joint_handling_task t JOIN assistance_application ap ON ap.id = t.application_id JOIN alliance al ON al.id = ap.alliance_id`,
      where: Prisma.sql`${visible} ${status ? Prisma.sql`AND t.status = ${status}::"JointTaskStatus"` : Prisma.empty}`,
      keys: [
        { sql: "t.created_at", type: "timestamptz", field: "createdAt" },
        { sql: "t.id", type: "uuid", field: "id" },
      ],
      direction: "desc",
      args: page,
    });
  }

  /** Tasks by id, unscoped (for events already filtered by scope), in key order. */
  async tasksByIds(ids: readonly string[]): Promise<(JointHandlingTask | null)[]> {
    const valid = ids.filter(isId);
    const rows = valid.length ? await this.db.rows<JointHandlingTask>(Prisma.sql`SELECT ${TASK_COLUMNS} FROM joint_handling_task t WHERE t.id = ANY(${valid}::uuid[])`) : [];
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /**
   * The live stream of task events a viewer may read: a PARTNER those of tasks routed to its
   * organization, a COORDINATOR those of its subtree's households, ADMIN all. With `after`, the
   * stored events since that id come first.
   */
  async events(viewer: Viewer | null, after?: string | null): Promise<AsyncIterable<StoredEvent<"JOINT_HANDLING_TASK_EVENTS">>> {
    const scope: Scope = await this.app.deps.scopes.of(viewer);
    if (after !== undefined && after !== null && !/^\d{1,18}$/.test(after)) throw badInput("after", "must be the id of an event you received");
    const organization = viewer?.role === "PARTNER" ? (viewer.organizationId?.toLowerCase() ?? null) : null;
    const accepts = (stored: StoredEvent): boolean => {
      if (stored.topic !== "JOINT_HANDLING_TASK_EVENTS") return false;
      const event = stored.payload as JointHandlingTaskEventPayload;
      if (viewer?.role === "PARTNER") return !!organization && event.organizationId.toLowerCase() === organization;
      return inScope(scope, event.alliancePath);
    };
    const stream = await this.app.deps.pubsub.feed.subscribe({ after: after ? BigInt(after) : undefined, accepts });
    return stream as AsyncIterableIterator<StoredEvent<"JOINT_HANDLING_TASK_EVENTS">>;
  }

  private async locateApplication(id: string): Promise<(AssistanceApplication & { alliancePath: string }) | null> {
    const [row] = await this.db.rows<AssistanceApplication & { alliancePath: string }>(Prisma.sql`
      SELECT ${APPLICATION_COLUMNS}, al.path AS "alliancePath"
        FROM assistance_application ap JOIN alliance al ON al.id = ap.alliance_id WHERE ap.id = ${id}::uuid`);
    return row ?? null;
  }

  private async requireApplication(viewer: Viewer | null, id: string): Promise<AssistanceApplication & { alliancePath: string }> {
    if (!isId(id)) throw notFound("AssistanceApplication");
    const application = await this.locateApplication(id);
    if (!application) throw notFound("AssistanceApplication");
    await this.requireReadable(viewer, application.alliancePath);
    return application;
  }

  private async requireReadable(viewer: Viewer | null, path: string): Promise<void> {
    const scope = await this.app.deps.scopes.of(viewer);
    if (viewer?.role === "PARTNER") throw forbidden("Partners see applications through their department's tasks (jointHandlingTasks)");
    if (!inScope(scope, path)) throw forbidden("This application is outside your scope");
  }
}

