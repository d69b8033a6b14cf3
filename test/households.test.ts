import { todayInChina, isoDate } from "../src/common/scalars";
import { ageBandOf, maskIdNumber, maskName, quarterOf } from "../src/modules/household";
import type { GraphQLClient } from "./helpers/graphql";
import {
  coordinatorOf,
  createOrganization,
  createTaizhouTree,
  partnerOf,
  registerHousehold,
  residentId,
} from "./helpers/factories";
import { startTestServer, stopAll } from "./helpers/server";

let server: Awaited<ReturnType<typeof startTestServer>>;
let tree: Awaited<ReturnType<typeof createTaizhouTree>>;

const REGISTER = `mutation ($input: RegisterHouseholdInput!) {
  registerHousehold(input: $input) { id category headName idNumber size members { name ageBand } alliance { id name } }
}`;

const HOUSEHOLD = `query ($id: ID!) {
  household(id: $id) { id headName idNumber size members { name ageBand } }
}`;

const HOUSEHOLDS = `query ($allianceId: ID, $category: AssistanceCategory, $first: Int, $after: String) {
  households(allianceId: $allianceId, category: $category, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id category headName idNumber members { name } }
  }
}`;

/** A date `years` years and `days` days before today (China time), as "YYYY-MM-DD". */
function yearsAgo(years: number, days = 0): string {
  const today = todayInChina();
  const date = new Date(Date.UTC(today.getUTCFullYear() - years, today.getUTCMonth(), today.getUTCDate() - days));
  return isoDate(date);
}

const prisma = () => server.app.prisma;

async function counts() {
  return {
    households: await prisma().household.count(),
    members: await prisma().householdMember.count(),
    history: await prisma().householdCategoryChange.count(),
    memberHistory: await prisma().householdMemberChange.count(),
    spans: await prisma().householdState.count(),
    audit: await prisma().auditLog.count({ where: { operation: "registerHousehold" } }),
  };
}

beforeAll(async () => {
  server = await startTestServer();
  tree = await createTaizhouTree(server.admin);
});
afterAll(() => stopAll(server));

describe("masking and age bands (unit)", () => {
  test("names keep the family name (both characters of a compound one) and `**`", () => {
    expect(maskName("张三")).toBe("张**");
    expect(maskName("张小明")).toBe("张**");
    expect(maskName("欧阳小明")).toBe("欧阳**");
    expect(maskName("上官婉儿")).toBe("上官**");
    expect(maskName("李")).toBe("李**");
    expect(maskName("𠮷野家")).toBe("𠮷**");
  });

  test("ID numbers keep the first six and the last character", () => {
    expect(maskIdNumber("33100219600101123X")).toBe("331002***********X");
    expect(maskIdNumber("331002196001011234")).toBe("331002***********4");
    expect(maskIdNumber("1234")).toBe("****");
  });

  test("age bands follow the district's minor bands, counted in full years", () => {
    const on = new Date(Date.UTC(2025, 5, 30));
    const born = (y: number, m: number, d: number) => new Date(Date.UTC(y, m - 1, d));
    expect(ageBandOf(born(2025, 6, 30), on)).toBe("UNDER_7");
    expect(ageBandOf(born(2018, 7, 1), on)).toBe("UNDER_7"); // 6 until tomorrow
    expect(ageBandOf(born(2018, 6, 30), on)).toBe("AGE_7_TO_10");
    expect(ageBandOf(born(2014, 7, 1), on)).toBe("AGE_7_TO_10");
    expect(ageBandOf(born(2014, 6, 30), on)).toBe("AGE_11_TO_14");
    expect(ageBandOf(born(2010, 6, 30), on)).toBe("AGE_15_TO_17");
    expect(ageBandOf(born(2007, 6, 30), on)).toBe("ADULT");
    expect(ageBandOf(born(1965, 7, 1), on)).toBe("ADULT");
    expect(ageBandOf(born(1965, 6, 30), on)).toBe("ELDERLY");
  });

  test("quarters run Jan–Mar, Apr–Jun, Jul–Sep, Oct–Dec", () => {
    const q = quarterOf(new Date(Date.UTC(2025, 2, 31)));
    expect([isoDate(q.start), isoDate(q.end)]).toEqual(["2025-01-01", "2025-04-01"]);
    const q4 = quarterOf(new Date(Date.UTC(2025, 9, 1)));
    expect([isoDate(q4.start), isoDate(q4.end)]).toEqual(["2025-10-01", "2026-01-01"]);
  });
});

