import { isoDate, todayInChina } from "../src/common/scalars";
import type { GraphQLClient } from "./helpers/graphql";
import { coordinatorOf, createOrganization, createTaizhouTree, insertHousehold, partnerOf } from "./helpers/factories";
import { startTestServer, stopAll } from "./helpers/server";

let server: Awaited<ReturnType<typeof startTestServer>>;
let tree: Awaited<ReturnType<typeof createTaizhouTree>>;
const prisma = () => server.app.prisma;

const TASK_FIELDS = `id status note updatedAt item { code name } department { id } household { id headName idNumber } application { id status }`;
const APPLICATION_FIELDS = `id requested status decision decisionReason effectiveOn submittedAt decidedAt note
  household { id } items { ${TASK_FIELDS} }`;

const UPSERT_ITEM = `mutation ($input: UpsertJointItemInput!) { upsertJointItem(input: $input) { code name departmentKind active illustrative } }`;
const SET_DEPARTMENT = `mutation ($county: ID!, $item: String!, $organization: ID!) {
  setJointItemDepartment(countyAllianceId: $county, itemCode: $item, organizationId: $organization) { countyAllianceId itemCode organizationId }
}`;
const SUBMIT = `mutation ($input: SubmitAssistanceApplicationInput!) { submitAssistanceApplication(input: $input) { ${APPLICATION_FIELDS} } }`;
const DECIDE = `mutation ($id: ID!, $approved: Boolean!, $effectiveOn: Date, $reason: String) {
  decideAssistanceApplication(id: $id, approved: $approved, effectiveOn: $effectiveOn, reason: $reason) { ${APPLICATION_FIELDS} }
}`;
const ACCEPT = `mutation ($id: ID!, $note: String) { acceptJointHandlingTask(id: $id, note: $note) { ${TASK_FIELDS} } }`;
const COMPLETE = `mutation ($id: ID!, $note: String) { completeJointHandlingTask(id: $id, note: $note) { ${TASK_FIELDS} } }`;
const REJECT = `mutation ($id: ID!, $reason: String!) { rejectJointHandlingTask(id: $id, reason: $reason) { ${TASK_FIELDS} } }`;
const TASKS = `query ($status: JointTaskStatus, $first: Int, $after: String) {
  jointHandlingTasks(status: $status, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { ${TASK_FIELDS} } }
}`;
const APPLICATIONS = `query ($allianceId: ID, $status: ApplicationStatus, $first: Int, $after: String) {
  assistanceApplications(allianceId: $allianceId, status: $status, first: $first, after: $after) { totalCount nodes { id status household { id } } }
}`;
const EVENTS = `subscription ($after: String) { jointHandlingTaskEvents(after: $after) { id kind occurredAt task { id status item { code } department { id } } } }`;
/** The same stream with the task's household: masked or not as the department may see it when the event is delivered. */
const EVENTS_WITH_HOUSEHOLD = `subscription { jointHandlingTaskEvents { kind task { id status household { id headName idNumber } } } }`;

interface Task {
  id: string;
  status: string;
  note: string | null;
  item: { code: string };
  department: { id: string };
  household: { id: string; headName: string; idNumber: string };
  application: { id: string; status: string };
}

let townshipCoordinator: GraphQLClient;
let countyCoordinator: GraphQLClient;
let jiaojiangCoordinator: GraphQLClient;
const departments: Record<"education" | "housing" | "water" | "idle" | "jiaojiang", { id: string; client: GraphQLClient }> = {} as never;
let socialOrganization: { id: string };

async function written() {
  return {
    applications: await prisma().assistanceApplication.count(),
    tasks: await prisma().jointHandlingTask.count(),
    audit: await prisma().auditLog.count({ where: { operation: "submitAssistanceApplication" } }),
  };
}

function daysAgo(days: number): string {
  const t = todayInChina();
  return isoDate(new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate() - days)));
}

