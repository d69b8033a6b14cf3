import { Prisma } from "../src/generated/prisma/client";
import type { GraphQLClient } from "./helpers/graphql";
import { coordinatorOf, createOrganization, createTaizhouTree, insertHousehold, partnerOf, residentId } from "./helpers/factories";
import { startTestServer, stopAll } from "./helpers/server";

/**
 * Figures on a small hand-built city whose every number is worked out below, so that each
 * field's definition (period bounds, cancelled projects, distinct organizations, snapshots,
 * subtree, exact money) is pinned down.
 */
let server: Awaited<ReturnType<typeof startTestServer>>;
let tree: Awaited<ReturnType<typeof createTaizhouTree>>;
let social1: string;
let dept1: string;

const FIELDS = `
  from to
  lowIncomePopulation { total dibao dibaoMarginal extremePoverty otherMonitored }
  projectCount fundingTotal fundingBySource { source amount }
  linkedDepartments participatingSocialOrganizations
  householdTimesServed householdsServed visitHouseholdTimes happinessListsDelivered
  alliancesByLevel { level total standard } standardOperationRate openServiceRequests`;
const STATS = `query ($id: ID!, $from: Date!, $to: Date!) { stats(allianceId: $id, from: $from, to: $to) { ${FIELDS} } }`;
const H1 = { from: "2025-01-01", to: "2025-06-30" };

async function stats(client: GraphQLClient, id: string, period = H1) {
  const data = await client.query(STATS, { id, ...period });
  return data.stats;
}

const money = (pairs: Record<string, string>) =>
  ["WELFARE_LOTTERY", "GOVERNMENT_BUDGET", "CHARITY", "ENTERPRISE", "SOCIAL_DONATION", "OTHER"].map((source) => ({
    source,
    amount: pairs[source] ?? "0.00",
  }));

