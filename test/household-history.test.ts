import { isoDate, todayInChina } from "../src/common/scalars";
import type { GraphQLClient } from "./helpers/graphql";
import {
  coordinatorOf,
  createAlliance,
  createOrganization,
  createTaizhouTree,
  partnerOf,
  registerHousehold,
  residentId,
} from "./helpers/factories";
import { startTestServer, stopAll } from "./helpers/server";

/**
 * Households over time: category and member history, what each operation refuses (and that a
 * refusal writes nothing), and figures as of a date that follow the history.
 */
let server: Awaited<ReturnType<typeof startTestServer>>;
let tree: Awaited<ReturnType<typeof createTaizhouTree>>;
let coordinator: GraphQLClient;
let outsider: GraphQLClient;
let partner: GraphQLClient;

const HOUSEHOLD_FIELDS = `id category size status recognizedOn exitedOn exitReason`;
const CHANGE = `mutation ($input: ChangeHouseholdCategoryInput!) { changeHouseholdCategory(input: $input) { ${HOUSEHOLD_FIELDS} } }`;
const EXIT = `mutation ($input: ExitHouseholdInput!) { exitHousehold(input: $input) { ${HOUSEHOLD_FIELDS} } }`;
const ADD = `mutation ($input: AddHouseholdMemberInput!) { addHouseholdMember(input: $input) { ${HOUSEHOLD_FIELDS} members { id name joinedOn leftOn } } }`;
const REMOVE = `mutation ($memberId: ID!, $effectiveOn: Date!, $reason: String!, $idempotencyKey: String) {
  removeHouseholdMember(memberId: $memberId, effectiveOn: $effectiveOn, reason: $reason, idempotencyKey: $idempotencyKey) { ${HOUSEHOLD_FIELDS} members { id name } } }`;

/** The variables of a mutation: `{ input }`, or the arguments themselves for removeHouseholdMember (which takes no input object). */
const variablesFor = (mutation: string, input: Record<string, unknown>) => (mutation === REMOVE ? input : { input });
const UPDATE = `mutation ($input: UpdateHouseholdMemberInput!) { updateHouseholdMember(input: $input) { ${HOUSEHOLD_FIELDS} headName members { id name } } }`;

const HISTORY = `query ($id: ID!) {
  household(id: $id) {
    ${HOUSEHOLD_FIELDS}
    categoryHistory { kind category effectiveOn effectiveUntil reason exitReason recordedBy { id username } recordedAt }
    memberHistory { kind memberId memberName effectiveOn reason recordedBy { username } }
    members(includeFormer: true) { id name joinedOn leftOn }
  }
}`;

const POPULATION = `query ($id: ID!, $from: Date!, $to: Date!) {
  stats(allianceId: $id, from: $from, to: $to) { lowIncomePopulation { total dibao dibaoMarginal extremePoverty otherMonitored } }
}`;
const MONTHLY = `query ($id: ID!, $from: Date!, $to: Date!) {
  stats(allianceId: $id, from: $from, to: $to) {
    lowIncomePopulation { total }
    lowIncomePopulationByMonth { month asOf total dibao dibaoMarginal extremePoverty entered exited }
  }
}`;

const prisma = () => server.app.prisma;

function daysFromToday(days: number): string {
  const today = todayInChina();
  return isoDate(new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + days)));
}

async function population(allianceId: string, to: string, from = "2025-01-01") {
  return (await server.admin.query(POPULATION, { id: allianceId, from, to })).stats.lowIncomePopulation;
}

/** What a refused operation must leave as it was. */
async function written() {
  return {
    categoryChanges: await prisma().householdCategoryChange.count(),
    memberChanges: await prisma().householdMemberChange.count(),
    members: await prisma().householdMember.findMany({ orderBy: { id: "asc" } }),
    households: await prisma().household.findMany({ orderBy: { id: "asc" } }),
    states: await prisma().householdState.count(),
    audit: await prisma().auditLog.count(),
  };
}

/** A new village under 太平街道, so that a test's figures are its own. */
let villages = 0;
async function freshVillage(): Promise<string> {
  villages += 1;
  const village = await createAlliance(server.admin, {
    name: `测试村${villages}`,
    level: "VILLAGE",
    regionCode: `331081001${String(100 + villages)}`,
    parentId: tree.taiping.id,
  });
  return village.id;
}