beforeAll(async () => {
  server = await startTestServer();
  tree = await createTaizhouTree(server.admin);
  townshipCoordinator = await coordinatorOf(server, tree.taiping.id);
  countyCoordinator = await coordinatorOf(server, tree.wenling.id);
  jiaojiangCoordinator = await coordinatorOf(server, tree.jiaojiang.id);
  for (const [key, alliance] of [
    ["education", tree.wenling],
    ["housing", tree.wenling],
    ["water", tree.city],
    ["idle", tree.wenling],
    ["jiaojiang", tree.jiaojiang],
  ] as const) {
    const organization = await createOrganization(server.admin, { allianceIds: [alliance.id], kind: "GOVERNMENT_DEPARTMENT", name: `部门 ${key}` });
    departments[key] = { id: organization.id, client: await partnerOf(server, organization.id) };
  }
  socialOrganization = await createOrganization(server.admin, { allianceIds: [tree.wenling.id] });
  for (const [code, name, departmentKind, active] of [
    ["EDUCATION_AID", "教育救助", "EDUCATION", true],
    ["HOUSING_AID", "住房救助", "HOUSING", true],
    ["WATER_RELIEF", "水费减免", "WATER_SUPPLY", true],
    ["POWER_RELIEF", "电费减免", "POWER_SUPPLY", true],
    ["RETIRED_ITEM", "已停用事项", "OTHER", false],
  ] as const) {
    await server.admin.query(UPSERT_ITEM, { input: { code, name, departmentKind, active, illustrative: false } });
  }
  await server.admin.query(SET_DEPARTMENT, { county: tree.wenling.id, item: "EDUCATION_AID", organization: departments.education.id });
  await countyCoordinator.query(SET_DEPARTMENT, { county: tree.wenling.id, item: "HOUSING_AID", organization: departments.housing.id });
  await countyCoordinator.query(SET_DEPARTMENT, { county: tree.wenling.id, item: "WATER_RELIEF", organization: departments.water.id });
  await server.admin.query(SET_DEPARTMENT, { county: tree.wenling.id, item: "RETIRED_ITEM", organization: departments.idle.id });
  await server.admin.query(SET_DEPARTMENT, { county: tree.jiaojiang.id, item: "POWER_RELIEF", organization: departments.jiaojiang.id });
});
afterAll(() => stopAll(server));

describe("the catalogue", () => {
  test("any signed-in viewer lists it; only ADMIN edits it", async () => {
    const { jointItems } = await departments.idle.client.query(`{ jointItems { code name departmentKind active illustrative } }`);
    expect(jointItems.map((i: { code: string }) => i.code)).toEqual(["EDUCATION_AID", "HOUSING_AID", "POWER_RELIEF", "RETIRED_ITEM", "WATER_RELIEF"]);
    expect(jointItems.find((i: { code: string }) => i.code === "RETIRED_ITEM")).toMatchObject({ active: false, departmentKind: "OTHER" });
    await countyCoordinator.expectError("FORBIDDEN", UPSERT_ITEM, { input: { code: "X_ITEM", name: "x", departmentKind: "OTHER", active: true, illustrative: true } });
    await server.admin.expectError("BAD_USER_INPUT", UPSERT_ITEM, { input: { code: "lower", name: "x", departmentKind: "OTHER", active: true, illustrative: true } });
    expect(await prisma().jointItem.count()).toBe(5);
  });

  test("setJointItemDepartment checks the county, the item, the organization and who asks", async () => {
    const bad = async (client: GraphQLClient, code: string, vars: Record<string, string>, message: RegExp) => {
      const { error } = await client.expectError(code, SET_DEPARTMENT, { county: tree.wenling.id, item: "POWER_RELIEF", organization: departments.idle.id, ...vars });
      expect(error.message).toMatch(message);
    };
    await bad(server.admin, "BAD_USER_INPUT", { county: tree.taiping.id }, /COUNTY/);
    await bad(server.admin, "BAD_USER_INPUT", { item: "NO_SUCH_ITEM" }, /NO_SUCH_ITEM/);
    await bad(server.admin, "BAD_USER_INPUT", { organization: socialOrganization.id }, /GOVERNMENT_DEPARTMENT/);
    await bad(server.admin, "BAD_USER_INPUT", { organization: departments.jiaojiang.id }, /member of the county/);
    await bad(jiaojiangCoordinator, "FORBIDDEN", {}, /outside your scope/);
    await bad(townshipCoordinator, "FORBIDDEN", {}, /outside your scope/);
    await bad(departments.idle.client, "FORBIDDEN", {}, /./);
    expect(await prisma().jointItemDepartment.count({ where: { countyAllianceId: tree.wenling.id, itemCode: "POWER_RELIEF" } })).toBe(0);
  });
});

