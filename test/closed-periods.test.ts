import { coordinatorOf, createAlliance, createOrganization, createTaizhouTree, insertHousehold, partnerOf, recordVisit, residentId } from "./helpers/factories";
import type { GraphQLClient } from "./helpers/graphql";
import { ADD_FUNDING, createServiceProject } from "./helpers/projects";
import { startTestServer, stopAll } from "./helpers/server";

/**
 * closeReportingPeriod on 太平街道 (a township of 温岭市) through 2025-06-30: who may close, what
 * `closedThrough` says below it, the figures that stay as stored while undated facts change, the
 * dated writes refused inside the closed period, and ADMIN corrections that update the stored figures.
 */
const SETUP_TIMEOUT = 180_000;
const THROUGH = "2025-06-30";
const H1 = { from: "2025-01-01", to: THROUGH };
const MARCH = { from: "2025-03-01", to: "2025-03-31" };
const YEAR = { from: "2025-01-01", to: "2025-12-31" };

let server: Awaited<ReturnType<typeof startTestServer>>;
let tree: Awaited<ReturnType<typeof createTaizhouTree>>;
let wenlingCoordinator: GraphQLClient;
let taipingCoordinator: GraphQLClient;
let partner: GraphQLClient;
let organizationId: string;
let project: { id: string };
let household: { id: string };
/** Records dated inside the closed period, made before the close. */
let marchRecord: string;
let marchVisit: string;
let marchFunding: string;

const CLOSE = `mutation ($id: ID!, $through: Date!) { closeReportingPeriod(allianceId: $id, through: $through) { id closedThrough } }`;
const CLOSED_THROUGH = `query ($id: ID!) { alliance(id: $id) { closedThrough } }`;
const STATS = `query ($id: ID!, $from: Date!, $to: Date!) { stats(allianceId: $id, from: $from, to: $to) {
  from to lowIncomePopulation { total dibao dibaoMarginal extremePoverty otherMonitored }
  projectCount fundingTotal fundingBySource { source amount } linkedDepartments participatingSocialOrganizations
  householdTimesServed householdsServed visitHouseholdTimes happinessListsDelivered
  alliancesByLevel { level total standard } standardOperationRate openServiceRequests } }`;
const RECORD_SERVICE = `mutation ($input: RecordServiceInput!) { recordService(input: $input) { id servedOn } }`;
const RECORD_VISIT = `mutation ($input: RecordVisitInput!) { recordVisit(input: $input) { id visitedOn } }`;
const REGISTER = `mutation ($input: RegisterHouseholdInput!) { registerHousehold(input: $input) { id } }`;
const CHANGE_CATEGORY = `mutation ($input: ChangeHouseholdCategoryInput!) { changeHouseholdCategory(input: $input) { id } }`;
const VOID_FUNDING = `mutation ($id: ID!, $reason: String!) { voidFunding(id: $id, reason: $reason) { id } }`;
const VOID_VISIT = `mutation ($id: ID!, $reason: String!) { voidVisit(id: $id, reason: $reason) { id } }`;
const VOID_RECORD = `mutation ($id: ID!, $reason: String!) { voidServiceRecord(id: $id, reason: $reason) { id } }`;
const SET_STATUS = `mutation ($id: ID!, $status: OperatingStatus!) { setOperatingStatus(allianceId: $id, status: $status) { id } }`;

async function stats(client: GraphQLClient, id: string, period: { from: string; to: string }) {
  return (await client.query(STATS, { id, ...period })).stats;
}