beforeAll(async () => {
  server = await startTestServer();
  tree = await createTaizhouTree(server.admin);
  const prisma = server.app.prisma;
  const org = async (kind: string, allianceIds: string[]) => (await createOrganization(server.admin, { kind, allianceIds })).id;
  dept1 = await org("GOVERNMENT_DEPARTMENT", [tree.wenling.id]);
  const dept2 = await org("GOVERNMENT_DEPARTMENT", [tree.jiaojiang.id]);
  social1 = await org("SOCIAL_ORGANIZATION", [tree.wenling.id]);
  const social2 = await org("SOCIAL_ORGANIZATION", [tree.taiping.id]);
  const social3 = await org("SOCIAL_ORGANIZATION", [tree.jiaojiang.id]);
  const team = await org("VOLUNTEER_TEAM", [tree.wenling.id]);
  await server.admin.query(`mutation ($id: ID!) { setOperatingStatus(allianceId: $id, status: NEEDS_IMPROVEMENT) { id } }`, { id: tree.taipingB.id });

  const household = (allianceId: string, category: string, size: number) =>
    insertHousehold(server, { allianceId, category, size, headName: "测试户主", idNumber: residentId("19700101") });
  const ha1 = await household(tree.taipingA.id, "DIBAO", 3);
  await household(tree.taipingA.id, "DIBAO", 1);
  await household(tree.taipingA.id, "EXTREME_POVERTY", 1);
  await household(tree.taipingA.id, "OTHER_MONITORED", 4);
  const hb = await household(tree.taipingB.id, "DIBAO_MARGINAL", 2);
  const hj = await household(tree.haimenA.id, "DIBAO", 2);
  await household(tree.haimenA.id, "OTHER_MONITORED", 5);

  const day = (iso: string) => new Date(`${iso}T00:00:00Z`);
  const project = async (allianceId: string, start: string, end: string | null, lead: string, partners: string[], status = "ACTIVE") => {
    const p = await prisma.serviceProject.create({
      data: {
        name: "测试项目", allianceId, category: "PRECISION_ASSISTANCE", status: status as never, leadOrganizationId: lead,
        startDate: day(start), endDate: end ? day(end) : null, budget: "10000.00",
      },
    });
    for (const organizationId of partners) await prisma.projectPartner.create({ data: { projectId: p.id, organizationId } });
    return p.id;
  };
  const p1 = await project(tree.taiping.id, "2024-10-01", null, social1, [dept1, team]);
  const p2 = await project(tree.wenling.id, "2025-06-30", "2025-12-31", social2, [dept1]);
  const p3 = await project(tree.taipingA.id, "2024-01-01", "2024-12-31", social3, [dept2], "COMPLETED");
  await project(tree.wenling.id, "2025-07-01", null, social3, [dept2], "PLANNED");
  await project(tree.taiping.id, "2025-02-01", null, social3, [dept2], "CANCELLED");
  const p6 = await project(tree.haimen.id, "2025-01-01", "2025-01-01", social3, [dept2], "COMPLETED");

  const funding = (projectId: string, source: string, amount: string, on: string) =>
    prisma.funding.create({ data: { projectId, source: source as never, amount, receivedOn: day(on) } });
  await funding(p1, "GOVERNMENT_BUDGET", "1000.10", "2025-01-01");
  await funding(p1, "CHARITY", "2000.20", "2024-12-31");
  await funding(p2, "SOCIAL_DONATION", "0.05", "2025-06-30");
  await funding(p3, "GOVERNMENT_BUDGET", "500.00", "2025-03-01");
  await funding(p6, "WELFARE_LOTTERY", "300.33", "2025-07-01");
  await funding(p6, "ENTERPRISE", "0.01", "2025-06-30");

  const record = (projectId: string, householdId: string, on: string) =>
    prisma.serviceRecord.create({ data: { projectId, householdId, organizationId: social1, servedOn: day(on) } });
  await record(p1, ha1.id, "2025-01-01");
  await record(p1, ha1.id, "2025-03-01");
  await record(p1, ha1.id, "2025-06-30");
  await record(p1, ha1.id, "2024-12-31");
  await record(p2, hb.id, "2025-06-30");
  await record(p6, hj.id, "2025-01-01");
  await record(p6, hj.id, "2025-07-01");

  const visit = (householdId: string, on: string, happinessListDelivered: boolean) =>
    prisma.visit.create({ data: { householdId, visitedOn: day(on), happinessListDelivered } });
  await visit(ha1.id, "2025-02-01", true);
  await visit(ha1.id, "2025-05-01", false);
  await visit(ha1.id, "2024-12-31", true);
  await visit(hj.id, "2025-06-30", true);

  const request = (allianceId: string, status: string, claimedById: string | null = null) =>
    prisma.serviceRequest.create({ data: { allianceId, status: status as never, claimedById, category: "ELDERLY_CARE", title: "需要助餐服务" } });
  await request(tree.taipingA.id, "OPEN");
  await request(tree.haimenA.id, "OPEN");
  await request(tree.taipingB.id, "CLAIMED", social2);
  await request(tree.taiping.id, "FULFILLED", social2);
});
afterAll(() => stopAll(server));