describe("an application with three items", () => {
  let household: { id: string; headName: string };
  let application: { id: string; status: string; items: Task[] };
  const taskOf = (code: string) => application.items.find((task) => task.item.code === code)!;

  test("lands as three tasks in three departments' queues and live streams, in no other department's", async () => {
    household = await insertHousehold(server, { allianceId: tree.taipingA.id, category: "DIBAO_MARGINAL", headName: "林晓燕", size: 3 });
    const streams = Object.fromEntries(Object.entries(departments).map(([key, { client }]) => [key, client.subscribe(EVENTS)]));
    const countyStream = countyCoordinator.subscribe(EVENTS);
    const jiaojiangStream = jiaojiangCoordinator.subscribe(EVENTS);
    await Promise.all([...Object.values(streams), countyStream, jiaojiangStream].map((s) => s.ready()));

    const data = await townshipCoordinator.query(SUBMIT, {
      input: { householdId: household.id, requested: "DIBAO", items: ["EDUCATION_AID", "HOUSING_AID", "WATER_RELIEF"], note: "子女就学、危房", idempotencyKey: "app-1" },
    });
    application = data.submitAssistanceApplication;
    expect(application).toMatchObject({ status: "SUBMITTED", decision: "PENDING", requested: "DIBAO", household: { id: household.id } });
    expect(application.items.map((t) => [t.item.code, t.department.id, t.status])).toEqual([
      ["EDUCATION_AID", departments.education.id, "PENDING"],
      ["HOUSING_AID", departments.housing.id, "PENDING"],
      ["WATER_RELIEF", departments.water.id, "PENDING"],
    ]);

    for (const [key, code] of [["education", "EDUCATION_AID"], ["housing", "HOUSING_AID"], ["water", "WATER_RELIEF"]] as const) {
      const queue = (await departments[key].client.query(TASKS)).jointHandlingTasks;
      expect(queue.totalCount).toBe(1);
      expect(queue.nodes[0]).toMatchObject({ item: { code }, status: "PENDING", application: { id: application.id, status: "SUBMITTED" } });
      const event = (await streams[key].next()).data!.jointHandlingTaskEvents;
      expect(event).toMatchObject({ kind: "CREATED", task: { item: { code }, department: { id: departments[key].id } } });
    }
    const countyEvents = [await countyStream.next(), await countyStream.next(), await countyStream.next()];
    expect(countyEvents.map((e) => e.data!.jointHandlingTaskEvents.task.item.code).sort()).toEqual(["EDUCATION_AID", "HOUSING_AID", "WATER_RELIEF"]);
    for (const key of ["idle", "jiaojiang"] as const) {
      expect((await departments[key].client.query(TASKS)).jointHandlingTasks.totalCount).toBe(0);
      expect(await streams[key].drain(300)).toEqual([]);
    }
    expect(await jiaojiangStream.drain(100)).toEqual([]);
    expect((await jiaojiangCoordinator.query(TASKS)).jointHandlingTasks.totalCount).toBe(0);

    // A retry with the same key returns the first application and writes nothing.
    const before = await written();
    const retried = await townshipCoordinator.query(SUBMIT, {
      input: { householdId: household.id, requested: "DIBAO", items: ["EDUCATION_AID", "HOUSING_AID", "WATER_RELIEF"], note: "子女就学、危房", idempotencyKey: "app-1" },
    });
    expect(retried.submitAssistanceApplication.id).toBe(application.id);
    expect(await written()).toEqual(before);

    // A stream resumed after the first event gets the other two.
    const first = (await departments.education.client.query(TASKS)).jointHandlingTasks.nodes[0];
    const stored = await prisma().$queryRaw<{ id: bigint }[]>`SELECT id FROM event_outbox WHERE topic = 'JOINT_HANDLING_TASK_EVENTS' ORDER BY id`;
    const resumed = countyCoordinator.subscribe(EVENTS, { after: String(stored[0].id) });
    const replay = [await resumed.next(), await resumed.next()];
    expect(replay.map((e) => e.data!.jointHandlingTaskEvents.id)).toEqual(stored.slice(1, 3).map((row) => String(row.id)));
    expect(replay.map((e) => e.data!.jointHandlingTaskEvents.task.id)).not.toContain(first.id);
    await Promise.all([...Object.values(streams), countyStream, jiaojiangStream, resumed].map((s) => s.close()));
  });

  test("the household is unmasked for a department only while its task is open, with a JOINT_TASK access row", async () => {
    const open = (await departments.education.client.query(TASKS)).jointHandlingTasks.nodes[0];
    expect(open.household).toMatchObject({ id: household.id, headName: "林晓燕" });
    const educationAccount = (await departments.education.client.query(`{ me { id } }`)).me.id;
    const deadline = Date.now() + 5000;
    let rows = await prisma().personalDataAccess.findMany({ where: { householdId: household.id, accountId: educationAccount } });
    while (rows.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      rows = await prisma().personalDataAccess.findMany({ where: { householdId: household.id, accountId: educationAccount } });
    }
    expect(rows.map((row) => row.ground)).toEqual(["JOINT_TASK"]);
  });

  test("departments move their own tasks; the application's status follows; the approval changes the category", async () => {
    const { education, housing, water } = { education: taskOf("EDUCATION_AID"), housing: taskOf("HOUSING_AID"), water: taskOf("WATER_RELIEF") };
    const educationLive = departments.education.client.subscribe(EVENTS_WITH_HOUSEHOLD);
    await educationLive.ready();
    await departments.housing.client.expectError("FORBIDDEN", ACCEPT, { id: education.id });
    await townshipCoordinator.expectError("FORBIDDEN", ACCEPT, { id: education.id });
    await departments.education.client.expectError("CONFLICT", COMPLETE, { id: education.id });

    const accepted = (await departments.education.client.query(ACCEPT, { id: education.id, note: "已受理" })).acceptJointHandlingTask;
    expect(accepted).toMatchObject({ status: "ACCEPTED", note: "已受理", application: { status: "IN_PROGRESS" } });
    // Live, while its task is open, the department sees the household as its queue shows it.
    const acceptedEvent = (await educationLive.next()).data!.jointHandlingTaskEvents;
    expect(acceptedEvent).toMatchObject({ kind: "ACCEPTED", task: { id: education.id, status: "ACCEPTED", household: { id: household.id, headName: "林晓燕" } } });
    expect(acceptedEvent.task.household.idNumber).not.toContain("*");

    await townshipCoordinator.expectError("FORBIDDEN", DECIDE, { id: application.id, approved: true, effectiveOn: daysAgo(1) });
    await countyCoordinator.expectError("BAD_USER_INPUT", DECIDE, { id: application.id, approved: true });
    const approved = (await countyCoordinator.query(DECIDE, { id: application.id, approved: true, effectiveOn: daysAgo(1), reason: "符合低保条件" }))
      .decideAssistanceApplication;
    expect(approved).toMatchObject({ decision: "APPROVED", status: "IN_PROGRESS", effectiveOn: daysAgo(1), decisionReason: "符合低保条件" });
    const history = await prisma().householdCategoryChange.findMany({ where: { householdId: household.id }, orderBy: { effectiveOn: "asc" } });
    expect(history.map((h) => [h.kind, h.category, isoDate(h.effectiveOn)])).toEqual([
      ["REGISTERED", "DIBAO_MARGINAL", "2024-01-01"],
      ["CATEGORY_CHANGED", "DIBAO", daysAgo(1)],
    ]);
    expect((await prisma().household.findUniqueOrThrow({ where: { id: household.id } })).category).toBe("DIBAO");
    await countyCoordinator.expectError("CONFLICT", DECIDE, { id: application.id, approved: false, reason: "again" });

    await departments.education.client.query(COMPLETE, { id: education.id, note: "已发放" });
    // The event of the closing change already carries the household masked: the task is no longer open.
    const completedEvent = (await educationLive.next()).data!.jointHandlingTaskEvents;
    expect(completedEvent).toMatchObject({ kind: "COMPLETED", task: { id: education.id, status: "COMPLETED", household: { id: household.id, headName: "林**" } } });
    expect(completedEvent.task.household.idNumber).toMatch(/^\d{6}\*+[\dX]$/);
    expect(await educationLive.drain(200)).toEqual([]);
    await educationLive.close();
    await departments.housing.client.query(ACCEPT, { id: housing.id });
    await departments.housing.client.query(COMPLETE, { id: housing.id });
    await departments.water.client.expectError("BAD_USER_INPUT", REJECT, { id: water.id, reason: "  " });
    const rejected = (await departments.water.client.query(REJECT, { id: water.id, reason: "不在供水范围" })).rejectJointHandlingTask;
    expect(rejected).toMatchObject({ status: "REJECTED", note: "不在供水范围", application: { status: "PARTLY_REJECTED" } });
    await departments.water.client.expectError("CONFLICT", ACCEPT, { id: water.id });

    // Closed tasks: the household is masked again for their departments.
    const closed = (await departments.education.client.query(TASKS, { status: "COMPLETED" })).jointHandlingTasks.nodes[0];
    expect(closed.household.headName).toBe("林**");
    expect(closed.household.idNumber).toMatch(/^\d{6}\*+[\dX]$/);
  });

  test("a rejected decision rejects the application; one with all items completed after approval completes", async () => {
    const other = await insertHousehold(server, { allianceId: tree.taipingB.id, category: "DIBAO" });
    const submitted = (await townshipCoordinator.query(SUBMIT, { input: { householdId: other.id, requested: "EXTREME_POVERTY", items: ["EDUCATION_AID"] } }))
      .submitAssistanceApplication;
    const rejected = (await countyCoordinator.query(DECIDE, { id: submitted.id, approved: false, reason: "收入超标" })).decideAssistanceApplication;
    expect(rejected).toMatchObject({ status: "REJECTED", decision: "REJECTED", effectiveOn: null });
    expect((await prisma().household.findUniqueOrThrow({ where: { id: other.id } })).category).toBe("DIBAO");

    const again = (await townshipCoordinator.query(SUBMIT, { input: { householdId: other.id, requested: "DIBAO", items: ["HOUSING_AID"] } }))
      .submitAssistanceApplication;
    await departments.housing.client.query(ACCEPT, { id: again.items[0].id });
    await departments.housing.client.query(COMPLETE, { id: again.items[0].id });
    const decided = (await server.admin.query(DECIDE, { id: again.id, approved: true, effectiveOn: daysAgo(0) })).decideAssistanceApplication;
    // Already DIBAO: only the decision is recorded.
    expect(decided).toMatchObject({ status: "COMPLETED", decision: "APPROVED" });
    expect(await prisma().householdCategoryChange.count({ where: { householdId: other.id } })).toBe(1);
  });
});

