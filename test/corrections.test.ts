import { coordinatorOf, createOrganization, createTaizhouTree, creditCode, insertHousehold, partnerOf, recordVisit, type OrganizationNode } from "./helpers/factories";
import { GraphQLClient } from "./helpers/graphql";
import { ADD_FUNDING, ALLOCATE, createGrant, createServiceProject, type ProjectNode } from "./helpers/projects";
import { startTestServer, stopAll } from "./helpers/server";
import { auditRows } from "./helpers/service-requests";

/** Setup signs in several accounts (argon2): generous on a busy machine. */
const SETUP_TIMEOUT = 180_000;

let server: Awaited<ReturnType<typeof startTestServer>>;
let tree: Awaited<ReturnType<typeof createTaizhouTree>>;
let wenlingCoordinator: GraphQLClient;
let jiaojiangCoordinator: GraphQLClient;
/** Member of 温岭市: leads `project`. */
let wenlingOrg: OrganizationNode;
/** Member of 太平街道: a partner of `project`. */
let taipingOrg: OrganizationNode;
let wenlingPartner: GraphQLClient;
let taipingPartner: GraphQLClient;
/** A project in 太平街道 led by wenlingOrg with taipingOrg as partner. */
let project: ProjectNode;
/** A household of 东门村 (in 太平街道). */
let household: { id: string };

const VOID_FUNDING = `mutation ($id: ID!, $reason: String!) {
  voidFunding(id: $id, reason: $reason) { id amount voidedAt voidReason voidedBy { id username } grant { id allocated remaining } }
}`;
const VOID_RECORD = `mutation ($id: ID!, $reason: String!) {
  voidServiceRecord(id: $id, reason: $reason) { id voidedAt voidReason voidedBy { username } }
}`;
const VOID_VISIT = `mutation ($id: ID!, $reason: String!) {
  voidVisit(id: $id, reason: $reason) { id voidedAt voidReason voidedBy { username } }
}`;
const RECORD_SERVICE = `mutation ($input: RecordServiceInput!) { recordService(input: $input) { id servedOn voidedAt } }`;
const PROJECT_FUNDING = `query ($id: ID!) {
  project(id: $id) { fundingTotal servedHouseholdTimes servedHouseholds fundings { id amount voidedAt voidReason voidedBy { username } } }
}`;
const UPDATE_PROJECT = `mutation ($input: UpdateServiceProjectInput!) {
  updateServiceProject(input: $input) { id name startDate endDate budget partners { id } }
}`;
const UPDATE_ORGANIZATION = `mutation ($input: UpdateOrganizationInput!) {
  updateOrganization(input: $input) { id name kind creditCode serviceCategories }
}`;

beforeAll(async () => {
  server = await startTestServer();
  tree = await createTaizhouTree(server.admin);
  wenlingCoordinator = await coordinatorOf(server, tree.wenling.id);
  jiaojiangCoordinator = await coordinatorOf(server, tree.jiaojiang.id);
  wenlingOrg = await createOrganization(server.admin, { allianceIds: [tree.wenling.id] });
  taipingOrg = await createOrganization(server.admin, { allianceIds: [tree.taiping.id] });
  wenlingPartner = await partnerOf(server, wenlingOrg.id);
  taipingPartner = await partnerOf(server, taipingOrg.id);
  project = await createServiceProject(server.admin, { allianceId: tree.taiping.id, leadOrganizationId: wenlingOrg.id, partnerIds: [taipingOrg.id] });
  household = await insertHousehold(server, { allianceId: tree.taipingA.id, size: 2 });
}, SETUP_TIMEOUT);
afterAll(() => stopAll(server));

async function addFunding(amount: string, projectId = project.id): Promise<string> {
  const data = await wenlingCoordinator.query(ADD_FUNDING, { input: { projectId, source: "CHARITY", amount, receivedOn: "2025-03-15" } });
  return data.addFunding.id;
}

