import { isoDate, todayInChina } from "../src/common/scalars";
import { containsPersonalNumber, residentIdCheckCharacter } from "../src/common/validators";
import { eventAccessStatements, maskIdNumber, maskName } from "../src/modules/household";
import type { GraphQLClient, Subscription } from "./helpers/graphql";
import {
  coordinatorOf,
  createOrganization,
  createTaizhouTree,
  partnerOf,
  registerHousehold,
  residentId,
  type HouseholdNode,
} from "./helpers/factories";
import { ADD_FUNDING, createServiceProject } from "./helpers/projects";
import { startTestServer, stopAll } from "./helpers/server";

let server: Awaited<ReturnType<typeof startTestServer>>;
let tree: Awaited<ReturnType<typeof createTaizhouTree>>;

const HOUSEHOLD = `query ($id: ID!) { household(id: $id) { id headName idNumber members { name } } }`;
const ASSIGN = `mutation ($input: AssignHouseholdInput!) { assignHousehold(input: $input) { id } }`;
const END = `mutation ($id: ID!, $on: Date) { endHouseholdAssignment(id: $id, on: $on) { id to } }`;
const VISIT = `mutation ($input: RecordVisitInput!) { recordVisit(input: $input) { id } }`;
const REQUEST_HOUSEHOLD = `id status household { id headName idNumber members { name } } raisedBy { account { id } organization { id } }`;
const CLAIM = `mutation ($id: ID!) { claimServiceRequest(id: $id) { ${REQUEST_HOUSEHOLD} } }`;
const RELEASE = `mutation ($id: ID!) { releaseServiceRequest(id: $id) { ${REQUEST_HOUSEHOLD} } }`;
const CREATE_REQUEST = `mutation ($input: CreateServiceRequestInput!) { createServiceRequest(input: $input) { id raisedBy { account { id } organization { id } } } }`;
const ACCESSES = `query ($householdId: ID, $accountId: ID, $from: DateTime, $to: DateTime, $first: Int, $after: String) {
  personalDataAccesses(householdId: $householdId, accountId: $accountId, from: $from, to: $to, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { account { id username } household { id } day ground firstAt lastAt count }
  }
}`;

const prisma = () => server.app.prisma;
const today = () => isoDate(todayInChina());

function daysFromToday(days: number): string {
  const t = todayInChina();
  return isoDate(new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate() + days)));
}

async function accountId(client: GraphQLClient): Promise<string> {
  return (await client.query(`{ me { id } }`)).me.id;
}

/** The access-record rows of one household, by account id. */
async function accessRows(householdId: string) {
  const rows = await prisma().personalDataAccess.findMany({ where: { householdId } });
  return new Map(rows.map((row) => [row.accountId, row]));
}

/** Waits until the access record holds `n` rows for the household (rows of subscription events are written in a batch). */
async function untilRows(householdId: string, n: number) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const count = await prisma().personalDataAccess.count({ where: { householdId } });
    if (count >= n || Date.now() > deadline) return count;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

let coordinator: GraphQLClient;
let organization: { id: string };
let otherOrganization: { id: string };
let partner: GraphQLClient;
let otherPartner: GraphQLClient;

beforeAll(async () => {
  server = await startTestServer();
  tree = await createTaizhouTree(server.admin);
  coordinator = await coordinatorOf(server, tree.wenling.id);
  organization = await createOrganization(server.admin, { allianceIds: [tree.wenling.id], serviceCategories: ["PRECISION_ASSISTANCE", "ELDERLY_CARE"] });
  otherOrganization = await createOrganization(server.admin, { allianceIds: [tree.taiping.id], serviceCategories: ["ELDERLY_CARE"] });
  partner = await partnerOf(server, organization.id);
  otherPartner = await partnerOf(server, otherOrganization.id);
});
afterAll(() => stopAll(server));

describe("masking (unit)", () => {
  test("a name keeps its family name and `**`; compound surnames keep both characters", () => {
    expect(maskName("卢娜")).toBe("卢**");
    expect(maskName("张小明")).toBe("张**");
    expect(maskName("欧阳小明")).toBe("欧阳**");
    expect(maskName("司马光")).toBe("司马**");
    expect(maskName("诸葛亮")).toBe("诸葛**");
    expect(maskName("第五伦")).toBe("第五**");
    expect(maskName("欧阳")).toBe("欧**");
    expect(maskName("𠮷野家")).toBe("𠮷**");
  });

  test("an ID number keeps its first 6 and last 1 characters", () => {
    expect(maskIdNumber("33108119620207225X")).toBe("331081***********X");
    expect(maskIdNumber("331002196001011234")).toBe("331002***********4");
  });
});