/** A household registered through the API on `recognizedOn` with the head and `others` more members. */
async function household(allianceId: string, recognizedOn: string, category = "DIBAO", others = 2) {
  const members = Array.from({ length: others }, (_, i) => ({ name: `李成员${i + 1}`, birthDate: `199${i}-05-01` }));
  return registerHousehold(coordinator, { allianceId, category, recognizedOn, headName: "李大山", idNumber: residentId("19600101"), members });
}

beforeAll(async () => {
  server = await startTestServer();
  tree = await createTaizhouTree(server.admin);
  coordinator = await coordinatorOf(server, tree.wenling.id);
  outsider = await coordinatorOf(server, tree.jiaojiang.id);
  const organization = await createOrganization(server.admin, { allianceIds: [tree.taiping.id] });
  partner = await partnerOf(server, organization.id);
});
afterAll(() => stopAll(server));

describe("figures at a date follow the history (register March 10, change April 20, exit June 5)", () => {
  let village: string;
  let id: string;

  beforeAll(async () => {
    village = await freshVillage();
    id = (await household(village, "2025-03-10", "DIBAO", 2)).id;
    await coordinator.query(CHANGE, { input: { householdId: id, category: "DIBAO_MARGINAL", effectiveOn: "2025-04-20", reason: "家庭收入提高,转为低保边缘" } });
    await coordinator.query(EXIT, { input: { householdId: id, effectiveOn: "2025-06-05", reason: "MOVED_AWAY", note: "迁往杭州" } });
  });

  test("stats count the household as what it was on the period's last day", async () => {
    const none = { total: 0, dibao: 0, dibaoMarginal: 0, extremePoverty: 0, otherMonitored: 0 };
    expect(await population(village, "2025-03-09")).toEqual(none);
    expect(await population(village, "2025-03-31")).toEqual({ ...none, total: 3, dibao: 3 });
    expect(await population(village, "2025-04-19", "2025-04-01")).toEqual({ ...none, total: 3, dibao: 3 });
    expect(await population(village, "2025-04-30", "2025-04-01")).toEqual({ ...none, total: 3, dibaoMarginal: 3 });
    expect(await population(village, "2025-06-04", "2025-06-01")).toEqual({ ...none, total: 3, dibaoMarginal: 3 });
    expect(await population(village, "2025-06-30", "2025-06-01")).toEqual(none);
    // and up the tree: the township and the county see the same household
    const township = await population(tree.taiping.id, "2025-04-30", "2025-04-01");
    const townshipBefore = await population(tree.taiping.id, "2025-03-09");
    expect(township.dibaoMarginal - townshipBefore.dibaoMarginal).toBe(3);
  });

  test("lowIncomePopulationByMonth gives one row per month, as of its last day, with entries and exits", async () => {
    const data = await coordinator.query(MONTHLY, { id: village, from: "2025-01-01", to: "2025-06-30" });
    const row = (month: string, asOf: string, values: Partial<Record<string, number>> = {}) => ({
      month, asOf, total: 0, dibao: 0, dibaoMarginal: 0, extremePoverty: 0, entered: 0, exited: 0, ...values,
    });
    expect(data.stats.lowIncomePopulationByMonth).toEqual([
      row("2025-01", "2025-01-31"),
      row("2025-02", "2025-02-28"),
      row("2025-03", "2025-03-31", { total: 3, dibao: 3, entered: 3 }),
      row("2025-04", "2025-04-30", { total: 3, dibaoMarginal: 3 }),
      row("2025-05", "2025-05-31", { total: 3, dibaoMarginal: 3 }),
      row("2025-06", "2025-06-30", { exited: 3 }),
    ]);
    expect(data.stats.lowIncomePopulation.total).toBe(0);

    // a period starting and ending inside a month: entries before `from` are not the period's; the last month is as of `to`
    const partial = await coordinator.query(MONTHLY, { id: village, from: "2025-03-15", to: "2025-06-04" });
    expect(partial.stats.lowIncomePopulationByMonth).toEqual([
      row("2025-03", "2025-03-31", { total: 3, dibao: 3 }),
      row("2025-04", "2025-04-30", { total: 3, dibaoMarginal: 3 }),
      row("2025-05", "2025-05-31", { total: 3, dibaoMarginal: 3 }),
      row("2025-06", "2025-06-04", { total: 3, dibaoMarginal: 3 }),
    ]);
  });

  test("the monthly rows cost one statement for a whole page of alliances, and nothing when not selected", async () => {
    const query = (selection: string) => `query ($from: Date!, $to: Date!) { alliances(first: 20) { nodes { stats(from: $from, to: $to) { ${selection} } } } }`;
    const cost = async (selection: string) => {
      const runs: number[] = [];
      for (let run = 0; run < 2; run += 1) {
        const before = server.statements();
        await server.admin.query(query(selection), { from: "2025-01-01", to: "2025-06-30" });
        runs.push(server.statements() - before);
      }
      return Math.min(...runs);
    };
    const plain = await cost("projectCount");
    const monthly = await cost("projectCount lowIncomePopulationByMonth { month total }");
    expect(monthly).toBe(plain + 1);
  });

  test("categoryOn answers the category of any day; null before recognition and from the exit on", async () => {
    const data = await server.admin.query(
      `query ($id: ID!) { household(id: $id) {
        before: categoryOn(date: "2025-03-09") first: categoryOn(date: "2025-03-10") last: categoryOn(date: "2025-04-19")
        changed: categoryOn(date: "2025-04-20") lastDay: categoryOn(date: "2025-06-04") gone: categoryOn(date: "2025-06-05") } }`,
      { id },
    );
    expect(data.household).toEqual({ before: null, first: "DIBAO", last: "DIBAO", changed: "DIBAO_MARGINAL", lastDay: "DIBAO_MARGINAL", gone: null });
  });

  test("categoryOn for a page of households is one statement, whatever the page size", async () => {
    await household(village, "2025-01-02", "EXTREME_POVERTY", 0);
    const cost = async (first: number) => {
      const runs: number[] = [];
      for (let run = 0; run < 2; run += 1) {
        const before = server.statements();
        const data = await server.admin.query(
          `query ($id: ID, $first: Int) { households(allianceId: $id, first: $first) { nodes { a: categoryOn(date: "2025-04-01") b: categoryOn(date: "2025-04-01") } } }`,
          { id: village, first },
        );
        expect(data.households.nodes).toHaveLength(first);
        runs.push(server.statements() - before);
      }
      return Math.min(...runs);
    };
    expect(await cost(2)).toBe(await cost(1));
  });

  test("the history lists each entry with its dates and reason; who recorded it only for ADMIN and coordinators in scope", async () => {
    const coordinatorAccount = await prisma().householdCategoryChange.findFirstOrThrow({ where: { householdId: id, kind: "REGISTERED" } });
    const account = await prisma().account.findUniqueOrThrow({ where: { id: coordinatorAccount.recordedById! } });
    const data = await server.admin.query(HISTORY, { id });
    expect(data.household).toMatchObject({ status: "EXITED", recognizedOn: "2025-03-10", exitedOn: "2025-06-05", exitReason: "MOVED_AWAY", category: "DIBAO_MARGINAL" });
    const recordedBy = { id: account.id, username: account.username };
    expect(data.household.categoryHistory).toEqual([
      { kind: "REGISTERED", category: "DIBAO", effectiveOn: "2025-03-10", effectiveUntil: "2025-04-19", reason: null, exitReason: null, recordedBy, recordedAt: expect.any(String) },
      {
        kind: "CATEGORY_CHANGED", category: "DIBAO_MARGINAL", effectiveOn: "2025-04-20", effectiveUntil: "2025-06-04",
        reason: "家庭收入提高,转为低保边缘", exitReason: null, recordedBy, recordedAt: expect.any(String),
      },
      { kind: "EXITED", category: null, effectiveOn: "2025-06-05", effectiveUntil: null, reason: "迁往杭州", exitReason: "MOVED_AWAY", recordedBy, recordedAt: expect.any(String) },
    ]);
    expect(data.household.memberHistory).toHaveLength(3);
    expect(data.household.memberHistory[0]).toEqual({ kind: "ADDED", memberId: expect.any(String), memberName: "李大山", effectiveOn: "2025-03-10", reason: null, recordedBy: { username: account.username } });

    const asPartner = await partner.query(HISTORY, { id });
    expect(asPartner.household.categoryHistory.map((entry: { recordedBy: unknown }) => entry.recordedBy)).toEqual([null, null, null]);
    expect(asPartner.household.categoryHistory.map((entry: { kind: string }) => entry.kind)).toEqual(["REGISTERED", "CATEGORY_CHANGED", "EXITED"]);
    expect(asPartner.household.memberHistory[0]).toMatchObject({ memberName: "李**", recordedBy: null });
    expect(JSON.stringify(asPartner)).not.toContain("李大山");
    await outsider.expectError("FORBIDDEN", HISTORY, { id });
  });

  test("any change to an EXITED household is CONFLICT and writes nothing", async () => {
    const memberId = (await prisma().householdMember.findFirstOrThrow({ where: { householdId: id } })).id;
    const before = await written();
    const attempts: [string, Record<string, unknown>][] = [
      [CHANGE, { householdId: id, category: "DIBAO", effectiveOn: "2025-07-01", reason: "复核" }],
      [EXIT, { householdId: id, effectiveOn: "2025-07-01", reason: "OTHER", note: "复核" }],
      [ADD, { householdId: id, name: "李新", birthDate: "2025-07-01", effectiveOn: "2025-07-01", reason: "出生" }],
      [REMOVE, { memberId, effectiveOn: "2025-07-01", reason: "迁出" }],
      [UPDATE, { memberId, name: "李大川" }],
    ];
    for (const [mutation, input] of attempts) {
      const { error } = await coordinator.expectError("CONFLICT", mutation, variablesFor(mutation, input));
      expect(error.message).toContain("exited on 2025-06-05");
    }
    expect(await written()).toEqual(before);
  });
});