async function fundingRow(id: string) {
  return server.app.prisma.funding.findUniqueOrThrow({ where: { id } });
}

describe("voidFunding", () => {
  test("a coordinator voids a funding: it stays listed with who, when and why, and leaves fundingTotal", async () => {
    const own = await createServiceProject(wenlingCoordinator, { allianceId: tree.taipingA.id, leadOrganizationId: wenlingOrg.id });
    await addFunding("1000.00", own.id);
    const mistyped = await addFunding("10000.00", own.id);
    expect((await server.admin.query(PROJECT_FUNDING, { id: own.id })).project.fundingTotal).toBe("11000.00");

    const { voidFunding } = await wenlingCoordinator.query(VOID_FUNDING, { id: mistyped, reason: "  金额录入多一个零  " });
    expect(voidFunding).toMatchObject({ id: mistyped, amount: "10000.00", voidReason: "金额录入多一个零", grant: null });
    expect(Date.parse(voidFunding.voidedAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(voidFunding.voidedBy.username).toMatch(/^coordinator-/);

    const read = (await server.admin.query(PROJECT_FUNDING, { id: own.id })).project;
    expect(read.fundingTotal).toBe("1000.00");
    expect(read.fundings).toHaveLength(2);
    expect(read.fundings.find((f: { id: string }) => f.id === mistyped)).toMatchObject({ voidReason: "金额录入多一个零", voidedBy: { username: voidFunding.voidedBy.username } });
    const audit = await server.app.prisma.auditLog.findFirst({ where: { operation: "voidFunding", resultId: mistyped } });
    expect(audit?.input).toEqual({ id: mistyped, reason: "金额录入多一个零" });
  });

  test("voiding twice is a CONFLICT and writes nothing", async () => {
    const id = await addFunding("50.00");
    await wenlingCoordinator.query(VOID_FUNDING, { id, reason: "重复录入" });
    const before = await fundingRow(id);
    const audits = await auditRows(server, "voidFunding");
    const { error } = await server.admin.expectError("CONFLICT", VOID_FUNDING, { id, reason: "再次作废" });
    expect(error.message).toMatch(/voided already/);
    expect(await fundingRow(id)).toEqual(before);
    expect(await auditRows(server, "voidFunding")).toBe(audits);
  });

  test("a blank or too long reason is BAD_USER_INPUT naming reason; nothing is written", async () => {
    const id = await addFunding("60.00");
    const audits = await auditRows(server, "voidFunding");
    const blank = await wenlingCoordinator.expectError("BAD_USER_INPUT", VOID_FUNDING, { id, reason: "   " });
    expect(blank.error.message).toMatch(/reason/);
    await wenlingCoordinator.expectError("BAD_USER_INPUT", VOID_FUNDING, { id, reason: "错".repeat(201) });
    expect((await fundingRow(id)).voidedAt).toBeNull();
    expect(await auditRows(server, "voidFunding")).toBe(audits);
  });

  test("an unknown id is NOT_FOUND; another subtree's coordinator and partners are FORBIDDEN; nothing is written", async () => {
    const id = await addFunding("70.00");
    const audits = await auditRows(server, "voidFunding");
    await wenlingCoordinator.expectError("NOT_FOUND", VOID_FUNDING, { id: "00000000-0000-4000-8000-000000000000", reason: "不存在" });
    await jiaojiangCoordinator.expectError("FORBIDDEN", VOID_FUNDING, { id, reason: "不是我的" });
    await wenlingPartner.expectError("FORBIDDEN", VOID_FUNDING, { id, reason: "牵头方也不行" });
    expect((await fundingRow(id)).voidedAt).toBeNull();
    expect(await auditRows(server, "voidFunding")).toBe(audits);
  });

  test("voiding a grant allocation returns its amount to the grant, which a new allocation can then use", async () => {
    const grant = await createGrant(server.admin, { allianceId: tree.wenling.id, amount: "1000.00" });
    const first = await wenlingCoordinator.query(ALLOCATE, { input: { grantId: grant.id, projectId: project.id, amount: "600.00", receivedOn: "2025-04-01" } });
    await wenlingCoordinator.expectError("GRANT_EXHAUSTED", ALLOCATE, { input: { grantId: grant.id, projectId: project.id, amount: "500.00", receivedOn: "2025-04-01" } });

    const { voidFunding } = await wenlingCoordinator.query(VOID_FUNDING, { id: first.allocateGrant.id, reason: "拨错项目" });
    expect(voidFunding.grant).toEqual({ id: grant.id, allocated: "0.00", remaining: "1000.00" });
    const stored = await server.app.prisma.welfareLotteryGrant.findUniqueOrThrow({ where: { id: grant.id } });
    expect(stored.allocated.toFixed(2)).toBe("0.00");

    const again = await wenlingCoordinator.query(ALLOCATE, { input: { grantId: grant.id, projectId: project.id, amount: "1000.00", receivedOn: "2025-04-02" } });
    expect(again.allocateGrant.grant).toMatchObject({ allocated: "1000.00", remaining: "0.00" });
    const allocations = await server.admin.query(`query ($id: ID!) { grant(id: $id) { allocations { id voidedAt } } }`, { id: grant.id });
    expect(allocations.grant.allocations).toHaveLength(2);
    expect(allocations.grant.allocations.filter((a: { voidedAt: string | null }) => a.voidedAt)).toHaveLength(1);
    // Voiding the same allocation twice returns nothing twice.
    await wenlingCoordinator.expectError("CONFLICT", VOID_FUNDING, { id: first.allocateGrant.id, reason: "再退一次" });
    expect((await server.app.prisma.welfareLotteryGrant.findUniqueOrThrow({ where: { id: grant.id } })).allocated.toFixed(2)).toBe("1000.00");
  });
});

describe("voidServiceRecord", () => {
  async function recordService(client: GraphQLClient, organizationId: string, extra: Record<string, unknown> = {}): Promise<string> {
    const data = await client.query(RECORD_SERVICE, {
      input: { projectId: project.id, householdId: household.id, organizationId, servedOn: "2025-05-10", ...extra },
    });
    return data.recordService.id;
  }

  test("a partner voids a record its organization made; 户次 leave the project's counts; voidedBy is hidden from partners", async () => {
    const counts = async () => (await server.admin.query(PROJECT_FUNDING, { id: project.id })).project;
    const before = await counts();
    const id = await recordService(taipingPartner, taipingOrg.id);
    expect((await counts()).servedHouseholdTimes).toBe(before.servedHouseholdTimes + 1);

    const { voidServiceRecord } = await taipingPartner.query(VOID_RECORD, { id, reason: "误录" });
    expect(voidServiceRecord).toMatchObject({ id, voidReason: "误录", voidedBy: null });
    expect(voidServiceRecord.voidedAt).toBeTruthy();
    expect((await counts()).servedHouseholdTimes).toBe(before.servedHouseholdTimes);
    const row = await server.app.prisma.serviceRecord.findUniqueOrThrow({ where: { id } });
    expect(row.voidedById).not.toBeNull();
    expect(row.voidReason).toBe("误录");
  });

  test("a partner voiding another organization's record is FORBIDDEN; a coordinator of its subtree may; twice is a CONFLICT", async () => {
    const id = await recordService(taipingPartner, taipingOrg.id);
    const audits = await auditRows(server, "voidServiceRecord");
    await wenlingPartner.expectError("FORBIDDEN", VOID_RECORD, { id, reason: "不是我们录的" });
    await jiaojiangCoordinator.expectError("FORBIDDEN", VOID_RECORD, { id, reason: "不在辖区" });
    await wenlingCoordinator.expectError("BAD_USER_INPUT", VOID_RECORD, { id, reason: "" });
    expect((await server.app.prisma.serviceRecord.findUniqueOrThrow({ where: { id } })).voidedAt).toBeNull();
    expect(await auditRows(server, "voidServiceRecord")).toBe(audits);

    const { voidServiceRecord } = await wenlingCoordinator.query(VOID_RECORD, { id, reason: "重复" });
    expect(voidServiceRecord.voidedBy.username).toMatch(/^coordinator-/);
    await taipingPartner.expectError("CONFLICT", VOID_RECORD, { id, reason: "重复" });
    await wenlingCoordinator.expectError("NOT_FOUND", VOID_RECORD, { id: "00000000-0000-4000-8000-000000000000", reason: "不存在" });
    expect(await auditRows(server, "voidServiceRecord")).toBe(audits + 1);
  });

  test("voiding the record that fulfilled a request leaves the request FULFILLED", async () => {
    const request = (
      await wenlingCoordinator.query(
        `mutation ($input: CreateServiceRequestInput!) { createServiceRequest(input: $input) { id } }`,
        { input: { allianceId: tree.taipingA.id, householdId: household.id, category: "PRECISION_ASSISTANCE", title: "助餐" } },
      )
    ).createServiceRequest;
    await server.app.prisma.organization.update({ where: { id: taipingOrg.id }, data: { serviceCategories: ["PRECISION_ASSISTANCE"] } });
    await taipingPartner.query(`mutation ($id: ID!) { claimServiceRequest(id: $id) { id } }`, { id: request.id });
    const id = await recordService(taipingPartner, taipingOrg.id, { serviceRequestId: request.id });
    await taipingPartner.query(VOID_RECORD, { id, reason: "服务未完成，需重新安排" });
    const read = await wenlingCoordinator.query(`query ($id: ID!) { serviceRequest(id: $id) { status } }`, { id: request.id });
    expect(read.serviceRequest.status).toBe("FULFILLED");
  });
});

describe("voidVisit", () => {
  const LAST_VISIT = `query ($id: ID!) { household(id: $id) { lastVisitOn visits { nodes { id voidedAt voidReason } } } }`;

  test("a coordinator voids a visit: it stays listed, and lastVisitOn forgets it", async () => {
    const visited = await insertHousehold(server, { allianceId: tree.taipingA.id });
    await recordVisit(wenlingCoordinator, { householdId: visited.id, visitedOn: "2025-03-01" });
    const wrong = await recordVisit(wenlingCoordinator, { householdId: visited.id, visitedOn: "2025-04-01" });
    expect((await wenlingCoordinator.query(LAST_VISIT, { id: visited.id })).household.lastVisitOn).toBe("2025-04-01");

    const { voidVisit } = await wenlingCoordinator.query(VOID_VISIT, { id: wrong.id, reason: "走访对象录错" });
    expect(voidVisit).toMatchObject({ id: wrong.id, voidReason: "走访对象录错" });
    const read = (await wenlingCoordinator.query(LAST_VISIT, { id: visited.id })).household;
    expect(read.lastVisitOn).toBe("2025-03-01");
    expect(read.visits.nodes).toHaveLength(2);
    expect(read.visits.nodes.find((v: { id: string }) => v.id === wrong.id).voidReason).toBe("走访对象录错");
  });

  test("a partner may not void a visit its organization did not make; blank reasons and second voids write nothing", async () => {
    const visited = await insertHousehold(server, { allianceId: tree.taipingA.id });
    const visit = await recordVisit(wenlingCoordinator, { householdId: visited.id, visitedOn: "2025-03-02" });
    const audits = await auditRows(server, "voidVisit");
    await taipingPartner.expectError("FORBIDDEN", VOID_VISIT, { id: visit.id, reason: "不是我们走访的" });
    await jiaojiangCoordinator.expectError("FORBIDDEN", VOID_VISIT, { id: visit.id, reason: "不在辖区" });
    await wenlingCoordinator.expectError("BAD_USER_INPUT", VOID_VISIT, { id: visit.id, reason: " " });
    await wenlingCoordinator.expectError("NOT_FOUND", VOID_VISIT, { id: "00000000-0000-4000-8000-000000000000", reason: "不存在" });
    expect((await server.app.prisma.visit.findUniqueOrThrow({ where: { id: visit.id } })).voidedAt).toBeNull();
    expect(await auditRows(server, "voidVisit")).toBe(audits);
    await server.admin.query(VOID_VISIT, { id: visit.id, reason: "录入错误" });
    await wenlingCoordinator.expectError("CONFLICT", VOID_VISIT, { id: visit.id, reason: "录入错误" });
    expect(await auditRows(server, "voidVisit")).toBe(audits + 1);
  });
});

describe("updateServiceProject", () => {
  test("changes name, dates, budget and partners, written to the audit log", async () => {
    const own = await createServiceProject(wenlingCoordinator, { allianceId: tree.taiping.id, leadOrganizationId: wenlingOrg.id, startDate: "2026-01-01" });
    const { updateServiceProject } = await wenlingCoordinator.query(UPDATE_PROJECT, {
      input: { id: own.id, name: "  助老服务项目  ", startDate: "2026-02-01", endDate: "2026-12-31", budget: "50000.00", partnerIds: [taipingOrg.id, wenlingOrg.id] },
    });
    expect(updateServiceProject).toEqual({
      id: own.id,
      name: "助老服务项目",
      startDate: "2026-02-01",
      endDate: "2026-12-31",
      budget: "50000.00",
      partners: [{ id: taipingOrg.id }],
    });
    expect(await server.app.prisma.auditLog.count({ where: { operation: "updateServiceProject", resultId: own.id } })).toBe(1);
    const cleared = await wenlingCoordinator.query(UPDATE_PROJECT, { input: { id: own.id, partnerIds: [] } });
    expect(cleared.updateServiceProject.partners).toEqual([]);
  });

  test("a budget below what is funded is BAD_USER_INPUT naming the funded amount; voided fundings do not count", async () => {
    const own = await createServiceProject(wenlingCoordinator, { allianceId: tree.taiping.id, leadOrganizationId: wenlingOrg.id, budget: "10000.00" });
    await addFunding("3000.00", own.id);
    const extra = await addFunding("2000.50", own.id);
    const { error } = await wenlingCoordinator.expectError("BAD_USER_INPUT", UPDATE_PROJECT, { input: { id: own.id, budget: "5000.00", name: "不应写入" } });
    expect(error.message).toMatch(/budget/);
    expect(error.message).toContain("5000.50");
    const row = await server.app.prisma.serviceProject.findUniqueOrThrow({ where: { id: own.id } });
    expect(row.budget.toFixed(2)).toBe("10000.00");
    expect(row.name).toBe(own.name);

    await wenlingCoordinator.query(VOID_FUNDING, { id: extra, reason: "重复" });
    const ok = await wenlingCoordinator.query(UPDATE_PROJECT, { input: { id: own.id, budget: "3000.00" } });
    expect(ok.updateServiceProject.budget).toBe("3000.00");
  });

  test("bad dates, partners outside the lineage and callers out of scope are refused, writing nothing", async () => {
    const own = await createServiceProject(wenlingCoordinator, { allianceId: tree.taiping.id, leadOrganizationId: wenlingOrg.id, startDate: "2026-01-01", endDate: "2026-06-30" });
    const outsider = await createOrganization(server.admin, { allianceIds: [tree.jiaojiang.id] });
    const audits = await auditRows(server, "updateServiceProject");
    const dates = await wenlingCoordinator.expectError("BAD_USER_INPUT", UPDATE_PROJECT, { input: { id: own.id, endDate: "2025-12-31" } });
    expect(dates.error.message).toMatch(/endDate/);
    await wenlingCoordinator.expectError("BAD_USER_INPUT", UPDATE_PROJECT, { input: { id: own.id, startDate: "2026-07-01" } });
    const partners = await wenlingCoordinator.expectError("BAD_USER_INPUT", UPDATE_PROJECT, { input: { id: own.id, partnerIds: [outsider.id] } });
    expect(partners.error.message).toMatch(/partnerIds/);
    await wenlingCoordinator.expectError("BAD_USER_INPUT", UPDATE_PROJECT, { input: { id: own.id, budget: "0.00" } });
    await wenlingPartner.expectError("FORBIDDEN", UPDATE_PROJECT, { input: { id: own.id, name: "伙伴改名" } });
    await jiaojiangCoordinator.expectError("FORBIDDEN", UPDATE_PROJECT, { input: { id: own.id, name: "越权改名" } });
    await wenlingCoordinator.expectError("NOT_FOUND", UPDATE_PROJECT, { input: { id: "00000000-0000-4000-8000-000000000000", name: "x" } });
    const row = await server.app.prisma.serviceProject.findUniqueOrThrow({ where: { id: own.id }, include: { partners: true } });
    expect(row).toMatchObject({ name: own.name, partners: [] });
    expect(row.endDate?.toISOString().slice(0, 10)).toBe("2026-06-30");
    expect(await auditRows(server, "updateServiceProject")).toBe(audits);
  });
});

describe("updateOrganization", () => {
  test("a coordinator changes the name, credit code and categories of an organization of its subtree", async () => {
    const org = await createOrganization(server.admin, { allianceIds: [tree.taipingB.id] });
    const code = creditCode();
    const { updateOrganization } = await wenlingCoordinator.query(UPDATE_ORGANIZATION, {
      input: { id: org.id, name: "西门村志愿队", creditCode: code, serviceCategories: ["ELDERLY_CARE", "ELDERLY_CARE", "MINOR_CARE"] },
    });
    expect(updateOrganization).toMatchObject({ id: org.id, name: "西门村志愿队", creditCode: code, serviceCategories: ["ELDERLY_CARE", "MINOR_CARE"] });
    expect(await server.app.prisma.auditLog.count({ where: { operation: "updateOrganization", resultId: org.id } })).toBe(1);
  });

  test("kind is ADMIN's; taken or invalid credit codes and organizations known elsewhere are refused, writing nothing", async () => {
    const org = await createOrganization(server.admin, { allianceIds: [tree.taipingB.id] });
    const takenCode = creditCode();
    await createOrganization(server.admin, { allianceIds: [tree.taipingB.id], creditCode: takenCode });
    const spread = await createOrganization(server.admin, { allianceIds: [tree.taipingB.id, tree.haimen.id] });
    const before = await server.app.prisma.organization.findUniqueOrThrow({ where: { id: org.id } });
    const audits = await auditRows(server, "updateOrganization");
    await wenlingCoordinator.expectError("FORBIDDEN", UPDATE_ORGANIZATION, { input: { id: org.id, kind: "ENTERPRISE" } });
    const taken = await wenlingCoordinator.expectError("CONFLICT", UPDATE_ORGANIZATION, { input: { id: org.id, creditCode: takenCode } });
    expect(taken.error.message).toMatch(/creditCode/);
    await wenlingCoordinator.expectError("BAD_USER_INPUT", UPDATE_ORGANIZATION, { input: { id: org.id, creditCode: "91331081MA2AAAAAA0" } });
    await wenlingCoordinator.expectError("FORBIDDEN", UPDATE_ORGANIZATION, { input: { id: spread.id, name: "跨区组织" } });
    await taipingPartner.expectError("FORBIDDEN", UPDATE_ORGANIZATION, { input: { id: taipingOrg.id, name: "自己改名" } });
    expect(await server.app.prisma.organization.findUniqueOrThrow({ where: { id: org.id } })).toEqual(before);
    expect(await auditRows(server, "updateOrganization")).toBe(audits);

    const { updateOrganization } = await server.admin.query(UPDATE_ORGANIZATION, { input: { id: org.id, kind: "ENTERPRISE" } });
    expect(updateOrganization.kind).toBe("ENTERPRISE");
  });
});
