import { coordinatorOf, createOrganization, createTaizhouTree, insertHousehold, partnerOf, recordVisit } from "./helpers/factories";
import type { GraphQLClient } from "./helpers/graphql";
import { createServiceProject } from "./helpers/projects";
import { startTestServer, stopAll } from "./helpers/server";

/**
 * `servedByMonth`: the 户次 of service records and visits by calendar month, on a small city
 * whose every record is placed below, so that each month's figure is worked out by hand.
 */
const SETUP_TIMEOUT = 180_000;
const H1 = { from: "2025-01-01", to: "2025-06-30" };

let server: Awaited<ReturnType<typeof startTestServer>>;
let tree: Awaited<ReturnType<typeof createTaizhouTree>>;
let wenlingOrganization: string;
let taipingProject: string;
let haimenProject: string;
let jiaojiangOrganization: string;
let taipingB: { id: string };
let haimenA: { id: string };

const BY_MONTH = `query ($id: ID!, $from: Date!, $to: Date!) { stats(allianceId: $id, from: $from, to: $to) {
  householdTimesServed visitHouseholdTimes servedByMonth { month householdTimes visitHouseholdTimes } } }`;
const PLAIN = `query ($id: ID!, $from: Date!, $to: Date!) { stats(allianceId: $id, from: $from, to: $to) { householdTimesServed visitHouseholdTimes } }`;
const RECORD_SERVICE = `mutation ($input: RecordServiceInput!) { recordService(input: $input) { id } }`;
const VOID_RECORD = `mutation ($id: ID!, $reason: String!) { voidServiceRecord(id: $id, reason: $reason) { id } }`;
const VOID_VISIT = `mutation ($id: ID!, $reason: String!) { voidVisit(id: $id, reason: $reason) { id } }`;
const CLOSE = `mutation ($id: ID!, $through: Date!) { closeReportingPeriod(allianceId: $id, through: $through) { id } }`;

type Month = { month: string; householdTimes: number; visitHouseholdTimes: number };
const month = (name: string, householdTimes = 0, visitHouseholdTimes = 0): Month => ({ month: name, householdTimes, visitHouseholdTimes });

async function byMonth(client: GraphQLClient, id: string, period: { from: string; to: string } = H1) {
  return (await client.query(BY_MONTH, { id, ...period })).stats as { householdTimesServed: number; visitHouseholdTimes: number; servedByMonth: Month[] };
}

const sum = (rows: Month[], key: "householdTimes" | "visitHouseholdTimes") => rows.reduce((total, row) => total + row[key], 0);

async function serve(projectId: string, organizationId: string, householdId: string, servedOn: string): Promise<string> {
  return (await server.admin.query(RECORD_SERVICE, { input: { projectId, organizationId, householdId, servedOn } })).recordService.id;
}

