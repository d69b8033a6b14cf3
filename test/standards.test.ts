import { randomUUID } from "node:crypto";
import type { GraphQLClient } from "./helpers/graphql";
import { coordinatorOf, createAlliance, createOrganization, createTaizhouTree, insertHousehold, partnerOf } from "./helpers/factories";
import { startTestServer, stopAll } from "./helpers/server";

/**
 * Standards (a county's own over the city's), minimum wages, county settings, members' incomes,
 * the 低保 assessment with the Wenling rule on supported-job wages, and the stats' average top-up.
 */
let server: Awaited<ReturnType<typeof startTestServer>>;
let tree: Awaited<ReturnType<typeof createTaizhouTree>>;
let wenlingCoordinator: GraphQLClient;
let jiaojiangCoordinator: GraphQLClient;
let partner: GraphQLClient;

const SET_STANDARD = `mutation ($input: SetAssistanceStandardInput!) {
  setAssistanceStandard(input: $input) { id category monthlyAmount effectiveFrom alliance { id name } } }`;
const SET_WAGE = `mutation ($input: SetMinimumWageInput!) { setMinimumWage(input: $input) { id monthlyAmount effectiveFrom } }`;
const SET_SETTING = `mutation ($input: SetCountyAssistanceSettingInput!) {
  setCountyAssistanceSetting(input: $input) { exemptSupportedJobWage marginalMultiplier } }`;
const RECORD_INCOME = `mutation ($input: RecordMemberIncomeInput!) { recordMemberIncome(input: $input) { id memberId month kind amount } }`;
const STANDARD_ON = `query ($allianceId: ID!, $category: AssistanceCategory!, $date: Date!) {
  standardOn(allianceId: $allianceId, category: $category, date: $date) { monthlyAmount effectiveFrom alliance { name } } }`;
const ASSESSMENT = `query ($id: ID!, $on: Date!) {
  household(id: $id) {
    assessment(on: $on) {
      month members totalIncome countableIncome countableIncomePerPerson standard minimumWage eligibleForDibao eligibleForDibaoMarginal topUp
    }
  }
}`;
const INCOMES = `query ($id: ID!, $month: Date!) { household(id: $id) { incomes(month: $month) { memberId month kind amount } } }`;
const TOP_UP = `query ($id: ID!, $from: Date!, $to: Date!) { stats(allianceId: $id, from: $from, to: $to) { averageTopUp topUpRate } }`;

const prisma = () => server.app.prisma;

async function written() {
  return {
    standards: await prisma().assistanceStandard.findMany({ orderBy: { id: "asc" } }),
    wages: await prisma().minimumWage.count(),
    settings: await prisma().countyAssistanceSetting.findMany({ orderBy: { allianceId: "asc" } }),
    incomes: await prisma().memberIncome.findMany({ orderBy: { id: "asc" } }),
    audit: await prisma().auditLog.count(),
  };
}

/** The member ids of a household, oldest first. */
async function memberIds(householdId: string): Promise<string[]> {
  const data = await server.admin.query(`query ($id: ID!) { household(id: $id) { members { id } } }`, { id: householdId });
  return data.household.members.map((m: { id: string }) => m.id);
}

async function income(client: GraphQLClient, memberId: string, month: string, kind: string, amount: string) {
  return (await client.query(RECORD_INCOME, { input: { memberId, month, kind, amount } })).recordMemberIncome;
}

async function assessment(householdId: string, on: string, client = server.admin) {
  return (await client.query(ASSESSMENT, { id: householdId, on })).household.assessment;
}

let villages = 0;
async function freshVillage(townshipId: string, townshipCode: string): Promise<string> {
  villages += 1;
  const village = await createAlliance(server.admin, {
    name: `测试村${villages}`,
    level: "VILLAGE",
    regionCode: `${townshipCode}${String(100 + villages)}`,
    parentId: townshipId,
  });
  return village.id;
}