describe("registerHousehold starts the history on its recognition day", () => {
  test("default today: the REGISTERED entry, members joined that day, recorded by the caller", async () => {
    const village = await freshVillage();
    const { id } = await registerHousehold(server.admin, { allianceId: village, members: [{ name: "王小", birthDate: "2001-01-01" }] });
    const data = await server.admin.query(HISTORY, { id });
    const today = isoDate(todayInChina());
    expect(data.household).toMatchObject({ status: "ACTIVE", recognizedOn: today, exitedOn: null, exitReason: null, size: 2 });
    expect(data.household.categoryHistory).toEqual([
      expect.objectContaining({ kind: "REGISTERED", category: "DIBAO", effectiveOn: today, effectiveUntil: null, recordedBy: expect.objectContaining({ username: "admin" }) }),
    ]);
    expect(data.household.members.map((m: { joinedOn: string; leftOn: string | null }) => [m.joinedOn, m.leftOn])).toEqual([[today, null], [today, null]]);
    expect((await population(village, today, today)).total).toBe(2);
  });

  test("a recognition day in the future, or before a member's birth, is BAD_USER_INPUT and writes nothing", async () => {
    const village = await freshVillage();
    const before = await written();
    const base = { allianceId: village, category: "DIBAO", headName: "赵一", idNumber: residentId("19700101"), members: [] };
    const { error } = await coordinator.expectError("BAD_USER_INPUT", `mutation ($input: RegisterHouseholdInput!) { registerHousehold(input: $input) { id } }`, {
      input: { ...base, recognizedOn: daysFromToday(1) },
    });
    expect(error.extensions?.field).toBe("recognizedOn");
    expect(error.message).toMatch(/^recognizedOn: must not be in the future/);
    const born = await coordinator.expectError("BAD_USER_INPUT", `mutation ($input: RegisterHouseholdInput!) { registerHousehold(input: $input) { id } }`, {
      input: { ...base, recognizedOn: "2020-01-01", members: [{ name: "赵二", birthDate: "2021-01-01" }] },
    });
    expect(born.error.extensions?.field).toBe("members[0].birthDate");
    expect(await written()).toEqual(before);
  });
});