describe("path 1 of the issue, replayed: a partner's own actions never unmask a household", () => {
  test("no visit without an assignment; a need its own visit raised, claimed after the assignment ended, stays masked", async () => {
    const household = await registerHousehold(server.admin, { allianceId: tree.taipingA.id, headName: "卢娜", idNumber: residentId("19620207") });
    const list = await partner.query(`{ households(first: 100) { nodes { id headName idNumber } } }`);
    const node = list.households.nodes.find((n: { id: string }) => n.id === household.id);
    expect(node).toEqual({ id: household.id, headName: "卢**", idNumber: maskIdNumber(household.idNumber) });

    const before = await prisma().serviceRequest.count();
    await partner.expectError("FORBIDDEN", VISIT, {
      input: { householdId: household.id, visitedOn: today(), happinessListDelivered: true, needs: ["PRECISION_ASSISTANCE"] },
    });
    expect(await prisma().serviceRequest.count()).toBe(before);

    const assignment = await coordinator.query(ASSIGN, {
      input: { householdId: household.id, organizationId: organization.id, from: daysFromToday(-3) },
    });
    await partner.query(VISIT, {
      input: { householdId: household.id, visitedOn: daysFromToday(-2), happinessListDelivered: true, needs: ["PRECISION_ASSISTANCE"] },
    });
    await coordinator.query(END, { id: assignment.assignHousehold.id, on: daysFromToday(-1) });
    const request = await prisma().serviceRequest.findFirstOrThrow({ where: { householdId: household.id, status: "OPEN" } });
    expect(request.raisedByOrganizationId).toBe(organization.id);

    const claimed = await partner.query(CLAIM, { id: request.id });
    expect(claimed.claimServiceRequest.status).toBe("CLAIMED");
    expect(claimed.claimServiceRequest.household).toEqual({
      id: household.id,
      headName: "卢**",
      idNumber: maskIdNumber(household.idNumber),
      members: [{ name: "卢**" }],
    });
    expect(claimed.claimServiceRequest.raisedBy.organization).toEqual({ id: organization.id });
    const read = await partner.query(HOUSEHOLD, { id: household.id });
    expect(JSON.stringify(read)).not.toContain("卢娜");
    expect(JSON.stringify(read)).not.toContain(household.idNumber);
    const released = await partner.query(RELEASE, { id: request.id });
    expect(released.releaseServiceRequest.household.headName).toBe("卢**");
    expect((await accessRows(household.id)).has(await accountId(partner))).toBe(false);
  });

  test("a claim of a need another party raised (a coordinator, another organization's visit) unmasks, and release masks again", async () => {
    const household = await registerHousehold(server.admin, {
      allianceId: tree.taipingB.id,
      headName: "欧阳小明",
      members: [{ name: "司马光", birthDate: "2015-03-01" }],
    });
    const raised = await coordinator.query(CREATE_REQUEST, {
      input: { allianceId: tree.taipingB.id, householdId: household.id, category: "PRECISION_ASSISTANCE", title: "送米送油" },
    });
    expect(raised.createServiceRequest.raisedBy).toEqual({ account: { id: await accountId(coordinator) }, organization: null });
    const claimed = await partner.query(CLAIM, { id: raised.createServiceRequest.id });
    expect(claimed.claimServiceRequest.household).toMatchObject({ headName: "欧阳小明", idNumber: household.idNumber });
    expect(claimed.claimServiceRequest.household.members.map((m: { name: string }) => m.name).sort()).toEqual(["司马光", "欧阳小明"].sort());
    const row = (await accessRows(household.id)).get(await accountId(partner));
    expect(row).toMatchObject({ ground: "CLAIMED", count: 1 });
    expect(((await otherPartner.query(HOUSEHOLD, { id: household.id })).household.headName)).toBe("欧阳**");
    await partner.query(RELEASE, { id: raised.createServiceRequest.id });
    const after = (await partner.query(HOUSEHOLD, { id: household.id })).household;
    expect(after).toMatchObject({ headName: "欧阳**", idNumber: maskIdNumber(household.idNumber) });
    expect(after.members.map((m: { name: string }) => m.name).sort()).toEqual(["司马**", "欧阳**"].sort());

    const assignment = await coordinator.query(ASSIGN, { input: { householdId: household.id, organizationId: otherOrganization.id } });
    await otherPartner.query(VISIT, { input: { householdId: household.id, visitedOn: today(), happinessListDelivered: false, needs: ["ELDERLY_CARE"] } });
    await coordinator.query(END, { id: assignment.assignHousehold.id, on: today() });
    const found = await prisma().serviceRequest.findFirstOrThrow({ where: { householdId: household.id, status: "OPEN", category: "ELDERLY_CARE" } });
    const byOther = await partner.query(CLAIM, { id: found.id });
    expect(byOther.claimServiceRequest.household.headName).toBe("欧阳小明");
    await partner.query(RELEASE, { id: found.id });
  });
});