describe("bad inputs and scope", () => {
  test("unknown, retired, unmapped or repeated items, a household outside scope, an item already open: clear errors, nothing written", async () => {
    const household = await insertHousehold(server, { allianceId: tree.taipingA.id, category: "DIBAO", headName: "陈国强" });
    const jiaojiangHousehold = await insertHousehold(server, { allianceId: tree.haimenA.id, category: "DIBAO", headName: "周建平" });
    const input = { householdId: household.id, requested: "DIBAO", items: ["EDUCATION_AID"] };
    await townshipCoordinator.query(SUBMIT, { input });
    const before = await written();
    const cases: [GraphQLClient, string, Record<string, unknown>, RegExp][] = [
      [townshipCoordinator, "BAD_USER_INPUT", { items: ["NO_SUCH_ITEM"] }, /items.*no linked item has the code NO_SUCH_ITEM/],
      [townshipCoordinator, "BAD_USER_INPUT", { items: ["RETIRED_ITEM"] }, /RETIRED_ITEM is retired/],
      [townshipCoordinator, "BAD_USER_INPUT", { items: ["POWER_RELIEF"] }, /no department handles the item POWER_RELIEF/],
      [townshipCoordinator, "BAD_USER_INPUT", { items: ["HOUSING_AID", "HOUSING_AID"] }, /HOUSING_AID is selected twice/],
      [townshipCoordinator, "BAD_USER_INPUT", { requested: "OTHER_MONITORED" }, /requested/],
      [townshipCoordinator, "CONFLICT", { items: ["HOUSING_AID", "EDUCATION_AID"] }, /open application for the item EDUCATION_AID/],
      [townshipCoordinator, "FORBIDDEN", { householdId: jiaojiangHousehold.id }, /outside your scope/],
      [countyCoordinator, "FORBIDDEN", { items: ["HOUSING_AID"] }, /township or village/],
      [departments.education.client, "FORBIDDEN", { items: ["HOUSING_AID"] }, /township or village/],
      [townshipCoordinator, "BAD_USER_INPUT", { householdId: "00000000-0000-4000-8000-000000000000" }, /householdId/],
    ];
    for (const [client, code, change, message] of cases) {
      const { error } = await client.expectError(code, SUBMIT, { input: { ...input, ...change } });
      expect(error.message).toMatch(message);
      expect(error.message).not.toMatch(/陈国强|周建平/);
    }
    expect(await written()).toEqual(before);
  });

  test("lists keep their scope: coordinators their subtree, departments their queue, partners no applications", async () => {
    const wenling = (await countyCoordinator.query(APPLICATIONS)).assistanceApplications;
    expect(wenling.totalCount).toBe(await prisma().assistanceApplication.count());
    expect((await jiaojiangCoordinator.query(APPLICATIONS)).assistanceApplications.totalCount).toBe(0);
    await jiaojiangCoordinator.expectError("FORBIDDEN", APPLICATIONS, { allianceId: tree.wenling.id });
    await departments.education.client.expectError("FORBIDDEN", APPLICATIONS);
    const rejected = (await server.admin.query(APPLICATIONS, { status: "REJECTED" })).assistanceApplications;
    expect(rejected.nodes.every((node: { status: string }) => node.status === "REJECTED")).toBe(true);
    expect(rejected.totalCount).toBe(1);

    const page = (await countyCoordinator.query(APPLICATIONS, { first: 2 })).assistanceApplications;
    expect(page.nodes).toHaveLength(2);
    const education = (await departments.education.client.query(TASKS, { first: 1 })).jointHandlingTasks;
    const rest = (await departments.education.client.query(TASKS, { first: 100, after: education.pageInfo.endCursor })).jointHandlingTasks;
    expect(education.totalCount).toBe(await prisma().jointHandlingTask.count({ where: { organizationId: departments.education.id } }));
    expect(1 + rest.nodes.length).toBe(education.totalCount);

    const one = wenling.nodes[0].id;
    await jiaojiangCoordinator.expectError("FORBIDDEN", `query ($id: ID!) { assistanceApplication(id: $id) { id } }`, { id: one });
    await departments.education.client.expectError("FORBIDDEN", `query ($id: ID!) { assistanceApplication(id: $id) { id } }`, { id: one });
    // A department's view of an application shows only its own tasks.
    const seen = (await departments.education.client.query(`{ jointHandlingTasks(first: 100) { nodes { application { items { department { id } } } } } }`)).jointHandlingTasks.nodes;
    for (const node of seen) expect(node.application.items.every((t: { department: { id: string } }) => t.department.id === departments.education.id)).toBe(true);
  });
});