beforeAll(async () => {
  server = await startTestServer();
  tree = await createTaizhouTree(server.admin);
  wenlingCoordinator = await coordinatorOf(server, tree.wenling.id);
  jiaojiangCoordinator = await coordinatorOf(server, tree.jiaojiang.id);
  const organization = await createOrganization(server.admin, { allianceIds: [tree.taiping.id] });
  partner = await partnerOf(server, organization.id);

  for (const [amount, effectiveFrom] of [["1145.00", "2024-06-01"], ["1190.00", "2025-06-01"]]) {
    await server.admin.query(SET_STANDARD, { input: { allianceId: tree.city.id, category: "DIBAO", monthlyAmount: amount, effectiveFrom } });
  }
  for (const county of [tree.wenling.id, tree.jiaojiang.id]) {
    await server.admin.query(SET_WAGE, { input: { allianceId: county, monthlyAmount: "2490.00", effectiveFrom: "2024-01-01" } });
  }
  await server.admin.query(SET_SETTING, { input: { allianceId: tree.wenling.id, exemptSupportedJobWage: true } });
});
afterAll(() => stopAll(server));

describe("standards", () => {
  it("answers a county's own standard over the city's, the city's where the county has none in force, null before any", async () => {
    await server.admin.query(SET_STANDARD, {
      input: { allianceId: tree.wenling.id, category: "DIBAO", monthlyAmount: "1200.00", effectiveFrom: "2025-07-01" },
    });
    const on = async (allianceId: string, date: string, client = server.admin) =>
      (await client.query(STANDARD_ON, { allianceId, category: "DIBAO", date })).standardOn;

    expect(await on(tree.taipingA.id, "2025-05-31")).toEqual({ monthlyAmount: "1145.00", effectiveFrom: "2024-06-01", alliance: { name: "台州市" } });
    expect(await on(tree.taipingA.id, "2025-06-30")).toEqual({ monthlyAmount: "1190.00", effectiveFrom: "2025-06-01", alliance: { name: "台州市" } });
    expect(await on(tree.taipingA.id, "2025-07-01", partner)).toEqual({ monthlyAmount: "1200.00", effectiveFrom: "2025-07-01", alliance: { name: "温岭市" } });
    expect(await on(tree.wenling.id, "2025-08-01", jiaojiangCoordinator)).toMatchObject({ monthlyAmount: "1200.00" });
    expect(await on(tree.haimenA.id, "2025-07-01")).toMatchObject({ monthlyAmount: "1190.00", alliance: { name: "台州市" } });
    expect(await on(tree.haimenA.id, "2024-05-31")).toBeNull();
    expect((await server.admin.query(STANDARD_ON, { allianceId: tree.city.id, category: "EXTREME_POVERTY", date: "2025-06-01" })).standardOn).toBeNull();
  });

  it("replaces the amount set for the same alliance, category and day", async () => {
    const input = { allianceId: tree.jiaojiang.id, category: "EXTREME_POVERTY", monthlyAmount: "2000.00", effectiveFrom: "2025-01-01" };
    const first = (await server.admin.query(SET_STANDARD, { input })).setAssistanceStandard;
    const second = (await server.admin.query(SET_STANDARD, { input: { ...input, monthlyAmount: "2058.00" } })).setAssistanceStandard;
    expect(second).toEqual({ ...first, monthlyAmount: "2058.00" });
    expect(second.alliance).toEqual({ id: tree.jiaojiang.id, name: "椒江区" });
  });

  it("refuses non-admins, a VILLAGE or TOWNSHIP, an unknown alliance and amounts not above zero, writing nothing", async () => {
    const before = await written();
    const input = { allianceId: tree.wenling.id, category: "DIBAO", monthlyAmount: "1300.00", effectiveFrom: "2026-01-01" };
    for (const client of [wenlingCoordinator, partner]) {
      const { error } = await client.expectError("FORBIDDEN", SET_STANDARD, { input });
      expect(error.message).toBe("Only ADMIN sets assistance standards");
      await client.expectError("FORBIDDEN", SET_WAGE, { input: { allianceId: tree.wenling.id, monthlyAmount: "2500.00", effectiveFrom: "2026-01-01" } });
      await client.expectError("FORBIDDEN", SET_SETTING, { input: { allianceId: tree.wenling.id, exemptSupportedJobWage: false } });
    }
    let { error } = await server.admin.expectError("BAD_USER_INPUT", SET_STANDARD, { input: { ...input, allianceId: tree.taipingA.id } });
    expect(error.message).toBe("allianceId: must be a COUNTY or the CITY, not a VILLAGE");
    ({ error } = await server.admin.expectError("BAD_USER_INPUT", SET_WAGE, {
      input: { allianceId: tree.taiping.id, monthlyAmount: "2500.00", effectiveFrom: "2026-01-01" },
    }));
    expect(error.message).toBe("allianceId: must be a COUNTY or the CITY, not a TOWNSHIP");
    ({ error } = await server.admin.expectError("BAD_USER_INPUT", SET_STANDARD, { input: { ...input, allianceId: randomUUID() } }));
    expect(error.message).toBe("allianceId: no alliance has this id");
    ({ error } = await server.admin.expectError("BAD_USER_INPUT", SET_STANDARD, { input: { ...input, monthlyAmount: "0.00" } }));
    expect(error.message).toBe("monthlyAmount: must be above 0.00");
    await server.admin.expectError("BAD_USER_INPUT", SET_STANDARD, { input: { ...input, monthlyAmount: "-1190.00" } });
    await server.admin.expectError("BAD_USER_INPUT", SET_WAGE, { input: { allianceId: tree.wenling.id, monthlyAmount: "-1.00", effectiveFrom: "2026-01-01" } });
    ({ error } = await server.admin.expectError("BAD_USER_INPUT", SET_SETTING, { input: { allianceId: tree.city.id, exemptSupportedJobWage: true } }));
    expect(error.message).toBe("allianceId: must be a COUNTY, not a CITY");
    ({ error } = await server.admin.expectError("BAD_USER_INPUT", SET_SETTING, { input: { allianceId: tree.wenling.id, marginalMultiplier: "0.5" } }));
    expect(error.message).toBe("marginalMultiplier: must be at least 1");
    expect(await written()).toEqual(before);
  });

  it("keeps a county's settings, with the documented defaults", async () => {
    const setting = `query ($id: ID!) { countyAssistanceSetting(allianceId: $id) { exemptSupportedJobWage marginalMultiplier } }`;
    expect((await partner.query(setting, { id: tree.jiaojiang.id })).countyAssistanceSetting).toEqual({ exemptSupportedJobWage: false, marginalMultiplier: "1.50" });
    expect((await partner.query(setting, { id: tree.wenling.id })).countyAssistanceSetting).toEqual({ exemptSupportedJobWage: true, marginalMultiplier: "1.50" });
  });
});