describe("stats: each figure as the contract defines it", () => {
  test("the city: everything below it, over the period, money exact", async () => {
    expect(await stats(server.admin, tree.city.id)).toEqual({
      ...H1,
      lowIncomePopulation: { total: 9, dibao: 6, dibaoMarginal: 2, extremePoverty: 1, otherMonitored: 9 },
      projectCount: 3,
      fundingTotal: "1500.16",
      fundingBySource: money({ GOVERNMENT_BUDGET: "1500.10", SOCIAL_DONATION: "0.05", ENTERPRISE: "0.01" }),
      linkedDepartments: 2,
      participatingSocialOrganizations: 3,
      householdTimesServed: 5,
      householdsServed: 3,
      visitHouseholdTimes: 3,
      happinessListsDelivered: 2,
      alliancesByLevel: [
        { level: "CITY", total: 1, standard: 1 },
        { level: "COUNTY", total: 2, standard: 2 },
        { level: "TOWNSHIP", total: 2, standard: 2 },
        { level: "VILLAGE", total: 3, standard: 2 },
      ],
      standardOperationRate: 0.875,
      openServiceRequests: 2,
    });
  });

  test("a county and a township count only their own subtree", async () => {
    const wenling = await stats(server.admin, tree.wenling.id);
    expect(wenling).toMatchObject({
      lowIncomePopulation: { total: 7, dibao: 4, dibaoMarginal: 2, extremePoverty: 1, otherMonitored: 4 },
      projectCount: 2,
      fundingTotal: "1500.15",
      linkedDepartments: 1,
      participatingSocialOrganizations: 2,
      householdTimesServed: 4,
      householdsServed: 2,
      visitHouseholdTimes: 2,
      happinessListsDelivered: 1,
      alliancesByLevel: [
        { level: "COUNTY", total: 1, standard: 1 },
        { level: "TOWNSHIP", total: 1, standard: 1 },
        { level: "VILLAGE", total: 2, standard: 1 },
      ],
      standardOperationRate: 0.75,
      openServiceRequests: 1,
    });
    const taiping = await stats(server.admin, tree.taiping.id);
    expect(taiping).toMatchObject({ projectCount: 1, fundingTotal: "1500.10", linkedDepartments: 1, participatingSocialOrganizations: 1, householdTimesServed: 4 });
    const jiaojiang = await stats(server.admin, tree.jiaojiang.id);
    expect(jiaojiang).toMatchObject({
      lowIncomePopulation: { total: 2, dibao: 2, dibaoMarginal: 0, extremePoverty: 0, otherMonitored: 5 },
      projectCount: 1,
      fundingTotal: "0.01",
      linkedDepartments: 1,
      participatingSocialOrganizations: 1,
      householdTimesServed: 1,
      householdsServed: 1,
      visitHouseholdTimes: 1,
      happinessListsDelivered: 1,
      standardOperationRate: 1,
      openServiceRequests: 1,
    });
    const village = await stats(server.admin, tree.taipingB.id);
    expect(village).toMatchObject({
      lowIncomePopulation: { total: 2, dibao: 0, dibaoMarginal: 2, extremePoverty: 0, otherMonitored: 0 },
      projectCount: 0,
      fundingTotal: "0.00",
      householdTimesServed: 1,
      alliancesByLevel: [{ level: "VILLAGE", total: 1, standard: 0 }],
      standardOperationRate: 0,
      openServiceRequests: 0,
    });
  });

  test("both ends of the period are included; the population is as of the period's last day", async () => {
    const day = await stats(server.admin, tree.city.id, { from: "2025-06-30", to: "2025-06-30" });
    expect(day).toMatchObject({
      from: "2025-06-30",
      to: "2025-06-30",
      lowIncomePopulation: { total: 9, otherMonitored: 9 },
      projectCount: 2,
      fundingTotal: "0.06",
      householdTimesServed: 2,
      householdsServed: 2,
      visitHouseholdTimes: 1,
      openServiceRequests: 2,
    });
    const before = await stats(server.admin, tree.city.id, { from: "2020-01-01", to: "2020-12-31" });
    expect(before).toMatchObject({ projectCount: 0, fundingTotal: "0.00", linkedDepartments: 0, householdTimesServed: 0, visitHouseholdTimes: 0 });
    // every household here was recognized on 2024-01-01
    expect(before.lowIncomePopulation).toEqual({ total: 0, dibao: 0, dibaoMarginal: 0, extremePoverty: 0, otherMonitored: 0 });
    const recognitionDay = await stats(server.admin, tree.city.id, { from: "2023-12-01", to: "2024-01-01" });
    expect(recognitionDay.lowIncomePopulation).toEqual({ total: 9, dibao: 6, dibaoMarginal: 2, extremePoverty: 1, otherMonitored: 9 });
    const dayBefore = await stats(server.admin, tree.city.id, { from: "2023-12-01", to: "2023-12-31" });
    expect(dayBefore.lowIncomePopulation.total).toBe(0);
  });

  test("voided fundings, service records and visits never count", async () => {
    const prisma = server.app.prisma;
    const before = await stats(server.admin, tree.city.id);
    const inPeriod = { gte: new Date("2025-01-01T00:00:00Z"), lte: new Date("2025-06-30T00:00:00Z") };
    const funding = await prisma.funding.findFirstOrThrow({ where: { receivedOn: inPeriod, source: "GOVERNMENT_BUDGET" } });
    const record = await prisma.serviceRecord.findFirstOrThrow({ where: { servedOn: new Date("2025-03-01T00:00:00Z") } });
    const visit = await prisma.visit.findFirstOrThrow({ where: { visitedOn: new Date("2025-02-01T00:00:00Z") } });
    const voided = { voidedAt: new Date(), voidReason: "录入错误" };
    await prisma.funding.update({ where: { id: funding.id }, data: voided });
    await prisma.serviceRecord.update({ where: { id: record.id }, data: voided });
    await prisma.visit.update({ where: { id: visit.id }, data: voided });
    try {
      const after = await stats(server.admin, tree.city.id);
      expect(after).toEqual({
        ...before,
        fundingTotal: new Prisma.Decimal(before.fundingTotal).minus(funding.amount).toFixed(2),
        fundingBySource: before.fundingBySource.map((row: { source: string; amount: string }) =>
          row.source === funding.source ? { ...row, amount: new Prisma.Decimal(row.amount).minus(funding.amount).toFixed(2) } : row,
        ),
        householdTimesServed: before.householdTimesServed - 1,
        visitHouseholdTimes: before.visitHouseholdTimes - 1,
        happinessListsDelivered: before.happinessListsDelivered - 1,
      });
    } finally {
      const restored = { voidedAt: null, voidReason: null };
      await prisma.funding.update({ where: { id: funding.id }, data: restored });
      await prisma.serviceRecord.update({ where: { id: record.id }, data: restored });
      await prisma.visit.update({ where: { id: visit.id }, data: restored });
    }
    expect(await stats(server.admin, tree.city.id)).toEqual(before);
  });

  test("Alliance.stats gives the same figures, and a page of alliances costs no more statements than one", async () => {
    const nested = await server.admin.query(
      `query ($from: Date!, $to: Date!) { allianceRoots { stats(from: $from, to: $to) { ${FIELDS} } children(first: 10) { nodes { id stats(from: $from, to: $to) { projectCount fundingTotal } } } } }`,
      H1,
    );
    expect(nested.allianceRoots[0].stats).toEqual(await stats(server.admin, tree.city.id));
    const byId = Object.fromEntries(nested.allianceRoots[0].children.nodes.map((n: { id: string; stats: unknown }) => [n.id, n.stats]));
    expect(byId[tree.wenling.id]).toEqual({ projectCount: 2, fundingTotal: "1500.15" });
    expect(byId[tree.jiaojiang.id]).toEqual({ projectCount: 1, fundingTotal: "0.01" });

    const page = (first: number) =>
      `query ($from: Date!, $to: Date!) { alliances(first: ${first}) { nodes { stats(from: $from, to: $to) { projectCount householdTimesServed } } } }`;
    const cost = async (first: number) => {
      const before = server.statements();
      const data = await server.admin.query(page(first), H1);
      expect(data.alliances.nodes).toHaveLength(first);
      return server.statements() - before;
    };
    expect(await cost(8)).toBe(await cost(1));
  });
});