async function count(table: string, where = "TRUE"): Promise<number> {
  const rows = await server.app.prisma.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`);
  return Number(rows[0].n);
}

const lastAuditId = async () => (await server.app.prisma.auditLog.findFirst({ orderBy: { id: "desc" } }))?.id ?? 0n;
const auditAfter = (id: bigint) => server.app.prisma.auditLog.findMany({ where: { id: { gt: id } }, orderBy: { id: "asc" } });

/** What a write must not leave behind when refused: no audit row, and the table's rows unchanged. */
async function expectNothingWritten(table: string, attempt: () => Promise<unknown>) {
  const [audit, rows] = [await lastAuditId(), await count(table)];
  await attempt();
  expect(await auditAfter(audit)).toEqual([]);
  expect(await count(table)).toBe(rows);
}

const serviceInput = (servedOn: string) => ({ projectId: project.id, householdId: household.id, organizationId, servedOn });

beforeAll(async () => {
  server = await startTestServer();
  tree = await createTaizhouTree(server.admin);
  wenlingCoordinator = await coordinatorOf(server, tree.wenling.id);
  taipingCoordinator = await coordinatorOf(server, tree.taiping.id);
  organizationId = (await createOrganization(server.admin, { allianceIds: [tree.wenling.id] })).id;
  partner = await partnerOf(server, organizationId);
  project = await createServiceProject(server.admin, { allianceId: tree.taiping.id, leadOrganizationId: organizationId, startDate: "2024-10-01" });
  household = await insertHousehold(server, { allianceId: tree.taipingA.id, category: "DIBAO", size: 3, recognizedOn: "2024-06-01" });
  await insertHousehold(server, { allianceId: tree.taipingB.id, category: "EXTREME_POVERTY", size: 1, recognizedOn: "2024-06-01" });

  marchRecord = (await server.admin.query(RECORD_SERVICE, { input: serviceInput("2025-03-10") })).recordService.id;
  await server.admin.query(RECORD_SERVICE, { input: serviceInput("2025-04-10") });
  await server.admin.query(RECORD_SERVICE, { input: serviceInput("2025-05-10") });
  marchVisit = (await recordVisit(server.admin, { householdId: household.id, visitedOn: "2025-03-12", happinessListDelivered: true })).id;
  marchFunding = (
    await server.admin.query(ADD_FUNDING, { input: { projectId: project.id, source: "CHARITY", amount: "1000.00", receivedOn: "2025-03-01" } })
  ).addFunding.id;
}, SETUP_TIMEOUT);
afterAll(() => stopAll(server));

describe("closeReportingPeriod", () => {
  test("a partner, a coordinator outside the subtree, a day in the future: refused, nothing written", async () => {
    const before = await lastAuditId();
    const byPartner = await partner.expectError("FORBIDDEN", CLOSE, { id: tree.taiping.id, through: THROUGH });
    expect(byPartner.error.message).toMatch(/coordinators and ADMIN/);
    await taipingCoordinator.expectError("FORBIDDEN", CLOSE, { id: tree.wenling.id, through: THROUGH });
    await wenlingCoordinator.expectError("FORBIDDEN", CLOSE, { id: tree.jiaojiang.id, through: THROUGH });
    const future = await wenlingCoordinator.expectError("BAD_USER_INPUT", CLOSE, { id: tree.taiping.id, through: "2099-01-01" });
    expect(future.error.message).toMatch(/^through: must not be in the future/);
    expect(future.error.extensions?.field).toBe("through");
    await server.admin.expectError("NOT_FOUND", CLOSE, { id: "00000000-0000-4000-8000-000000000000", through: THROUGH });

    expect(await auditAfter(before)).toEqual([]);
    expect(await count("reporting_close")).toBe(0);
    expect(await count("closed_figures")).toBe(0);
    expect(await count("alliance", "closed_through IS NOT NULL")).toBe(0);
  });

  test("a coordinator closes an alliance of its subtree: closedThrough on it and below, one reporting_close row, audit, stored figures", async () => {
    const before = await lastAuditId();
    const beforeH1 = await stats(wenlingCoordinator, tree.taiping.id, H1);
    const data = await wenlingCoordinator.query(CLOSE, { id: tree.taiping.id, through: THROUGH });
    expect(data.closeReportingPeriod).toEqual({ id: tree.taiping.id, closedThrough: THROUGH });

    const page = await server.admin.query(`{ alliances(first: 100) { nodes { id closedThrough } } }`);
    const closedThrough = Object.fromEntries(page.alliances.nodes.map((a: { id: string; closedThrough: string | null }) => [a.id, a.closedThrough]));
    expect(closedThrough).toEqual({
      [tree.city.id]: null,
      [tree.wenling.id]: null,
      [tree.taiping.id]: THROUGH,
      [tree.taipingA.id]: THROUGH,
      [tree.taipingB.id]: THROUGH,
      [tree.jiaojiang.id]: null,
      [tree.haimen.id]: null,
      [tree.haimenA.id]: null,
    });
    expect((await taipingCoordinator.query(CLOSED_THROUGH, { id: tree.taipingA.id })).alliance.closedThrough).toBe(THROUGH);

    const audit = await auditAfter(before);
    expect(audit.map((row) => [row.operation, row.resultId, row.input])).toEqual([
      ["closeReportingPeriod", tree.taiping.id, { allianceId: tree.taiping.id, through: THROUGH }],
    ]);
    const closes = await server.app.prisma.reportingClose.findMany();
    expect(closes).toHaveLength(1);
    expect(closes[0]).toMatchObject({ allianceId: tree.taiping.id, through: new Date(`${THROUGH}T00:00:00Z`) });
    // The half year and each of its six months.
    const stored = await server.app.prisma.$queryRawUnsafe<{ from: string; to: string }[]>(
      `SELECT period_from::text AS "from", period_to::text AS "to" FROM closed_figures WHERE alliance_id = '${tree.taiping.id}' ORDER BY period_to, period_from`,
    );
    expect(stored).toEqual([
      { from: "2025-01-01", to: "2025-01-31" },
      { from: "2025-02-01", to: "2025-02-28" },
      MARCH,
      { from: "2025-04-01", to: "2025-04-30" },
      { from: "2025-05-01", to: "2025-05-31" },
      H1,
      { from: "2025-06-01", to: "2025-06-30" },
    ]);
    expect(await stats(wenlingCoordinator, tree.taiping.id, H1)).toEqual(beforeH1);
  });

  test("closedThrough of a page of alliances costs one statement", async () => {
    const query = (fields: string) => `{ alliances(first: 100) { nodes { id ${fields} } } }`;
    let before = server.statements();
    await server.admin.query(query(""));
    const without = server.statements() - before;
    before = server.statements();
    await server.admin.query(query("closedThrough"));
    expect(server.statements() - before - without).toBe(1);
  });

  test("closing earlier than the date in force is BAD_USER_INPUT, the same date again CONFLICT; nothing written", async () => {
    const before = await lastAuditId();
    const earlier = await wenlingCoordinator.expectError("BAD_USER_INPUT", CLOSE, { id: tree.taipingA.id, through: "2025-03-31" });
    expect(earlier.error.message).toBe("through: reporting here is already closed through 2025-06-30; a closed period cannot be shortened");
    const again = await taipingCoordinator.expectError("CONFLICT", CLOSE, { id: tree.taiping.id, through: THROUGH });
    expect(again.error.message).toBe("through: reporting here is already closed through 2025-06-30");
    expect(again.error.extensions?.closedThrough).toBe(THROUGH);
    expect(await auditAfter(before)).toEqual([]);
    expect(await count("reporting_close")).toBe(1);
    expect(await count("alliance", "closed_through IS NOT NULL")).toBe(1);
  });

  test("a node below a closed one may close later than it", async () => {
    await taipingCoordinator.query(CLOSE, { id: tree.taipingB.id, through: "2025-09-30" });
    expect((await taipingCoordinator.query(CLOSED_THROUGH, { id: tree.taipingB.id })).alliance.closedThrough).toBe("2025-09-30");
    expect((await taipingCoordinator.query(CLOSED_THROUGH, { id: tree.taipingA.id })).alliance.closedThrough).toBe(THROUGH);
    expect((await taipingCoordinator.query(CLOSED_THROUGH, { id: tree.taiping.id })).alliance.closedThrough).toBe(THROUGH);
  });
});

describe("stored figures", () => {
  test("stats of a closed period stay as stored after undated changes; an open period reflects them", async () => {
    const closedH1 = await stats(wenlingCoordinator, tree.taiping.id, H1);
    const closedMarch = await stats(wenlingCoordinator, tree.taiping.id, MARCH);
    const village = await stats(wenlingCoordinator, tree.taipingA.id, H1);
    const open = await stats(wenlingCoordinator, tree.taiping.id, YEAR);
    expect(closedH1).toMatchObject({ householdTimesServed: 3, householdsServed: 1, visitHouseholdTimes: 1, fundingTotal: "1000.00", standardOperationRate: 1 });
    expect(closedH1.alliancesByLevel).toEqual([
      { level: "TOWNSHIP", total: 1, standard: 1 },
      { level: "VILLAGE", total: 2, standard: 2 },
    ]);
    expect(closedMarch).toMatchObject({ householdTimesServed: 1, visitHouseholdTimes: 1, happinessListsDelivered: 1, fundingTotal: "1000.00" });

    await wenlingCoordinator.query(SET_STATUS, { id: tree.taipingA.id, status: "NEEDS_IMPROVEMENT" });
    await createAlliance(server.admin, { name: "南门村", level: "VILLAGE", regionCode: "331081001003", parentId: tree.taiping.id });

    expect(await stats(wenlingCoordinator, tree.taiping.id, H1)).toEqual(closedH1);
    expect(await stats(server.admin, tree.taiping.id, H1)).toEqual(closedH1);
    expect(await stats(wenlingCoordinator, tree.taiping.id, MARCH)).toEqual(closedMarch);
    expect(await stats(wenlingCoordinator, tree.taipingA.id, H1)).toEqual(village);
    const nested = await wenlingCoordinator.query(
      `query ($id: ID!) { alliance(id: $id) { children { nodes { id stats(from: "2025-01-01", to: "2025-06-30") { standardOperationRate } } } } }`,
      { id: tree.taiping.id },
    );
    expect(nested.alliance.children.nodes.find((n: { id: string }) => n.id === tree.taipingA.id).stats.standardOperationRate).toBe(1);

    const reopened = await stats(wenlingCoordinator, tree.taiping.id, YEAR);
    expect(reopened.alliancesByLevel).toEqual([
      { level: "TOWNSHIP", total: 1, standard: 1 },
      { level: "VILLAGE", total: 3, standard: 2 },
    ]);
    expect(reopened.standardOperationRate).toBe(0.75);
    expect(open.standardOperationRate).toBe(1);
  });

  test("concurrent first asks of a closed period store one row and agree", async () => {
    const period = { from: "2025-02-15", to: "2025-03-15" };
    const answers = await Promise.all([server.admin, wenlingCoordinator, taipingCoordinator].map((client) => stats(client, tree.taipingA.id, period)));
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
    expect(answers[0]).toMatchObject({ householdTimesServed: 1, visitHouseholdTimes: 1, lowIncomePopulation: { total: 3, dibao: 3 } });
    expect(await count("closed_figures", `alliance_id = '${tree.taipingA.id}' AND period_from = '2025-02-15' AND period_to = '2025-03-15'`)).toBe(1);
  });

  test("stored figures of a page of alliances cost one statement once stored", async () => {
    const page = (fields: string) =>
      `query ($id: ID!) { alliance(id: $id) { children { nodes { id ${fields} } } } }`;
    const withStats = page(`stats(from: "2025-01-01", to: "2025-05-31") { householdTimesServed alliancesByLevel { total } }`);
    const first = await wenlingCoordinator.query(withStats, { id: tree.taiping.id });
    expect(first.alliance.children.nodes).toHaveLength(3);
    let before = server.statements();
    await wenlingCoordinator.query(page(""), { id: tree.taiping.id });
    const without = server.statements() - before;
    before = server.statements();
    expect(await wenlingCoordinator.query(withStats, { id: tree.taiping.id })).toEqual(first);
    expect(server.statements() - before - without).toBe(1);
  });

  test("a partner's figures are its own, always computed live", async () => {
    const live = await stats(partner, tree.taiping.id, H1);
    expect(live.standardOperationRate).toBe(0.75);
    expect(live.householdTimesServed).toBe(3);
  });
});

describe("dated writes inside the closed period", () => {
  const conflictNamingTheDate = (error: { message: string; extensions?: Record<string, unknown> }) => {
    expect(error.message).toContain("closed through 2025-06-30");
    expect(error.extensions?.closedThrough).toBe(THROUGH);
  };

  test("addFunding by a coordinator: CONFLICT, nothing written; dated after the close it works", async () => {
    const input = { projectId: project.id, source: "CHARITY", amount: "500.00", receivedOn: "2025-06-30" };
    await expectNothingWritten("funding", async () => conflictNamingTheDate((await wenlingCoordinator.expectError("CONFLICT", ADD_FUNDING, { input })).error));
    await wenlingCoordinator.query(ADD_FUNDING, { input: { ...input, receivedOn: "2025-07-01" } });
  });

  test("recordService and recordVisit by a coordinator: CONFLICT, nothing written; dated after the close they work", async () => {
    await expectNothingWritten("service_record", async () =>
      conflictNamingTheDate((await wenlingCoordinator.expectError("CONFLICT", RECORD_SERVICE, { input: serviceInput("2025-05-01") })).error),
    );
    await expectNothingWritten("visit", async () =>
      conflictNamingTheDate(
        (await taipingCoordinator.expectError("CONFLICT", RECORD_VISIT, { input: { householdId: household.id, visitedOn: "2025-05-01", happinessListDelivered: false } })).error,
      ),
    );
    await wenlingCoordinator.query(RECORD_SERVICE, { input: serviceInput("2025-07-02") });
    await recordVisit(taipingCoordinator, { householdId: household.id, visitedOn: "2025-07-02" });
  });

  test("registerHousehold recognized inside, changeHouseholdCategory effective inside: CONFLICT, nothing written", async () => {
    const register = (recognizedOn: string) => ({
      allianceId: tree.taipingA.id, category: "DIBAO", headName: "李新户", idNumber: residentId("19700101"), members: [], recognizedOn,
    });
    await expectNothingWritten("household", async () =>
      conflictNamingTheDate((await wenlingCoordinator.expectError("CONFLICT", REGISTER, { input: register("2025-06-01") })).error),
    );
    const change = (effectiveOn: string) => ({ householdId: household.id, category: "DIBAO_MARGINAL", effectiveOn, reason: "收入变化" });
    await expectNothingWritten("household_category_change", async () =>
      conflictNamingTheDate((await wenlingCoordinator.expectError("CONFLICT", CHANGE_CATEGORY, { input: change("2025-06-01") })).error),
    );
    await wenlingCoordinator.query(REGISTER, { input: register("2025-07-03") });
    await wenlingCoordinator.query(CHANGE_CATEGORY, { input: change("2025-07-03") });
  });

  test("voidFunding, voidVisit, voidServiceRecord of records dated inside, by a coordinator: CONFLICT, nothing voided", async () => {
    const before = await lastAuditId();
    for (const [mutation, id] of [[VOID_FUNDING, marchFunding], [VOID_VISIT, marchVisit], [VOID_RECORD, marchRecord]] as const) {
      conflictNamingTheDate((await wenlingCoordinator.expectError("CONFLICT", mutation, { id, reason: "录入错误" })).error);
    }
    expect(await auditAfter(before)).toEqual([]);
    expect(await count("funding", "voided_at IS NOT NULL")).toBe(0);
    expect(await count("visit", "voided_at IS NOT NULL")).toBe(0);
    expect(await count("service_record", "voided_at IS NOT NULL")).toBe(0);
  });

  test("the same writes in a subtree that is not closed work", async () => {
    const lead = await createOrganization(server.admin, { allianceIds: [tree.jiaojiang.id] });
    const other = await createServiceProject(server.admin, { allianceId: tree.haimen.id, leadOrganizationId: lead.id });
    await server.admin.query(ADD_FUNDING, { input: { projectId: other.id, source: "CHARITY", amount: "10.00", receivedOn: "2025-05-01" } });
    const coordinator = await coordinatorOf(server, tree.jiaojiang.id);
    await coordinator.query(ADD_FUNDING, { input: { projectId: other.id, source: "CHARITY", amount: "10.00", receivedOn: "2025-05-02" } });
  });
});

describe("ADMIN corrections inside the closed period", () => {
  test("voidServiceRecord by ADMIN: done, the stored figures follow, the audit row says it was a correction and why", async () => {
    const [h1, march, april] = [
      await stats(server.admin, tree.taiping.id, H1),
      await stats(server.admin, tree.taiping.id, MARCH),
      await stats(server.admin, tree.taiping.id, { from: "2025-04-01", to: "2025-04-30" }),
    ];
    const before = await lastAuditId();
    await server.admin.query(VOID_RECORD, { id: marchRecord, reason: "重复录入" });

    const [audit] = await auditAfter(before);
    expect(audit.operation).toBe("voidServiceRecord");
    expect(audit.input).toMatchObject({ id: marchRecord, reason: "重复录入", closedPeriodCorrection: THROUGH });

    const afterH1 = await stats(wenlingCoordinator, tree.taiping.id, H1);
    expect(afterH1).toEqual({ ...h1, householdTimesServed: 2 });
    expect(await stats(wenlingCoordinator, tree.taiping.id, MARCH)).toEqual({ ...march, householdTimesServed: 0, householdsServed: 0 });
    expect(await stats(wenlingCoordinator, tree.taiping.id, { from: "2025-04-01", to: "2025-04-30" })).toEqual(april);
    // Undated figures stay as stored: the later status change and new village are still not in them.
    expect(afterH1.standardOperationRate).toBe(1);
  });

  test("addFunding by ADMIN dated inside: done, fundingTotal of the stored period follows", async () => {
    const h1 = await stats(server.admin, tree.taiping.id, H1);
    const before = await lastAuditId();
    await server.admin.query(ADD_FUNDING, { input: { projectId: project.id, source: "ENTERPRISE", amount: "250.50", receivedOn: "2025-04-01" } });
    const [audit] = await auditAfter(before);
    expect(audit.input).toMatchObject({ receivedOn: expect.stringMatching(/^2025-04-01/), closedPeriodCorrection: THROUGH });
    const after = await stats(wenlingCoordinator, tree.taiping.id, H1);
    expect(after.fundingTotal).toBe("1250.50");
    expect(after.fundingBySource.find((s: { source: string }) => s.source === "ENTERPRISE").amount).toBe("250.50");
    expect({ ...after, fundingTotal: h1.fundingTotal, fundingBySource: h1.fundingBySource }).toEqual(h1);
  });
});

describe("concurrent ADMIN corrections", () => {
  test("four at once: the stored figures of the alliance and its county count every one of them", async () => {
    const cents = (amount: string) => Math.round(Number(amount) * 100);
    const [village, county] = [await stats(server.admin, tree.taiping.id, H1), await stats(server.admin, tree.wenling.id, H1)];
    const amounts = ["10.01", "20.02", "30.03", "40.04"];
    await Promise.all(
      amounts.map((amount, i) =>
        server.admin.query(ADD_FUNDING, { input: { projectId: project.id, source: "OTHER", amount, receivedOn: `2025-05-0${i + 1}` } }),
      ),
    );
    const added = amounts.reduce((sum, amount) => sum + cents(amount), 0);
    expect(cents((await stats(wenlingCoordinator, tree.taiping.id, H1)).fundingTotal)).toBe(cents(village.fundingTotal) + added);
    expect(cents((await stats(wenlingCoordinator, tree.wenling.id, H1)).fundingTotal)).toBe(cents(county.fundingTotal) + added);
  });
});

describe("the population by month", () => {
  const MONTHLY = `query ($id: ID!, $from: Date!, $to: Date!) { stats(allianceId: $id, from: $from, to: $to) {
    lowIncomePopulation { total } lowIncomePopulationByMonth { month asOf total dibao extremePoverty entered exited } } }`;

  test("is stored with the figures at the close and answered as stored", async () => {
    await insertHousehold(server, { allianceId: tree.haimenA.id, category: "DIBAO", size: 2, recognizedOn: "2025-01-15" });
    await server.admin.query(CLOSE, { id: tree.haimen.id, through: "2025-03-31" });
    const q1 = { id: tree.haimen.id, from: "2025-01-01", to: "2025-03-31" };
    const stored = (await server.admin.query(MONTHLY, q1)).stats;
    expect(stored.lowIncomePopulationByMonth).toEqual([
      { month: "2025-01", asOf: "2025-01-31", total: 2, dibao: 2, extremePoverty: 0, entered: 2, exited: 0 },
      { month: "2025-02", asOf: "2025-02-28", total: 2, dibao: 2, extremePoverty: 0, entered: 0, exited: 0 },
      { month: "2025-03", asOf: "2025-03-31", total: 2, dibao: 2, extremePoverty: 0, entered: 0, exited: 0 },
    ]);

    // Written behind the guard's back, as if the records had changed: the stored figures do not move.
    await insertHousehold(server, { allianceId: tree.haimenA.id, category: "EXTREME_POVERTY", size: 1, recognizedOn: "2025-02-10" });
    expect((await server.admin.query(MONTHLY, q1)).stats).toEqual(stored);
    const open = (await server.admin.query(MONTHLY, { ...q1, to: "2025-04-30" })).stats;
    expect(open.lowIncomePopulationByMonth.map((m: { total: number }) => m.total)).toEqual([2, 3, 3, 3]);
  });
});

describe("户次 and visits by month", () => {
  const SERVED = `query ($id: ID!, $from: Date!, $to: Date!) { stats(allianceId: $id, from: $from, to: $to) {
    householdTimesServed servedByMonth { month householdTimes visitHouseholdTimes } } }`;

  test("are stored with the figures of a closed period and answered as stored; an open period counts live", async () => {
    const closed = (await server.admin.query(SERVED, { id: tree.taiping.id, ...H1 })).stats;
    expect(closed.servedByMonth.map((m: { month: string }) => m.month)).toEqual(["2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06"]);
    const sum = closed.servedByMonth.reduce((total: number, m: { householdTimes: number }) => total + m.householdTimes, 0);
    expect(sum).toBe(closed.householdTimesServed);
    const [row] = await server.app.prisma.$queryRaw<{ stored: boolean }[]>`
      SELECT (figures ? 'servedByMonth') AS stored FROM closed_figures
       WHERE alliance_id = ${tree.taiping.id}::uuid AND period_from = '2025-01-01' AND period_to = ${THROUGH}::date`;
    expect(row.stored).toBe(true);

    // Written behind the guard's back, as if the records had changed: the stored months do not move.
    await server.app.prisma.serviceRecord.create({
      data: { projectId: project.id, householdId: household.id, organizationId, servedOn: new Date("2025-04-10T00:00:00Z") },
    });
    expect((await server.admin.query(SERVED, { id: tree.taiping.id, ...H1 })).stats).toEqual(closed);
    const open = (await server.admin.query(SERVED, { id: tree.taiping.id, from: "2025-04-01", to: "2025-07-31" })).stats;
    const april = closed.servedByMonth.find((m: { month: string }) => m.month === "2025-04");
    expect(open.servedByMonth[0]).toEqual({ ...april, householdTimes: april.householdTimes + 1 });
  });
});