describe("incomes", () => {
  let householdId: string;
  let members: string[];

  beforeAll(async () => {
    householdId = (await insertHousehold(server, { allianceId: tree.taipingB.id, size: 2 })).id;
    members = await memberIds(householdId);
  });

  it("are recorded under the month's first day by ADMIN or a coordinator in scope, once per member, month and kind", async () => {
    const recorded = await income(wenlingCoordinator, members[0], "2025-03-17", "PENSION", "800.00");
    expect(recorded).toMatchObject({ memberId: members[0], month: "2025-03-01", kind: "PENSION", amount: "800.00" });
    const replaced = await income(server.admin, members[0], "2025-03-31", "PENSION", "850.50");
    expect(replaced).toEqual({ ...recorded, amount: "850.50" });
    await income(server.admin, members[1], "2025-03-01", "WAGE", "0.00");
    expect((await wenlingCoordinator.query(INCOMES, { id: householdId, month: "2025-03-09" })).household.incomes).toEqual(
      [
        { memberId: members[0], month: "2025-03-01", kind: "PENSION", amount: "850.50" },
        { memberId: members[1], month: "2025-03-01", kind: "WAGE", amount: "0.00" },
      ].sort((a, b) => (a.memberId < b.memberId ? -1 : 1)),
    );
    expect((await server.admin.query(INCOMES, { id: householdId, month: "2025-04-01" })).household.incomes).toEqual([]);
  });

  it("are hidden from partners", async () => {
    const data = await partner.query(`query ($id: ID!) { household(id: $id) { id incomes(month: "2025-03-01") { amount } assessment(on: "2025-03-01") { topUp } } }`, { id: householdId });
    expect(data.household).toEqual({ id: householdId, incomes: null, assessment: null });
  });

  it("refuses partners, coordinators out of scope, unknown members, negative amounts and future months, writing nothing", async () => {
    const before = await written();
    const input = { memberId: members[0], month: "2025-03-01", kind: "WAGE", amount: "100.00" };
    let { error } = await partner.expectError("FORBIDDEN", RECORD_INCOME, { input });
    expect(error.message).toBe("Only ADMIN and coordinators record incomes");
    ({ error } = await jiaojiangCoordinator.expectError("FORBIDDEN", RECORD_INCOME, { input }));
    expect(error.message).toBe("This household is outside your scope");
    ({ error } = await server.admin.expectError("BAD_USER_INPUT", RECORD_INCOME, { input: { ...input, memberId: randomUUID() } }));
    expect(error.message).toBe("memberId: no household member has this id");
    ({ error } = await server.admin.expectError("BAD_USER_INPUT", RECORD_INCOME, { input: { ...input, memberId: "nope" } }));
    expect(error.message).toBe("memberId: is not a valid id");
    ({ error } = await server.admin.expectError("BAD_USER_INPUT", RECORD_INCOME, { input: { ...input, amount: "-100.00" } }));
    expect(error.message).toMatch(/non-negative/);
    ({ error } = await server.admin.expectError("BAD_USER_INPUT", RECORD_INCOME, { input: { ...input, amount: 100 } }));
    ({ error } = await server.admin.expectError("BAD_USER_INPUT", RECORD_INCOME, { input: { ...input, month: "2099-01-01" } }));
    expect(error.message).toBe("month: must not be after the current month");
    expect(await written()).toEqual(before);
  });
});