describe("who may change a household", () => {
  let id: string;
  let memberId: string;

  beforeAll(async () => {
    const village = await freshVillage();
    id = (await household(village, "2025-01-10")).id;
    memberId = (await prisma().householdMember.findFirstOrThrow({ where: { householdId: id, name: "李成员1" } })).id;
  });

  const inputs = () =>
    [
      ["changeHouseholdCategory", CHANGE, { householdId: id, category: "EXTREME_POVERTY", effectiveOn: "2025-02-01", reason: "复核" }],
      ["exitHousehold", EXIT, { householdId: id, effectiveOn: "2025-02-01", reason: "DECEASED" }],
      ["addHouseholdMember", ADD, { householdId: id, name: "李新生", birthDate: "2025-02-01", effectiveOn: "2025-02-01", reason: "出生" }],
      ["removeHouseholdMember", REMOVE, { memberId, effectiveOn: "2025-02-01", reason: "迁出" }],
      ["updateHouseholdMember", UPDATE, { memberId, name: "李改名" }],
    ] as const;

  test.each([0, 1, 2, 3, 4])("operation %#: a PARTNER and a coordinator of another subtree get FORBIDDEN, writing nothing", async (i) => {
    const [, mutation, input] = inputs()[i];
    const before = await written();
    await partner.expectError("FORBIDDEN", mutation, variablesFor(mutation, input));
    await outsider.expectError("FORBIDDEN", mutation, variablesFor(mutation, input));
    await server.anonymous.expectError("UNAUTHENTICATED", mutation, variablesFor(mutation, input));
    expect(await written()).toEqual(before);
  });

  test.each([0, 1, 2, 3, 4])("operation %#: an unknown id is BAD_USER_INPUT naming the field", async (i) => {
    const [, mutation, input] = inputs()[i];
    const field = "memberId" in input ? "memberId" : "householdId";
    const before = await written();
    const { error } = await coordinator.expectError("BAD_USER_INPUT", mutation, variablesFor(mutation, { ...input, [field]: "00000000-0000-4000-8000-000000000000" }));
    expect(error.extensions?.field).toBe(field);
    const malformed = await coordinator.expectError("BAD_USER_INPUT", mutation, variablesFor(mutation, { ...input, [field]: "nope" }));
    expect(malformed.error.extensions?.field).toBe(field);
    expect(await written()).toEqual(before);
  });
});