describe("a partner with an assignment", () => {
  test("sees names unmasked while it is active (ground ASSIGNED recorded), masked once it has ended", async () => {
    const household = await registerHousehold(server.admin, { allianceId: tree.taipingA.id, headName: "罗大鹏" });
    const assignment = await coordinator.query(ASSIGN, {
      input: { householdId: household.id, organizationId: organization.id, from: daysFromToday(-10) },
    });
    const seen = await partner.query(HOUSEHOLD, { id: household.id });
    expect(seen.household).toMatchObject({ headName: "罗大鹏", idNumber: household.idNumber, members: [{ name: "罗大鹏" }] });
    const partnerId = await accountId(partner);
    expect((await accessRows(household.id)).get(partnerId)).toMatchObject({ ground: "ASSIGNED", count: 1 });
    const mine = await partner.query(`{ assignments(active: true, first: 100) { nodes { household { id headName idNumber } } } }`);
    expect(mine.assignments.nodes).toContainEqual({ household: { id: household.id, headName: "罗大鹏", idNumber: household.idNumber } });

    await coordinator.query(END, { id: assignment.assignHousehold.id, on: daysFromToday(-1) });
    const after = await partner.query(HOUSEHOLD, { id: household.id });
    expect(after.household).toMatchObject({ headName: "罗**", idNumber: maskIdNumber(household.idNumber), members: [{ name: "罗**" }] });
    expect((await accessRows(household.id)).get(partnerId)?.count).toBe(2);
  });
});