describe("assessment (June 2025: 低保 1,190, minimum wage 2,490)", () => {
  /** A 3-person household in `allianceId` with these incomes in June 2025, one member each. */
  async function household(allianceId: string, incomes: [kind: string, amount: string][]) {
    const id = (await insertHousehold(server, { allianceId, size: 3 })).id;
    const members = await memberIds(id);
    for (const [i, [kind, amount]] of incomes.entries()) await income(server.admin, members[i], "2025-06-01", kind, amount);
    return id;
  }

  it("leaves out supported-job wages up to the minimum wage where the Wenling rule is on", async () => {
    const id = await household(tree.taipingA.id, [["WAGE", "2000.00"], ["SUPPORTED_JOB_WAGE", "1500.00"]]);
    expect(await assessment(id, "2025-06-15", wenlingCoordinator)).toEqual({
      month: "2025-06-01",
      members: 3,
      totalIncome: "3500.00",
      countableIncome: "2000.00",
      countableIncomePerPerson: "666.67",
      standard: "1190.00",
      minimumWage: "2490.00",
      eligibleForDibao: true,
      eligibleForDibaoMarginal: true,
      topUp: "1570.00",
    });
  });

  it("counts the whole supported-job wage where the rule is off", async () => {
    const id = await household(tree.haimenA.id, [["WAGE", "2000.00"], ["SUPPORTED_JOB_WAGE", "1500.00"]]);
    expect(await assessment(id, "2025-06-30", jiaojiangCoordinator)).toMatchObject({
      countableIncome: "3500.00",
      countableIncomePerPerson: "1166.67",
      eligibleForDibao: true,
      topUp: "70.00",
    });
  });

  it("counts the part of a supported-job wage above the minimum wage", async () => {
    const id = await household(tree.taipingA.id, [["SUPPORTED_JOB_WAGE", "3000.00"]]);
    expect(await assessment(id, "2025-06-01")).toMatchObject({ totalIncome: "3000.00", countableIncome: "510.00", topUp: "3060.00" });
  });

  it("follows the setting when it is turned off, and the standard in force on the day asked", async () => {
    const id = await household(tree.taipingA.id, [["WAGE", "2000.00"], ["SUPPORTED_JOB_WAGE", "1500.00"]]);
    await server.admin.query(SET_SETTING, { input: { allianceId: tree.wenling.id, exemptSupportedJobWage: false } });
    try {
      expect(await assessment(id, "2025-06-15")).toMatchObject({ countableIncome: "3500.00", topUp: "70.00" });
    } finally {
      await server.admin.query(SET_SETTING, { input: { allianceId: tree.wenling.id, exemptSupportedJobWage: true } });
    }
    expect(await assessment(id, "2025-05-15")).toMatchObject({ month: "2025-05-01", standard: "1145.00", countableIncome: "0.00", topUp: "3435.00" });
  });

  it("never gives a negative top-up, and tells 低保边缘 eligibility by the multiplier", async () => {
    const id = await household(tree.haimenA.id, [["WAGE", "2000.00"], ["PENSION", "2000.00"], ["OTHER", "0.01"]]);
    expect(await assessment(id, "2025-06-10")).toMatchObject({
      countableIncome: "4000.01",
      countableIncomePerPerson: "1333.34",
      eligibleForDibao: false,
      eligibleForDibaoMarginal: true,
      topUp: "0.00",
    });
  });

  it("has no standard, eligibility or top-up before any standard is in force", async () => {
    const id = await household(tree.haimenA.id, []);
    expect(await assessment(id, "2024-03-01")).toMatchObject({ standard: null, eligibleForDibao: null, eligibleForDibaoMarginal: null, topUp: null });
  });
});