describe("bad dates and states are refused with a clear error, and nothing is written", () => {
  let village: string;
  let id: string;
  let members: { id: string; name: string }[];

  beforeAll(async () => {
    village = await freshVillage();
    id = (await household(village, "2025-03-10", "DIBAO", 1)).id;
    await coordinator.query(CHANGE, { input: { householdId: id, category: "DIBAO_MARGINAL", effectiveOn: "2025-04-20", reason: "复核" } });
    members = await prisma().householdMember.findMany({ where: { householdId: id }, select: { id: true, name: true }, orderBy: { birthDate: "asc" } });
  });

  const refused = async (code: string, mutation: string, input: Record<string, unknown>, field: string, message: RegExp) => {
    const before = await written();
    const figures = await population(village, "2025-06-30");
    const { error } = await coordinator.expectError(code, mutation, variablesFor(mutation, input));
    expect(error.extensions?.field).toBe(field);
    expect(error.message).toMatch(message);
    expect(JSON.stringify(error)).not.toContain("李大山");
    expect(await written()).toEqual(before);
    expect(await population(village, "2025-06-30")).toEqual(figures);
  };

  test("an effective day in the future", async () => {
    const tomorrow = daysFromToday(1);
    await refused("BAD_USER_INPUT", CHANGE, { householdId: id, category: "DIBAO", effectiveOn: tomorrow, reason: "复核" }, "effectiveOn", /^effectiveOn: must not be in the future/);
    await refused("BAD_USER_INPUT", EXIT, { householdId: id, effectiveOn: tomorrow, reason: "OTHER" }, "effectiveOn", /in the future/);
    await refused("BAD_USER_INPUT", ADD, { householdId: id, name: "李新", birthDate: "2025-05-01", effectiveOn: tomorrow, reason: "出生" }, "effectiveOn", /in the future/);
    await refused("BAD_USER_INPUT", REMOVE, { memberId: members[1].id, effectiveOn: tomorrow, reason: "迁出" }, "effectiveOn", /in the future/);
  });

  test("an effective day before the recognition day", async () => {
    await refused(
      "BAD_USER_INPUT", ADD, { householdId: id, name: "李新", birthDate: "2025-01-01", effectiveOn: "2025-03-09", reason: "出生" },
      "effectiveOn", /before the household's recognition day \(2025-03-10\)/,
    );
    await refused("BAD_USER_INPUT", EXIT, { householdId: id, effectiveOn: "2025-01-01", reason: "DECEASED" }, "effectiveOn", /recognition day/);
  });

  test("an effective day before the latest category change: history only moves forward", async () => {
    await refused(
      "BAD_USER_INPUT", CHANGE, { householdId: id, category: "EXTREME_POVERTY", effectiveOn: "2025-04-19", reason: "补录" },
      "effectiveOn", /latest category change \(2025-04-20\).*only moves forward/,
    );
    await refused("BAD_USER_INPUT", REMOVE, { memberId: members[1].id, effectiveOn: "2025-04-01", reason: "迁出" }, "effectiveOn", /2025-04-20/);
  });

  test("an exit for OTHER reasons without a note", async () => {
    await refused("BAD_USER_INPUT", EXIT, { householdId: id, effectiveOn: "2025-05-01", reason: "OTHER" }, "note", /^note: /);
  });

  test("changing the category to the one it has", async () => {
    await refused("BAD_USER_INPUT", CHANGE, { householdId: id, category: "DIBAO_MARGINAL", effectiveOn: "2025-05-01", reason: "复核" }, "category", /DIBAO_MARGINAL already/);
  });

  test("a reason that is empty or longer than 200 characters", async () => {
    await refused("BAD_USER_INPUT", CHANGE, { householdId: id, category: "DIBAO", effectiveOn: "2025-05-01", reason: "" }, "reason", /reason/);
    await refused("BAD_USER_INPUT", CHANGE, { householdId: id, category: "DIBAO", effectiveOn: "2025-05-01", reason: "很".repeat(201) }, "reason", /reason/);
  });

  test("removing a member on the day they joined, removing twice, removing the last member", async () => {
    const added = await coordinator.query(ADD, { input: { householdId: id, name: "李新生", birthDate: "2025-05-02", effectiveOn: "2025-05-02", reason: "出生" } });
    const newborn = added.addHouseholdMember.members.find((m: { name: string }) => m.name === "李新生");
    await refused("BAD_USER_INPUT", REMOVE, { memberId: newborn.id, effectiveOn: "2025-05-02", reason: "迁出" }, "effectiveOn", /after the day the person joined \(2025-05-02\)/);

    await coordinator.query(REMOVE, { memberId: members[1].id, effectiveOn: "2025-06-01", reason: "迁出" });
    await refused("CONFLICT", REMOVE, { memberId: members[1].id, effectiveOn: "2025-06-02", reason: "迁出" }, "memberId", /left the household on 2025-06-01 already/);
    await coordinator.query(REMOVE, { memberId: newborn.id, effectiveOn: "2025-06-03", reason: "随母迁出" });
    await refused("CONFLICT", REMOVE, { memberId: members[0].id, effectiveOn: "2025-06-04", reason: "去世" }, "memberId", /last member/);
  });
});