describe("the access record", () => {
  let households: HouseholdNode[];

  beforeAll(async () => {
    households = [];
    for (let i = 0; i < 20; i += 1) households.push(await registerHousehold(server.admin, { allianceId: tree.haimenA.id, headName: `海门${i}号` }));
  });

  test("one row per account, household and day, its count rising with each request that reads it; masked reads write nothing", async () => {
    const [household] = households;
    const jiaojiangCoordinator = await coordinatorOf(server, tree.jiaojiang.id);
    const jiaojiangPartner = await partnerOf(server, (await createOrganization(server.admin, { allianceIds: [tree.jiaojiang.id] })).id);
    const registered = (await accessRows(household.id)).get(await accountId(server.admin));
    expect(registered).toMatchObject({ ground: "ADMIN", count: 1 });
    await server.admin.query(HOUSEHOLD, { id: household.id });
    await server.admin.query(HOUSEHOLD, { id: household.id });
    await jiaojiangCoordinator.query(HOUSEHOLD, { id: household.id });
    const before = await prisma().personalDataAccess.count();
    const masked = await jiaojiangPartner.query(HOUSEHOLD, { id: household.id });
    expect(masked.household.headName).toBe("海**");
    expect(await prisma().personalDataAccess.count()).toBe(before);
    await jiaojiangCoordinator.query(`query ($id: ID!) { household(id: $id) { id category size } }`, { id: household.id });

    const rows = await accessRows(household.id);
    const admin = rows.get(await accountId(server.admin));
    const coordinatorRow = rows.get(await accountId(jiaojiangCoordinator));
    expect(admin).toMatchObject({ ground: "ADMIN", count: 3 });
    expect(isoDate(admin!.day)).toBe(today());
    expect(admin!.lastAt.getTime()).toBeGreaterThanOrEqual(admin!.firstAt.getTime());
    expect(coordinatorRow).toMatchObject({ ground: "COORDINATOR", count: 1 });
    expect(rows.has(await accountId(jiaojiangPartner))).toBe(false);
  });

  test("a page of 20 unmasked households is written in one statement, as a page of 2 is", async () => {
    const reader = await coordinatorOf(server, tree.haimen.id);
    const query = (fields: string) => `query ($first: Int) { households(allianceId: "${tree.haimenA.id}", first: $first) { nodes { id ${fields} } } }`;
    // The fewer of two runs: a run may also re-check the token (at most every TOKEN_CHECK_SECONDS).
    const statementsFor = async (first: number, fields: string) => {
      const runs: number[] = [];
      for (let run = 0; run < 2; run += 1) {
        const before = server.statements();
        const data = await reader.query(query(fields), { first });
        expect(data.households.nodes).toHaveLength(first);
        runs.push(server.statements() - before);
      }
      return Math.min(...runs);
    };
    const plain = await statementsFor(20, "");
    const unmasked = await statementsFor(20, "headName idNumber members { name }");
    const small = await statementsFor(2, "headName idNumber members { name }");
    // the PII ground (one statement), the members (one) and the access record (one)
    expect(unmasked - plain).toBe(3);
    expect(small).toBe(unmasked);
    const readerId = await accountId(reader);
    const rows = await prisma().personalDataAccess.findMany({ where: { accountId: readerId } });
    expect(rows).toHaveLength(20);
    expect(rows.find((row) => row.householdId === households[0].id)?.count).toBe(4);
    expect(rows.find((row) => row.householdId === households[19].id)?.count).toBe(2);
  });

  test("personalDataAccesses: ADMIN reads it newest first, filtered by household, account and time; others are FORBIDDEN", async () => {
    const [household] = households;
    const all = await server.admin.query(ACCESSES, { householdId: household.id });
    expect(all.personalDataAccesses.totalCount).toBe(await prisma().personalDataAccess.count({ where: { householdId: household.id } }));
    const lastAts = all.personalDataAccesses.nodes.map((n: { lastAt: string }) => n.lastAt);
    expect([...lastAts].sort().reverse()).toEqual(lastAts);
    expect(all.personalDataAccesses.nodes.every((n: { household: { id: string }; day: string }) => n.household.id === household.id && n.day === today())).toBe(true);

    const adminId = await accountId(server.admin);
    const mine = await server.admin.query(ACCESSES, { householdId: household.id, accountId: adminId });
    expect(mine.personalDataAccesses.nodes).toHaveLength(1);
    expect(mine.personalDataAccesses.nodes[0]).toMatchObject({ account: { id: adminId, username: "admin" }, ground: "ADMIN" });
    const future = await server.admin.query(ACCESSES, { from: new Date(Date.now() + 3_600_000).toISOString() });
    expect(future.personalDataAccesses.totalCount).toBe(0);
    const past = await server.admin.query(ACCESSES, { to: new Date(Date.now() - 86_400_000 * 2).toISOString() });
    expect(past.personalDataAccesses.totalCount).toBe(0);

    const paged: string[] = [];
    let after: string | null = null;
    do {
      const page: any = await server.admin.query(ACCESSES, { first: 7, after });
      paged.push(...page.personalDataAccesses.nodes.map((n: { account: { id: string }; household: { id: string } }) => `${n.account.id}/${n.household.id}`));
      after = page.personalDataAccesses.pageInfo.hasNextPage ? page.personalDataAccesses.pageInfo.endCursor : null;
    } while (after);
    expect(new Set(paged).size).toBe(paged.length);
    expect(paged.length).toBe(await prisma().personalDataAccess.count());

    await coordinator.expectError("FORBIDDEN", ACCESSES, {});
    const { data } = await partner.expectError("FORBIDDEN", ACCESSES, { householdId: household.id });
    expect(data?.personalDataAccesses ?? null).toBeNull();
    await server.admin.expectError("BAD_USER_INPUT", ACCESSES, { after: "nope" });
  });

  test("a subscription event read unmasked by several subscribers is recorded for each, in one statement however many they are", async () => {
    const subscribe = (client: GraphQLClient): Subscription<any> =>
      client.subscribe(`subscription { serviceRequestEvents(filter: { allianceId: "${tree.haimenA.id}" }) { kind request { household { id headName } } } }`);
    const jiaojiangCoordinator = await coordinatorOf(server, tree.jiaojiang.id);
    const haimenCoordinator = await coordinatorOf(server, tree.haimen.id);
    const raiser = await coordinatorOf(server, tree.haimen.id);

    const eventFor = async (subscribers: GraphQLClient[], household: HouseholdNode) => {
      const subscriptions = subscribers.map(subscribe);
      await Promise.all(subscriptions.map((s) => s.ready()));
      await prisma().personalDataAccess.deleteMany({ where: { householdId: household.id } });
      const statements = eventAccessStatements(server.app);
      await raiser.query(`mutation ($input: CreateServiceRequestInput!) { createServiceRequest(input: $input) { id } }`, {
        input: { allianceId: tree.haimenA.id, householdId: household.id, category: "OTHER", title: "上门走访" },
      });
      for (const s of subscriptions) {
        const event = await s.next(3000);
        expect(event.data?.serviceRequestEvents.request.household).toEqual({ id: household.id, headName: household.headName });
      }
      expect(await untilRows(household.id, subscribers.length)).toBe(subscribers.length);
      await Promise.all(subscriptions.map((s) => s.close()));
      return eventAccessStatements(server.app) - statements;
    };

    const two = await eventFor([server.admin, jiaojiangCoordinator], households[5]);
    const rows = await accessRows(households[5].id);
    expect(rows.get(await accountId(server.admin))).toMatchObject({ ground: "ADMIN", count: 1 });
    expect(rows.get(await accountId(jiaojiangCoordinator))).toMatchObject({ ground: "COORDINATOR", count: 1 });
    const three = await eventFor([server.admin, jiaojiangCoordinator, haimenCoordinator], households[6]);
    expect(two).toBe(1);
    expect(three).toBe(1);
  });
});