describe("stats: who may ask, and bad input", () => {
  test("a 温岭市 coordinator gets FORBIDDEN city-wide and for 椒江区, and its county's figures for its own", async () => {
    const coordinator = await coordinatorOf(server, tree.wenling.id);
    await coordinator.expectError("FORBIDDEN", STATS, { id: tree.city.id, ...H1 });
    await coordinator.expectError("FORBIDDEN", STATS, { id: tree.jiaojiang.id, ...H1 });
    expect(await stats(coordinator, tree.wenling.id)).toEqual(await stats(server.admin, tree.wenling.id));
    expect(await stats(coordinator, tree.taiping.id)).toEqual(await stats(server.admin, tree.taiping.id));
  });

  test("a partner sees the figures of the alliances its organization belongs to, not above them", async () => {
    const partner = await partnerOf(server, social1);
    expect((await stats(partner, tree.wenling.id)).projectCount).toBe(2);
    await partner.expectError("FORBIDDEN", STATS, { id: tree.city.id, ...H1 });
    await partner.expectError("FORBIDDEN", STATS, { id: tree.haimen.id, ...H1 });
  });

  test("a partner's money figures count only the projects its organization leads or partners in; the rest is unchanged", async () => {
    const admin = await stats(server.admin, tree.wenling.id);
    expect(admin.fundingTotal).toBe("1500.15");
    const lead = await stats(await partnerOf(server, social1), tree.wenling.id);
    expect(lead).toEqual({
      ...admin,
      fundingTotal: "1000.10",
      fundingBySource: money({ GOVERNMENT_BUDGET: "1000.10" }),
    });
    const partnerIn = await stats(await partnerOf(server, dept1), tree.wenling.id);
    expect(partnerIn).toEqual({
      ...admin,
      fundingTotal: "1000.15",
      fundingBySource: money({ GOVERNMENT_BUDGET: "1000.10", SOCIAL_DONATION: "0.05" }),
    });
    const nested = await (await partnerOf(server, social1)).query(
      `query ($from: Date!, $to: Date!) { allianceRoots { stats(from: $from, to: $to) { fundingTotal } } }`,
      H1,
    );
    expect(nested.allianceRoots).toEqual([{ stats: { fundingTotal: "1000.10" } }]);
    const coordinator = await coordinatorOf(server, tree.wenling.id);
    expect((await stats(coordinator, tree.wenling.id)).fundingTotal).toBe("1500.15");
  });

  test("Alliance.stats on an alliance outside the scope, reached through a nested field, is FORBIDDEN as Query.stats", async () => {
    const coordinator = await coordinatorOf(server, tree.taiping.id);
    const own = await coordinator.query(`query ($from: Date!, $to: Date!) { allianceRoots { name stats(from: $from, to: $to) { projectCount } } }`, H1);
    expect(own.allianceRoots).toEqual([{ name: "太平街道", stats: { projectCount: 1 } }]);
    const grant = await server.app.prisma.welfareLotteryGrant.create({
      data: { code: "台民福〔2025〕统计-1号", level: "MUNICIPAL", year: 2025, allianceId: tree.city.id, amount: "100.00" },
    });
    const p1 = await server.app.prisma.serviceProject.findFirstOrThrow({ where: { allianceId: tree.taiping.id, status: "ACTIVE" } });
    await server.app.prisma.funding.create({
      data: { projectId: p1.id, source: "WELFARE_LOTTERY", amount: "1.00", receivedOn: new Date("2024-06-01T00:00:00Z"), grantId: grant.id },
    });
    const response = await coordinator.raw(
      `query ($id: ID!, $from: Date!, $to: Date!) { project(id: $id) { fundings(first: 5) { grant { code alliance { name stats(from: $from, to: $to) { fundingTotal } } } } } }`,
      { id: p1.id, ...H1 },
    );
    expect(response.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(JSON.stringify(response.data)).not.toContain("fundingTotal");
  });

  test("a period that ends before it starts is BAD_USER_INPUT naming `to`", async () => {
    const { error } = await server.admin.expectError("BAD_USER_INPUT", STATS, { id: tree.city.id, from: "2025-06-30", to: "2025-01-01" });
    expect(error.extensions?.field).toBe("to");
    expect(error.message).toMatch(/^to: /);
    const nested = await server.admin.raw(`{ allianceRoots { stats(from: "2025-06-30", to: "2025-06-29") { projectCount } } }`);
    expect(nested.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });

  test("an unknown alliance is NOT_FOUND, a malformed id BAD_USER_INPUT, no token UNAUTHENTICATED", async () => {
    await server.admin.expectError("NOT_FOUND", STATS, { id: "00000000-0000-4000-8000-000000000000", ...H1 });
    const { error } = await server.admin.expectError("BAD_USER_INPUT", STATS, { id: "not-an-id", ...H1 });
    expect(error.extensions?.field).toBe("allianceId");
    await server.anonymous.expectError("UNAUTHENTICATED", STATS, { id: tree.city.id, ...H1 });
  });
});