describe("member changes", () => {
  test("add, remove and correct members: sizes, current and former members, the history, and the figures by day", async () => {
    const village = await freshVillage();
    const { id } = await household(village, "2025-02-01", "EXTREME_POVERTY", 1);
    const added = await coordinator.query(ADD, { input: { householdId: id, name: "李小宝", birthDate: "2025-05-10", effectiveOn: "2025-05-10", reason: "出生" } });
    expect(added.addHouseholdMember).toMatchObject({ size: 3 });
    const baby = added.addHouseholdMember.members.find((m: { name: string }) => m.name === "李小宝");
    expect(baby).toMatchObject({ joinedOn: "2025-05-10", leftOn: null });

    const other = (await prisma().householdMember.findFirstOrThrow({ where: { householdId: id, name: "李成员1" } })).id;
    const removed = await coordinator.query(REMOVE, { memberId: other, effectiveOn: "2025-06-15", reason: "外出务工迁出户籍" });
    expect(removed.removeHouseholdMember.size).toBe(2);
    expect(removed.removeHouseholdMember.members.map((m: { name: string }) => m.name)).toEqual(["李大山", "李小宝"]);

    const updated = await coordinator.query(UPDATE, { input: { memberId: baby.id, name: "李安", reason: "取名" } });
    expect(updated.updateHouseholdMember.members.map((m: { name: string }) => m.name)).toEqual(["李大山", "李安"]);
    const head = (await prisma().householdMember.findFirstOrThrow({ where: { householdId: id, name: "李大山" } })).id;
    const renamed = await coordinator.query(UPDATE, { input: { memberId: head, name: "李大海", reason: "户口本姓名更正" } });
    expect(renamed.updateHouseholdMember.headName).toBe("李大海");

    const data = await coordinator.query(HISTORY, { id });
    expect(data.household.members.map((m: { name: string; leftOn: string | null }) => [m.name, m.leftOn])).toEqual([
      ["李大海", null],
      ["李成员1", "2025-06-15"],
      ["李安", null],
    ]);
    const today = isoDate(todayInChina());
    expect(data.household.memberHistory.map((e: { kind: string; memberName: string; effectiveOn: string; reason: string | null }) => [e.kind, e.memberName, e.effectiveOn, e.reason])).toEqual([
      ["ADDED", "李大海", "2025-02-01", null],
      ["ADDED", "李成员1", "2025-02-01", null],
      ["ADDED", "李安", "2025-05-10", "出生"],
      ["REMOVED", "李成员1", "2025-06-15", "外出务工迁出户籍"],
      ["UPDATED", "李安", today, "取名"],
      ["UPDATED", "李大海", today, "户口本姓名更正"],
    ]);

    expect((await population(village, "2025-05-09")).extremePoverty).toBe(2);
    expect((await population(village, "2025-05-10")).extremePoverty).toBe(3);
    expect((await population(village, "2025-06-14")).extremePoverty).toBe(3);
    expect((await population(village, "2025-06-15")).extremePoverty).toBe(2);

    // the audit log keeps masked names only
    const audit = await prisma().auditLog.findMany({ where: { operation: { in: ["addHouseholdMember", "updateHouseholdMember"] } } });
    const text = JSON.stringify(audit.map((row) => row.input));
    for (const name of ["李小宝", "李安", "李大海"]) expect(text).not.toContain(name);
    expect(text).toContain("李**");
  });
});