describe("registerHousehold", () => {
  test("registers a household with the head counted as a member and age bands from birth dates", async () => {
    const idNumber = residentId("19580315");
    const data = await server.admin.query(REGISTER, {
      input: {
        allianceId: tree.taipingA.id,
        category: "DIBAO",
        headName: "张小明",
        idNumber,
        members: [
          { name: "李芳", birthDate: yearsAgo(40) },
          { name: "张乐", birthDate: yearsAgo(8) },
          { name: "张安", birthDate: yearsAgo(3) },
          { name: "张宁", birthDate: yearsAgo(12) },
          { name: "张静", birthDate: yearsAgo(16) },
        ],
      },
    });
    const household = data.registerHousehold;
    expect(household).toMatchObject({ category: "DIBAO", headName: "张小明", idNumber, size: 6 });
    expect(household.alliance).toEqual({ id: tree.taipingA.id, name: "东门村" });
    expect(household.members).toEqual([
      { name: "张小明", ageBand: "ELDERLY" },
      { name: "李芳", ageBand: "ADULT" },
      { name: "张静", ageBand: "AGE_15_TO_17" },
      { name: "张宁", ageBand: "AGE_11_TO_14" },
      { name: "张乐", ageBand: "AGE_7_TO_10" },
      { name: "张安", ageBand: "UNDER_7" },
    ]);
  });

  test("a head listed among the members (same name and birth date) is not counted twice", async () => {
    const household = await registerHousehold(server.admin, {
      allianceId: tree.taipingA.id,
      headName: "陈大海",
      idNumber: residentId("19700102"),
      members: [
        { name: "陈大海", birthDate: "1970-01-02" },
        { name: "陈小海", birthDate: yearsAgo(20) },
      ],
    });
    expect(household.size).toBe(2);
  });

  test("a coordinator registers in its subtree; the same idempotency key returns the first household", async () => {
    const coordinator = await coordinatorOf(server, tree.taiping.id);
    const input = {
      allianceId: tree.taipingB.id,
      category: "EXTREME_POVERTY",
      headName: "林阿婆",
      idNumber: residentId("19400505"),
      members: [],
      idempotencyKey: "register-lin-1",
    };
    const before = await counts();
    const first = await coordinator.query(REGISTER, { input });
    const second = await coordinator.query(REGISTER, { input });
    expect(second.registerHousehold.id).toBe(first.registerHousehold.id);
    expect(first.registerHousehold.size).toBe(1);
    const after = await counts();
    expect(after.households - before.households).toBe(1);
    expect(after.audit - before.audit).toBe(1);
  });

  test("the audit log keeps the registration with names and ID numbers masked", async () => {
    const idNumber = residentId("19620707");
    const household = await registerHousehold(server.admin, {
      allianceId: tree.taipingA.id,
      headName: "欧阳小明",
      idNumber,
      members: [{ name: "欧阳娜娜", birthDate: yearsAgo(30) }],
    });
    const row = await prisma().auditLog.findFirst({ where: { operation: "registerHousehold", resultId: household.id } });
    const text = JSON.stringify(row?.input);
    expect(text).not.toContain(idNumber);
    expect(text).not.toContain("欧阳小明");
    expect(text).not.toContain("欧阳娜娜");
    expect(row?.input).toMatchObject({ headName: "欧阳**", idNumber: maskIdNumber(idNumber) });
  });

  describe("refuses bad input, writing nothing", () => {
    const valid = () => ({
      allianceId: tree.taipingA.id,
      category: "DIBAO",
      headName: "王五",
      idNumber: residentId("19800101"),
      members: [{ name: "王小五", birthDate: yearsAgo(5) }],
    });

    const cases: [string, () => Record<string, unknown>, string, string][] = [
      [
        "an ID number with a wrong check digit",
        () => {
          const id = residentId("19800101");
          return { ...valid(), idNumber: id.slice(0, 17) + (id[17] === "1" ? "2" : "1") };
        },
        "BAD_USER_INPUT",
        "idNumber",
      ],
      ["an ID number with no real birth date", () => ({ ...valid(), idNumber: residentId("19800230") }), "BAD_USER_INPUT", "idNumber"],
      ["an ID number born in the future", () => ({ ...valid(), idNumber: residentId("20991231") }), "BAD_USER_INPUT", "idNumber"],
      ["an ID number of 17 characters", () => ({ ...valid(), idNumber: residentId("19800101").slice(0, 17) }), "BAD_USER_INPUT", "idNumber"],
      ["a TOWNSHIP alliance", () => ({ ...valid(), allianceId: tree.taiping.id }), "BAD_USER_INPUT", "allianceId"],
      ["a COUNTY alliance", () => ({ ...valid(), allianceId: tree.wenling.id }), "BAD_USER_INPUT", "allianceId"],
      ["an alliance that does not exist", () => ({ ...valid(), allianceId: "00000000-0000-4000-8000-000000000000" }), "BAD_USER_INPUT", "allianceId"],
      ["an empty head name", () => ({ ...valid(), headName: "" }), "BAD_USER_INPUT", "headName"],
      ["a blank head name", () => ({ ...valid(), headName: "   " }), "BAD_USER_INPUT", "headName"],
      ["a head name of 51 characters", () => ({ ...valid(), headName: "王".repeat(51) }), "BAD_USER_INPUT", "headName"],
      [
        "a member born tomorrow",
        () => ({ ...valid(), members: [{ name: "王小五", birthDate: yearsAgo(0, -1) }] }),
        "BAD_USER_INPUT",
        "members[0].birthDate",
      ],
      ["a recognition day in the future", () => ({ ...valid(), recognizedOn: yearsAgo(0, -1) }), "BAD_USER_INPUT", "recognizedOn"],
      [
        "a member born after the recognition day",
        () => ({ ...valid(), recognizedOn: yearsAgo(6), members: [{ name: "王小五", birthDate: yearsAgo(5) }] }),
        "BAD_USER_INPUT",
        "members[0].birthDate",
      ],
      ["a member with an empty name", () => ({ ...valid(), members: [{ name: "", birthDate: yearsAgo(5) }] }), "BAD_USER_INPUT", "members.0.name"],
      [
        "31 members",
        () => ({ ...valid(), members: Array.from({ length: 31 }, (_, i) => ({ name: `王${i}`, birthDate: yearsAgo(5) })) }),
        "BAD_USER_INPUT",
        "members",
      ],
    ];

    test.each(cases)("%s", async (_name, input, code, field) => {
      const before = await counts();
      const { error } = await server.admin.expectError(code, REGISTER, { input: input() });
      expect(String(error.extensions?.field ?? error.message)).toContain(field);
      expect(error.message).not.toMatch(/\d{17}/);
      expect(await counts()).toEqual(before);
    });

    test("a PARTNER may not register households (FORBIDDEN)", async () => {
      const organization = await createOrganization(server.admin, { allianceIds: [tree.taiping.id] });
      const partner = await partnerOf(server, organization.id);
      const before = await counts();
      await partner.expectError("FORBIDDEN", REGISTER, { input: valid() });
      expect(await counts()).toEqual(before);
    });

    test("a coordinator may not register outside its subtree (FORBIDDEN)", async () => {
      const coordinator = await coordinatorOf(server, tree.jiaojiang.id);
      const before = await counts();
      await coordinator.expectError("FORBIDDEN", REGISTER, { input: valid() });
      expect(await counts()).toEqual(before);
    });

    test("a second household with the same ID number is a CONFLICT that does not echo the number", async () => {
      const input = valid();
      await server.admin.query(REGISTER, { input });
      const before = await counts();
      const { error } = await server.admin.expectError("CONFLICT", REGISTER, {
        input: { ...input, headName: "另一个人", idempotencyKey: "another-key" },
      });
      expect(error.extensions?.field).toBe("idNumber");
      expect(JSON.stringify(error)).not.toContain(input.idNumber);
      expect(JSON.stringify(error)).not.toContain(input.idNumber.slice(6, 14));
      expect(await counts()).toEqual(before);
    });
  });
});