describe("stats averageTopUp and topUpRate", () => {
  let village: string;

  beforeAll(async () => {
    village = await freshVillage(tree.haimen.id, "331002001");
    const a = (await insertHousehold(server, { allianceId: village, size: 2 })).id;
    const b = (await insertHousehold(server, { allianceId: village, size: 1 })).id;
    const c = (await insertHousehold(server, { allianceId: village, size: 2, category: "DIBAO_MARGINAL" })).id;
    await income(server.admin, (await memberIds(a))[0], "2025-05-01", "WAGE", "1000.00");
    await income(server.admin, (await memberIds(b))[0], "2025-05-01", "WAGE", "1200.00");
    await income(server.admin, (await memberIds(c))[0], "2025-05-01", "WAGE", "10.00");
  });

  it("averages the 低保 households' top-ups per person-month, over the standard they were computed against", async () => {
    // May: 1145 × 2 − 1000 = 1290 and max(0, 1145 − 1200) = 0 over 3 persons: 430.00, 430 / 1145 = 0.37554…
    expect((await jiaojiangCoordinator.query(TOP_UP, { id: village, from: "2025-05-01", to: "2025-05-31" })).stats).toEqual({
      averageTopUp: "430.00",
      topUpRate: 0.3755,
    });
    // May and June: (1290 + 0 + 2380 + 1190) / 6 = 810.00; standard (1145 × 3 + 1190 × 3) / 6 = 1167.50; 810 / 1167.5 = 0.69379…
    expect((await server.admin.query(TOP_UP, { id: village, from: "2025-05-10", to: "2025-06-30" })).stats).toEqual({
      averageTopUp: "810.00",
      topUpRate: 0.6938,
    });
  });

  it("is null without 低保 households", async () => {
    const empty = await freshVillage(tree.haimen.id, "331002001");
    expect((await server.admin.query(TOP_UP, { id: empty, from: "2025-05-01", to: "2025-05-31" })).stats).toEqual({ averageTopUp: null, topUpRate: null });
  });

  it("is FORBIDDEN outside the viewer's scope", async () => {
    await wenlingCoordinator.expectError("FORBIDDEN", TOP_UP, { id: village, from: "2025-05-01", to: "2025-05-31" });
  });
});