describe("free text must not carry ID or phone numbers", () => {
  const validId = (birth: string) => {
    const first17 = `331081${birth}123`;
    return first17 + residentIdCheckCharacter(first17);
  };
  const wrongCheck = (birth: string) => {
    const id = validId(birth);
    const wrong = id[17] === "0" ? "1" : "0";
    return id.slice(0, 17) + wrong;
  };

  test("what counts (unit): full-width digits, spaces and dashes are seen through; a wrong check digit is not an ID", () => {
    expect(containsPersonalNumber("请联系 13812345678")).toBe(true);
    expect(containsPersonalNumber("电话：１３８－１２３４－５６７８")).toBe(true);
    expect(containsPersonalNumber("138 1234 5678")).toBe(true);
    expect(containsPersonalNumber("138\u30001234\u30005678")).toBe(true);
    expect(containsPersonalNumber("138—1234—5678")).toBe(true);
    expect(containsPersonalNumber("编号9913812345678")).toBe(true);
    expect(containsPersonalNumber(`身份证 ${validId("20050101")}`)).toBe(true);
    expect(containsPersonalNumber(`身份证 ${validId("20050101").slice(0, 6)}-${validId("20050101").slice(6)}`)).toBe(true);
    expect(containsPersonalNumber(`身份证 ${validId("20050101").toLowerCase()}`)).toBe(true);
    expect(containsPersonalNumber(`编号 ${wrongCheck("20050101")}`)).toBe(false);
    expect(containsPersonalNumber("送米送油 2025-06-30，12345 户")).toBe(false);
    expect(containsPersonalNumber("座机 0576-86123456")).toBe(false);
  });

  test("each free-text field refuses them with BAD_USER_INPUT on that field, never echoing the text, writing nothing", async () => {
    const household = await registerHousehold(server.admin, { allianceId: tree.taipingA.id });
    const lead = await createOrganization(server.admin, { allianceIds: [tree.wenling.id] });
    const project = await createServiceProject(coordinator, { allianceId: tree.taiping.id, leadOrganizationId: lead.id });
    const phone = "１３９ ８７６５－４３２１";
    const counts = async () => ({
      requests: await prisma().serviceRequest.count(),
      visits: await prisma().visit.count(),
      records: await prisma().serviceRecord.count(),
      fundings: await prisma().funding.count(),
      audit: await prisma().auditLog.count(),
    });
    const refused = async (field: string, query: string, variables: Record<string, unknown>) => {
      const before = await counts();
      const { error } = await coordinator.expectError("BAD_USER_INPUT", query, variables);
      expect(error.extensions?.field).toBe(field);
      expect(error.message).toContain("must not contain an ID or phone number");
      expect(JSON.stringify(error)).not.toContain("8765");
      expect(await counts()).toEqual(before);
    };
    const requestInput = { allianceId: tree.taipingA.id, category: "OTHER", title: "送米送油" };
    await refused("title", CREATE_REQUEST, { input: { ...requestInput, title: `联系 ${phone}` } });
    await refused("description", CREATE_REQUEST, { input: { ...requestInput, description: `身份证号 ${validId("20050101")}` } });
    const visitInput = { householdId: household.id, visitedOn: today(), happinessListDelivered: false };
    await refused("note", VISIT, { input: { ...visitInput, note: `家属电话 ${phone}` } });
    const RECORD = `mutation ($input: RecordServiceInput!) { recordService(input: $input) { id } }`;
    const recordInput = { projectId: project.id, householdId: household.id, organizationId: lead.id, servedOn: today() };
    await refused("note", RECORD, { input: { ...recordInput, note: `回访 ${phone}` } });
    const fundingInput = { projectId: project.id, source: "CHARITY", amount: "100.00", receivedOn: today() };
    await refused("note", ADD_FUNDING, { input: { ...fundingInput, note: `捐赠人 ${phone}` } });

    const request = await coordinator.query(CREATE_REQUEST, { input: { ...requestInput, description: `编号 ${wrongCheck("20050101")}` } });
    const CANCEL = `mutation ($id: ID!, $reason: String!) { cancelServiceRequest(id: $id, reason: $reason) { status cancelReason } }`;
    await refused("reason", CANCEL, { id: request.createServiceRequest.id, reason: `已电话联系 ${phone}` });
    expect((await prisma().serviceRequest.findUniqueOrThrow({ where: { id: request.createServiceRequest.id } })).status).toBe("OPEN");

    await coordinator.query(VISIT, { input: { ...visitInput, note: "座机 0576-86123456，下次再访" } });
    await coordinator.query(RECORD, { input: { ...recordInput, note: "送餐 3 份" } });
    await coordinator.query(ADD_FUNDING, { input: { ...fundingInput, note: "2025-06 捐赠" } });
    const cancelled = await coordinator.query(CANCEL, { id: request.createServiceRequest.id, reason: "家庭情况已变化" });
    expect(cancelled.cancelServiceRequest.status).toBe("CANCELLED");
  });
});