describe("who sees what", () => {
  let household: { id: string; headName: string; idNumber: string };
  let jiaojiangHousehold: { id: string };
  let wenlingPartner: GraphQLClient;
  let otherWenlingPartner: GraphQLClient;
  let wenlingOrganization: { id: string };
  let jiaojiangPartner: GraphQLClient;
  let wenlingCoordinator: GraphQLClient;
  let jiaojiangCoordinator: GraphQLClient;
  const idNumber = residentId("19800909", "331081");

  beforeAll(async () => {
    household = await registerHousehold(server.admin, {
      allianceId: tree.taipingB.id,
      category: "DIBAO_MARGINAL",
      headName: "周晓梅",
      idNumber,
      members: [{ name: "欧阳小明", birthDate: yearsAgo(10) }, { name: "周乐", birthDate: yearsAgo(2) }],
    });
    jiaojiangHousehold = await registerHousehold(server.admin, { allianceId: tree.haimenA.id, headName: "海门户" });
    wenlingOrganization = await createOrganization(server.admin, { allianceIds: [tree.wenling.id] });
    const other = await createOrganization(server.admin, { allianceIds: [tree.taiping.id] });
    const jiaojiang = await createOrganization(server.admin, { allianceIds: [tree.jiaojiang.id] });
    wenlingPartner = await partnerOf(server, wenlingOrganization.id);
    otherWenlingPartner = await partnerOf(server, other.id);
    jiaojiangPartner = await partnerOf(server, jiaojiang.id);
    wenlingCoordinator = await coordinatorOf(server, tree.wenling.id);
    jiaojiangCoordinator = await coordinatorOf(server, tree.jiaojiang.id);
  });

  const unmasked = () => ({
    id: household.id,
    headName: "周晓梅",
    idNumber,
    size: 3,
    members: [
      { name: "周晓梅", ageBand: "ADULT" },
      { name: "欧阳小明", ageBand: "AGE_7_TO_10" },
      { name: "周乐", ageBand: "UNDER_7" },
    ],
  });
  const masked = () => ({
    id: household.id,
    headName: "周**",
    idNumber: `331081***********${idNumber.slice(-1)}`,
    size: 3,
    members: [
      { name: "周**", ageBand: "ADULT" },
      { name: "欧阳**", ageBand: "AGE_7_TO_10" },
      { name: "周**", ageBand: "UNDER_7" },
    ],
  });

  test("ADMIN sees names and ID numbers", async () => {
    const data = await server.admin.query(HOUSEHOLD, { id: household.id });
    expect(data.household).toEqual(unmasked());
  });

  test("a COORDINATOR of the subtree sees names and ID numbers", async () => {
    const data = await wenlingCoordinator.query(HOUSEHOLD, { id: household.id });
    expect(data.household).toEqual(unmasked());
  });

  test("a PARTNER in scope sees every name and the ID number masked, in reads and lists", async () => {
    const data = await wenlingPartner.query(HOUSEHOLD, { id: household.id });
    expect(data.household).toEqual(masked());
    const list = await wenlingPartner.query(HOUSEHOLDS, { allianceId: tree.taipingB.id });
    const node = list.households.nodes.find((n: { id: string }) => n.id === household.id);
    expect(node).toEqual({
      id: household.id,
      category: "DIBAO_MARGINAL",
      headName: "周**",
      idNumber: masked().idNumber,
      members: masked().members.map(({ name }) => ({ name })),
    });
    expect(JSON.stringify(list)).not.toContain(idNumber);
    expect(JSON.stringify(list)).not.toContain("周晓梅");
  });

  test("a PARTNER sees PII while its organization holds a CLAIMED request on the household, and only then", async () => {
    const created = await server.admin.query(
      `mutation ($input: CreateServiceRequestInput!) { createServiceRequest(input: $input) { id } }`,
      { input: { allianceId: tree.taipingB.id, householdId: household.id, category: "PRECISION_ASSISTANCE", title: "送米送油" } },
    );
    const requestId = created.createServiceRequest.id;
    expect((await wenlingPartner.query(HOUSEHOLD, { id: household.id })).household).toEqual(masked());

    await wenlingPartner.query(`mutation ($id: ID!) { claimServiceRequest(id: $id) { status } }`, { id: requestId });
    expect((await wenlingPartner.query(HOUSEHOLD, { id: household.id })).household).toEqual(unmasked());
    const throughRequest = await wenlingPartner.query(
      `query ($id: ID!) { serviceRequest(id: $id) { household { headName idNumber members { name } } } }`,
      { id: requestId },
    );
    expect(throughRequest.serviceRequest.household.headName).toBe("周晓梅");
    expect(throughRequest.serviceRequest.household.idNumber).toBe(idNumber);
    // another partner of the same area still sees masked values
    expect((await otherWenlingPartner.query(HOUSEHOLD, { id: household.id })).household).toEqual(masked());

    await wenlingPartner.query(`mutation ($id: ID!) { releaseServiceRequest(id: $id) { status } }`, { id: requestId });
    expect((await wenlingPartner.query(HOUSEHOLD, { id: household.id })).household).toEqual(masked());
  });

  test("a PARTNER of 椒江区 gets FORBIDDEN on a 温岭市 household and does not see it in lists", async () => {
    const { error, data } = await jiaojiangPartner.expectError("FORBIDDEN", HOUSEHOLD, { id: household.id });
    expect(data?.household ?? null).toBeNull();
    expect(JSON.stringify(error)).not.toContain(idNumber);
    const list = await jiaojiangPartner.query(HOUSEHOLDS, {});
    const ids = list.households.nodes.map((n: { id: string }) => n.id);
    expect(ids).toContain(jiaojiangHousehold.id);
    expect(ids).not.toContain(household.id);
    expect(list.households.totalCount).toBe(ids.length);
    await jiaojiangPartner.expectError("FORBIDDEN", HOUSEHOLDS, { allianceId: tree.wenling.id });
  });

  test("a COORDINATOR outside the subtree gets FORBIDDEN and an empty share of lists", async () => {
    await jiaojiangCoordinator.expectError("FORBIDDEN", HOUSEHOLD, { id: household.id });
    const list = await jiaojiangCoordinator.query(HOUSEHOLDS, {});
    expect(list.households.nodes.map((n: { id: string }) => n.id)).toEqual([jiaojiangHousehold.id]);
  });

  test("an unknown id reads as null; without a token nothing is readable", async () => {
    const data = await server.admin.query(HOUSEHOLD, { id: "00000000-0000-4000-8000-000000000000" });
    expect(data.household).toBeNull();
    await server.anonymous.expectError("UNAUTHENTICATED", HOUSEHOLD, { id: household.id });
  });

  test("PII access for a whole page is decided in one statement, whatever the page size", async () => {
    const village = tree.taipingA.id;
    const query = `query ($allianceId: ID, $first: Int) {
      households(allianceId: $allianceId, first: $first) { nodes { headName idNumber members { name ageBand } } }
    }`;
    // The fewer of two runs: a run may also re-check the token (at most every TOKEN_CHECK_SECONDS).
    const statementsFor = async (first: number) => {
      const runs: number[] = [];
      for (let run = 0; run < 2; run += 1) {
        const before = server.statements();
        const data = await wenlingPartner.query(query, { allianceId: village, first });
        expect(data.households.nodes).toHaveLength(first);
        runs.push(server.statements() - before);
      }
      return Math.min(...runs);
    };
    const small = await statementsFor(1);
    const large = await statementsFor(4);
    expect(large).toBe(small);
  });
});