async function count(table: string): Promise<number> {
  const rows = await server.app.prisma.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM ${table}`);
  return Number(rows[0].n);
}

/** Statements of the second of two identical requests (the first warms the token's account check). */
async function statementsOf(client: GraphQLClient, query: string, variables: Record<string, unknown>): Promise<number> {
  await client.query(query, variables);
  const before = server.statements();
  await client.query(query, variables);
  return server.statements() - before;
}

beforeAll(async () => {
  server = await startTestServer();
  tree = await createTaizhouTree(server.admin);
  wenlingOrganization = (await createOrganization(server.admin, { allianceIds: [tree.wenling.id] })).id;
  jiaojiangOrganization = (await createOrganization(server.admin, { allianceIds: [tree.jiaojiang.id] })).id;
  taipingProject = (await createServiceProject(server.admin, { allianceId: tree.taiping.id, leadOrganizationId: wenlingOrganization, startDate: "2024-10-01" })).id;
  haimenProject = (await createServiceProject(server.admin, { allianceId: tree.haimen.id, leadOrganizationId: jiaojiangOrganization, startDate: "2024-10-01" })).id;
  const taipingA = await insertHousehold(server, { allianceId: tree.taipingA.id, recognizedOn: "2024-06-01" });
  taipingB = await insertHousehold(server, { allianceId: tree.taipingB.id, recognizedOn: "2024-06-01" });
  haimenA = await insertHousehold(server, { allianceId: tree.haimenA.id, recognizedOn: "2024-06-01" });

  for (const day of ["2024-12-31", "2025-01-05", "2025-01-20", "2025-03-01", "2025-06-30"]) await serve(taipingProject, wenlingOrganization, taipingA.id, day);
  await serve(taipingProject, wenlingOrganization, taipingB.id, "2025-03-15");
  await serve(haimenProject, jiaojiangOrganization, haimenA.id, "2025-02-10");
  await serve(haimenProject, jiaojiangOrganization, haimenA.id, "2025-07-01");
  const voidedRecord = await serve(taipingProject, wenlingOrganization, taipingA.id, "2025-04-10");
  await server.admin.query(VOID_RECORD, { id: voidedRecord, reason: "录入错误" });

  for (const day of ["2024-12-31", "2025-02-01", "2025-02-14"]) await recordVisit(server.admin, { householdId: taipingA.id, visitedOn: day });
  await recordVisit(server.admin, { householdId: haimenA.id, visitedOn: "2025-06-30" });
  const voidedVisit = await recordVisit(server.admin, { householdId: haimenA.id, visitedOn: "2025-05-05" });
  await server.admin.query(VOID_VISIT, { id: voidedVisit.id, reason: "录入错误" });
}, SETUP_TIMEOUT);
afterAll(() => stopAll(server));

/** The months of H1 in 太平街道 (东门村, 西门村) and in 椒江区 (海门村), as placed above. */
const TAIPING_H1 = [month("2025-01", 2), month("2025-02", 0, 2), month("2025-03", 2), month("2025-04"), month("2025-05"), month("2025-06", 1)];
const JIAOJIANG_H1 = [month("2025-01"), month("2025-02", 1), month("2025-03"), month("2025-04"), month("2025-05"), month("2025-06", 0, 1)];

describe("servedByMonth: the 户次 of each month of the period", () => {
  test("one row per month, oldest first, 0 for a month with nothing, voided records and visits left out", async () => {
    const city = await byMonth(server.admin, tree.city.id);
    expect(city).toEqual({
      householdTimesServed: 6,
      visitHouseholdTimes: 3,
      servedByMonth: TAIPING_H1.map((row, i) => ({
        month: row.month,
        householdTimes: row.householdTimes + JIAOJIANG_H1[i].householdTimes,
        visitHouseholdTimes: row.visitHouseholdTimes + JIAOJIANG_H1[i].visitHouseholdTimes,
      })),
    });
    expect((await byMonth(server.admin, tree.taiping.id)).servedByMonth).toEqual(TAIPING_H1);
    expect((await byMonth(server.admin, tree.jiaojiang.id)).servedByMonth).toEqual(JIAOJIANG_H1);
  });

  test("the months add up to householdTimesServed and visitHouseholdTimes for every node and period", async () => {
    const periods = [H1, { from: "2024-01-01", to: "2025-12-31" }, { from: "2025-02-11", to: "2025-06-29" }];
    for (const node of Object.values(tree)) {
      for (const period of periods) {
        const stats = await byMonth(server.admin, node.id, period);
        expect([sum(stats.servedByMonth, "householdTimes"), sum(stats.servedByMonth, "visitHouseholdTimes")]).toEqual([
          stats.householdTimesServed,
          stats.visitHouseholdTimes,
        ]);
      }
    }
  });

  test("a period starting and ending inside a month counts only its days; one across the new year has both years' months", async () => {
    const across = await byMonth(server.admin, tree.city.id, { from: "2024-12-15", to: "2025-01-10" });
    expect(across.servedByMonth).toEqual([month("2024-12", 1, 1), month("2025-01", 1)]);
    const day = await byMonth(server.admin, tree.city.id, { from: "2025-06-30", to: "2025-06-30" });
    expect(day.servedByMonth).toEqual([month("2025-06", 1, 1)]);
  });

  test("voiding a record takes it out of its month", async () => {
    const record = await serve(taipingProject, wenlingOrganization, taipingB.id, "2025-05-20");
    const added = await byMonth(server.admin, tree.taiping.id);
    expect(added.servedByMonth[4]).toEqual(month("2025-05", 1));
    expect(added.householdTimesServed).toBe(6);
    await server.admin.query(VOID_RECORD, { id: record, reason: "重复录入" });
    expect(await byMonth(server.admin, tree.taiping.id)).toEqual({ householdTimesServed: 5, visitHouseholdTimes: 2, servedByMonth: TAIPING_H1 });
  });

  test("Alliance.stats gives the same months; the field costs one statement for a whole page of alliances, none when not selected", async () => {
    const nested = await server.admin.query(
      `query ($from: Date!, $to: Date!) { allianceRoots { stats(from: $from, to: $to) { servedByMonth { month householdTimes visitHouseholdTimes } } } }`,
      H1,
    );
    expect(nested.allianceRoots[0].stats.servedByMonth).toEqual((await byMonth(server.admin, tree.city.id)).servedByMonth);

    const page = (first: number, selection: string) =>
      `query ($from: Date!, $to: Date!) { alliances(first: ${first}) { nodes { stats(from: $from, to: $to) { ${selection} } } } }`;
    const plain = await statementsOf(server.admin, page(8, "householdTimesServed"), H1);
    const monthly = await statementsOf(server.admin, page(8, "householdTimesServed servedByMonth { month householdTimes }"), H1);
    expect(monthly).toBe(plain + 1);
    expect(await statementsOf(server.admin, page(1, "householdTimesServed servedByMonth { month householdTimes }"), H1)).toBe(monthly);
    const one = { id: tree.city.id, ...H1 };
    expect(await statementsOf(server.admin, BY_MONTH, one)).toBe((await statementsOf(server.admin, PLAIN, one)) + 1);
  });
});

describe("servedByMonth: who sees which months", () => {
  test("a township coordinator sees its subtree's months, through Query.stats and Alliance.stats, and nothing above it", async () => {
    const coordinator = await coordinatorOf(server, tree.taiping.id);
    expect(await byMonth(coordinator, tree.taiping.id)).toEqual({ householdTimesServed: 5, visitHouseholdTimes: 2, servedByMonth: TAIPING_H1 });
    const roots = await coordinator.query(`query ($from: Date!, $to: Date!) { allianceRoots { stats(from: $from, to: $to) { servedByMonth { month householdTimes visitHouseholdTimes } } } }`, H1);
    expect(roots.allianceRoots).toEqual([{ stats: { servedByMonth: TAIPING_H1 } }]);
    const { data } = await coordinator.expectError("FORBIDDEN", BY_MONTH, { id: tree.city.id, ...H1 });
    expect(JSON.stringify(data ?? null)).not.toContain("servedByMonth");
    await coordinator.expectError("FORBIDDEN", BY_MONTH, { id: tree.jiaojiang.id, ...H1 });
  });

  test("a partner sees the months of the alliances its organization belongs to, as a coordinator does, and nothing else", async () => {
    const partner = await partnerOf(server, wenlingOrganization);
    expect(await byMonth(partner, tree.wenling.id)).toEqual(await byMonth(server.admin, tree.wenling.id));
    expect((await byMonth(partner, tree.taiping.id)).servedByMonth).toEqual(TAIPING_H1);
    await partner.expectError("FORBIDDEN", BY_MONTH, { id: tree.city.id, ...H1 });
    await partner.expectError("FORBIDDEN", BY_MONTH, { id: tree.haimen.id, ...H1 });
  });
});

describe("servedByMonth: at most 120 months", () => {
  test("120 months are answered; 121 are BAD_USER_INPUT naming the monthly field asked for; without one, the period is answered", async () => {
    const longest = await byMonth(server.admin, tree.city.id, { from: "2015-07-01", to: "2025-06-30" });
    expect(longest.servedByMonth).toHaveLength(120);
    expect(longest.servedByMonth[0].month).toBe("2015-07");
    expect(sum(longest.servedByMonth, "householdTimes")).toBe(longest.householdTimesServed);

    const tooLong = { id: tree.city.id, from: "2015-06-30", to: "2025-06-30" };
    const { error } = await server.admin.expectError("BAD_USER_INPUT", BY_MONTH, tooLong);
    expect(error.extensions).toMatchObject({ field: "servedByMonth", months: 121, maxMonths: 120 });
    expect(error.message).toMatch(/^servedByMonth: .*at most 120.*121 months/);
    const population = await server.admin.expectError(
      "BAD_USER_INPUT",
      `query ($id: ID!, $from: Date!, $to: Date!) { stats(allianceId: $id, from: $from, to: $to) { lowIncomePopulationByMonth { month } } }`,
      tooLong,
    );
    expect(population.error.extensions?.field).toBe("lowIncomePopulationByMonth");

    // H1 and the records of 2024-12-31
    expect((await server.admin.query(PLAIN, tooLong)).stats).toEqual({ householdTimesServed: 7, visitHouseholdTimes: 4 });
    const skipped = await server.admin.query(
      `query ($id: ID!, $from: Date!, $to: Date!, $monthly: Boolean!) { stats(allianceId: $id, from: $from, to: $to) {
        householdTimesServed servedByMonth @include(if: $monthly) { month } } }`,
      { ...tooLong, monthly: false },
    );
    expect(skipped.stats).toEqual({ householdTimesServed: 7 });
  });

  test("Alliance.stats asking the field through a fragment is refused the same way", async () => {
    const response = await server.admin.raw(
      `query { allianceRoots { stats(from: "2000-01-01", to: "2025-06-30") { ...months } } }
       fragment months on AllianceStats { servedByMonth { month } }`,
    );
    expect(response.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "servedByMonth", months: 306 });
    expect(JSON.stringify(response.data ?? null)).not.toContain("month");
  });
});

describe("servedByMonth: closed periods", () => {
  const Q1 = { from: "2025-01-01", to: "2025-03-31" };

  test("a closed period's months are stored with its figures, add up to them, and follow corrections", async () => {
    await server.admin.query(CLOSE, { id: tree.haimen.id, through: Q1.to });
    const q1 = { id: tree.haimen.id, ...Q1 };
    const plain = await statementsOf(server.admin, PLAIN, q1);
    expect(plain).toBe(1);
    // Stored with the figures at the close: the months cost no statement more.
    expect(await statementsOf(server.admin, BY_MONTH, q1)).toBe(plain);
    expect(await byMonth(server.admin, tree.haimen.id, Q1)).toEqual({
      householdTimesServed: 1,
      visitHouseholdTimes: 0,
      servedByMonth: [month("2025-01"), month("2025-02", 1), month("2025-03")],
    });

    // An ADMIN correction inside the closed period: the stored figures and the months follow it together.
    await serve(haimenProject, jiaojiangOrganization, haimenA.id, "2025-03-20");
    const corrected = await byMonth(await coordinatorOf(server, tree.jiaojiang.id), tree.haimen.id, Q1);
    expect(corrected).toEqual({
      householdTimesServed: 2,
      visitHouseholdTimes: 0,
      servedByMonth: [month("2025-01"), month("2025-02", 1), month("2025-03", 1)],
    });
  });

  test("a closed period too long for the months is refused before its figures are stored: nothing written", async () => {
    const tooLong = { id: tree.haimen.id, from: "2010-01-01", to: "2025-03-31" };
    const [stored, audited] = [await count("closed_figures"), await count("audit_log")];
    await server.admin.expectError("BAD_USER_INPUT", BY_MONTH, tooLong);
    expect([await count("closed_figures"), await count("audit_log")]).toEqual([stored, audited]);
    // The same period without the field is answered, and its figures stored on this first ask.
    expect((await server.admin.query(PLAIN, tooLong)).stats).toEqual({ householdTimesServed: 2, visitHouseholdTimes: 0 });
    expect(await count("closed_figures")).toBe(stored + 1);
  });
});