describe("registerHousehold with a 身份证号 registered elsewhere", () => {
  test("outside the caller's scope: CONFLICT that names nothing, nothing written but the refused attempt in the audit log", async () => {
    const idNumber = residentId("19700505", "331002");
    const existing = await registerHousehold(server.admin, { allianceId: tree.haimenA.id, headName: "海门户主", idNumber });
    const REGISTER = `mutation ($input: RegisterHouseholdInput!) { registerHousehold(input: $input) { id } }`;
    const before = {
      households: await prisma().household.count(),
      members: await prisma().householdMember.count(),
    };
    const audits = await prisma().auditLog.count({ where: { operation: "registerHousehold" } });
    const { error } = await coordinator.expectError("CONFLICT", REGISTER, {
      input: { allianceId: tree.taipingA.id, category: "DIBAO", headName: "另一人", idNumber, members: [] },
    });
    expect(error.message).toBe("idNumber: this 身份证号 cannot be registered here");
    expect(error.extensions?.field).toBe("idNumber");
    const text = JSON.stringify(error);
    for (const secret of [existing.id, tree.haimenA.id, "海门", idNumber, idNumber.slice(6, 14)]) expect(text).not.toContain(secret);
    expect({ households: await prisma().household.count(), members: await prisma().householdMember.count() }).toEqual(before);
    const rows = await prisma().auditLog.findMany({ where: { operation: "registerHousehold" }, orderBy: { id: "desc" }, take: 1 });
    expect(await prisma().auditLog.count({ where: { operation: "registerHousehold" } })).toBe(audits + 1);
    expect(rows[0]).toMatchObject({ resultId: null, accountId: await accountId(coordinator) });
    expect(rows[0].input).toMatchObject({ refused: "DUPLICATE_ID_NUMBER", headName: "另**", idNumber: maskIdNumber(idNumber) });

    const inside = await server.admin.expectError("CONFLICT", REGISTER, {
      input: { allianceId: tree.taipingA.id, category: "DIBAO", headName: "另一人", idNumber, members: [] },
    });
    expect(inside.error.message).toContain("registered already");
  });
});