describe("households list", () => {
  test("filters by category and subtree, pages in registration order with totalCount", async () => {
    const village = tree.haimenA.id;
    const coordinator = await coordinatorOf(server, tree.haimen.id);
    const made = [];
    for (const category of ["DIBAO", "EXTREME_POVERTY", "DIBAO", "OTHER_MONITORED", "DIBAO"]) {
      made.push(await registerHousehold(coordinator, { allianceId: village, category }));
    }
    const dibao = made.filter((_, i) => [0, 2, 4].includes(i)).map((h) => h.id);

    const page1 = await coordinator.query(HOUSEHOLDS, { allianceId: tree.haimen.id, category: "DIBAO", first: 2 });
    expect(page1.households.totalCount).toBe(4); // three made here and the one made in "who sees what"
    expect(page1.households.pageInfo.hasNextPage).toBe(true);
    const page2 = await coordinator.query(HOUSEHOLDS, {
      allianceId: tree.haimen.id,
      category: "DIBAO",
      first: 2,
      after: page1.households.pageInfo.endCursor,
    });
    expect(page2.households.pageInfo.hasNextPage).toBe(false);
    const ids = [...page1.households.nodes, ...page2.households.nodes].map((n: { id: string }) => n.id);
    expect(ids.slice(1)).toEqual(dibao);
    expect(new Set(ids).size).toBe(4);

    const extreme = await coordinator.query(HOUSEHOLDS, { category: "EXTREME_POVERTY" });
    expect(extreme.households.nodes.map((n: { id: string }) => n.id)).toEqual([made[1].id]);
  });

  test("page sizes outside 1..100 and foreign cursors are BAD_USER_INPUT", async () => {
    await server.admin.expectError("BAD_USER_INPUT", HOUSEHOLDS, { first: 101 });
    await server.admin.expectError("BAD_USER_INPUT", HOUSEHOLDS, { first: 0 });
    await server.admin.expectError("BAD_USER_INPUT", HOUSEHOLDS, { after: "not-a-cursor" });
  });
});