describe("idempotency and closed periods", () => {
  test("a retried changeHouseholdCategory with the same key changes nothing more; the key with another input is CONFLICT", async () => {
    const village = await freshVillage();
    const { id } = await household(village, "2025-01-05");
    const input = { householdId: id, category: "OTHER_MONITORED", effectiveOn: "2025-02-01", reason: "收入超标,转为其他监测对象", idempotencyKey: "change-1" };
    const first = await coordinator.query(CHANGE, { input });
    const before = await written();
    const second = await coordinator.query(CHANGE, { input });
    expect(second).toEqual(first);
    expect(await written()).toEqual(before);
    await coordinator.expectError("CONFLICT", CHANGE, { input: { ...input, effectiveOn: "2025-02-02" } });
    expect(await written()).toEqual(before);
    const history = (await coordinator.query(HISTORY, { id })).household.categoryHistory;
    expect(history.map((entry: { kind: string }) => entry.kind)).toEqual(["REGISTERED", "CATEGORY_CHANGED"]);
    const monthly = await coordinator.query(MONTHLY, { id: village, from: "2025-01-01", to: "2025-02-28" });
    expect(monthly.stats.lowIncomePopulationByMonth.map((row: { entered: number; exited: number; total: number }) => [row.total, row.entered, row.exited])).toEqual([
      [3, 3, 0],
      [0, 0, 3],
    ]);
  });

  test("inside a closed period a coordinator gets CONFLICT naming the date; ADMIN corrects, and the audit log says so", async () => {
    const village = await freshVillage();
    const { id } = await household(village, "2025-01-05");
    await prisma().alliance.update({ where: { id: village }, data: { closedThrough: new Date("2025-03-31T00:00:00Z") } });
    const input = { householdId: id, category: "EXTREME_POVERTY", effectiveOn: "2025-03-01", reason: "补录" };
    const before = await written();
    const { error } = await coordinator.expectError("CONFLICT", CHANGE, { input });
    expect(error.message).toContain("2025-03-31");
    expect(error.extensions?.field).toBe("effectiveOn");
    expect(await written()).toEqual(before);

    await server.admin.query(CHANGE, { input });
    const audit = await prisma().auditLog.findFirstOrThrow({ where: { operation: "changeHouseholdCategory", resultId: id } });
    expect(audit.input).toMatchObject({ effectiveOn: "2025-03-01", reason: "补录", closedPeriodCorrection: "2025-03-31" });
    // after the closed date, a coordinator may write again
    await coordinator.query(CHANGE, { input: { ...input, category: "DIBAO", effectiveOn: "2025-04-01", reason: "复核" } });
  });
});
