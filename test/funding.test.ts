import { coordinatorOf, createOrganization, createTaizhouTree, partnerOf, type OrganizationNode } from "./helpers/factories";
import { GraphQLClient } from "./helpers/graphql";
import { ADD_FUNDING, ALLOCATE, CREATE_GRANT, GRANT_FIELDS, SET_STATUS, countRows, createGrant, createServiceProject } from "./helpers/projects";
import { startSecondInstance, startTestServer, stopAll, type TestServer } from "./helpers/server";
import { Prisma } from "../src/generated/prisma/client";

/** Setup signs in several accounts (argon2) and may start servers: generous on a busy machine. */
const SETUP_TIMEOUT = 180_000;

let server: Awaited<ReturnType<typeof startTestServer>>;
let tree: Awaited<ReturnType<typeof createTaizhouTree>>;
let wenlingCoordinator: GraphQLClient;
let jiaojiangCoordinator: GraphQLClient;
let wenlingOrg: OrganizationNode;
let taipingOrg: OrganizationNode;
let jiaojiangOrg: OrganizationNode;
/** A project in 太平街道 (温岭市) led by wenlingOrg with taipingOrg as partner. */
let taipingProject: { id: string };
/** A project in 海门街道 (椒江区). */
let haimenProject: { id: string };

const D = (value: string) => new Prisma.Decimal(value);

beforeAll(async () => {
  server = await startTestServer();
  tree = await createTaizhouTree(server.admin);
  wenlingCoordinator = await coordinatorOf(server, tree.wenling.id);
  jiaojiangCoordinator = await coordinatorOf(server, tree.jiaojiang.id);
  wenlingOrg = await createOrganization(server.admin, { allianceIds: [tree.wenling.id] });
  taipingOrg = await createOrganization(server.admin, { allianceIds: [tree.taiping.id] });
  jiaojiangOrg = await createOrganization(server.admin, { allianceIds: [tree.jiaojiang.id] });
  taipingProject = await createServiceProject(server.admin, {
    allianceId: tree.taiping.id,
    leadOrganizationId: wenlingOrg.id,
    partnerIds: [taipingOrg.id],
  });
  haimenProject = await createServiceProject(server.admin, { allianceId: tree.haimen.id, leadOrganizationId: jiaojiangOrg.id });
}, SETUP_TIMEOUT);
afterAll(() => stopAll(server));

const FUNDING_OF = `query ($id: ID!) { project(id: $id) { fundingTotal fundings { id amount source receivedOn note grant { id } } } }`;
const GRANT = `query ($id: ID!) { grant(id: $id) { ${GRANT_FIELDS} } }`;

function fundingInput(overrides: Record<string, unknown> = {}) {
  return { projectId: taipingProject.id, source: "CHARITY", amount: "1000.00", receivedOn: "2025-03-15", ...overrides };
}

describe("addFunding", () => {
  test("records money by source, amount and date; fundingTotal is the exact decimal sum", async () => {
    const project = await createServiceProject(wenlingCoordinator, { allianceId: tree.taipingA.id, leadOrganizationId: wenlingOrg.id });
    const amounts = ["0.10", "0.20", "123456789012.34", "999999999999.99"];
    for (const [i, amount] of amounts.entries()) {
      const data = await wenlingCoordinator.query(ADD_FUNDING, {
        input: { projectId: project.id, source: i % 2 ? "ENTERPRISE" : "GOVERNMENT_BUDGET", amount, receivedOn: `2025-0${i + 1}-01`, note: i ? null : "区财政拨款" },
      });
      expect(data.addFunding).toMatchObject({ amount, receivedOn: `2025-0${i + 1}-01`, project: { id: project.id }, grant: null });
    }
    const read = await server.admin.query(FUNDING_OF, { id: project.id });
    // 0.1 + 0.2 in floating point would be 0.30000000000000004; the sum also passes numeric(14,2).
    expect(read.project.fundingTotal).toBe("1123456789012.63");
    expect(read.project.fundings.map((f: { amount: string }) => f.amount)).toEqual(amounts);
    expect(read.project.fundings[0]).toMatchObject({ source: "GOVERNMENT_BUDGET", note: "区财政拨款" });
    const stored = await server.app.prisma.funding.aggregate({ where: { projectId: project.id }, _sum: { amount: true } });
    expect(stored._sum.amount?.toFixed(2)).toBe("1123456789012.63");
  });

  test("a retry with the same idempotencyKey writes one funding, not two", async () => {
    const project = await createServiceProject(wenlingCoordinator, { allianceId: tree.taiping.id, leadOrganizationId: wenlingOrg.id });
    const input = fundingInput({ projectId: project.id, amount: "800.00", idempotencyKey: "bank-slip-0001" });
    const [a, b] = await Promise.all([wenlingCoordinator.query(ADD_FUNDING, { input }), wenlingCoordinator.query(ADD_FUNDING, { input })]);
    const c = await wenlingCoordinator.query(ADD_FUNDING, { input });
    expect(b.addFunding.id).toBe(a.addFunding.id);
    expect(c.addFunding.id).toBe(a.addFunding.id);
    expect(await countRows(server, "funding", `project_id = '${project.id}'`)).toBe(1);
    expect((await server.admin.query(FUNDING_OF, { id: project.id })).project.fundingTotal).toBe("800.00");
    // Another key is another funding.
    await wenlingCoordinator.query(ADD_FUNDING, { input: { ...input, idempotencyKey: "bank-slip-0002" } });
    expect(await countRows(server, "funding", `project_id = '${project.id}'`)).toBe(2);
  });

  describe("refusals write nothing", () => {
    let before: number;
    beforeEach(async () => {
      before = await countRows(server, "funding");
    });
    afterEach(async () => {
      expect(await countRows(server, "funding")).toBe(before);
    });

    test("WELFARE_LOTTERY money must go through allocateGrant", async () => {
      const { error } = await wenlingCoordinator.expectError("BAD_USER_INPUT", ADD_FUNDING, { input: fundingInput({ source: "WELFARE_LOTTERY" }) });
      expect(error.extensions?.field).toBe("source");
      expect(error.message).toMatch(/allocateGrant/);
    });

    test.each(["0", "0.00"])("an amount of %s is BAD_USER_INPUT naming amount", async (amount) => {
      const { error } = await wenlingCoordinator.expectError("BAD_USER_INPUT", ADD_FUNDING, { input: fundingInput({ amount }) });
      expect(error.message).toBe("amount: must be greater than 0");
    });

    test.each([
      ["three decimals", "10.005"],
      ["negative", "-0.01"],
      ["a JSON number", 10.5],
      ["over 999,999,999,999.99", "1000000000000.00"],
      ["with a thousands separator", "1,000.00"],
      ["empty", ""],
    ])("an amount that is %s is BAD_USER_INPUT naming amount", async (_label, amount) => {
      const { error } = await wenlingCoordinator.expectError("BAD_USER_INPUT", ADD_FUNDING, { input: fundingInput({ amount }) });
      expect(error.message).toContain("amount");
    });

    test("a date in the future is BAD_USER_INPUT", async () => {
      const { error } = await wenlingCoordinator.expectError("BAD_USER_INPUT", ADD_FUNDING, { input: fundingInput({ receivedOn: "2999-01-01" }) });
      expect(error.extensions?.field).toBe("receivedOn");
    });

    test("a coordinator of 椒江区 cannot fund a 温岭市 project; partners cannot fund at all", async () => {
      await jiaojiangCoordinator.expectError("FORBIDDEN", ADD_FUNDING, { input: fundingInput() });
      const lead = await partnerOf(server, wenlingOrg.id);
      await lead.expectError("FORBIDDEN", ADD_FUNDING, { input: fundingInput() });
    });

    test("an unknown project is NOT_FOUND, a malformed id BAD_USER_INPUT", async () => {
      await server.admin.expectError("NOT_FOUND", ADD_FUNDING, { input: fundingInput({ projectId: "00000000-0000-4000-8000-000000000000" }) });
      await server.admin.expectError("BAD_USER_INPUT", ADD_FUNDING, { input: fundingInput({ projectId: "project-1" }) });
    });

    test("a CANCELLED project takes no more money", async () => {
      const project = await createServiceProject(server.admin, { allianceId: tree.taiping.id, leadOrganizationId: wenlingOrg.id });
      await server.admin.query(SET_STATUS, { projectId: project.id, status: "CANCELLED" });
      await server.admin.expectError("CONFLICT", ADD_FUNDING, { input: fundingInput({ projectId: project.id }) });
    });
  });
});

describe("createGrant and reading grants", () => {
  test("only ADMIN creates grants; codes are unique; refusals write nothing", async () => {
    const input = { code: "浙民福〔2025〕12号", level: "PROVINCIAL", year: 2025, allianceId: tree.wenling.id, amount: "11124000.00" };
    const data = await server.admin.query(CREATE_GRANT, { input });
    expect(data.createGrant).toMatchObject({
      code: "浙民福〔2025〕12号",
      level: "PROVINCIAL",
      year: 2025,
      amount: "11124000.00",
      allocated: "0.00",
      remaining: "11124000.00",
      alliance: { id: tree.wenling.id, name: "温岭市" },
      allocations: [],
    });
    const before = await countRows(server, "welfare_lottery_grant");
    await server.admin.expectError("CONFLICT", CREATE_GRANT, { input: { ...input, allianceId: tree.jiaojiang.id } });
    await wenlingCoordinator.expectError("FORBIDDEN", CREATE_GRANT, { input: { ...input, code: "coordinator-grant" } });
    const partner = await partnerOf(server, wenlingOrg.id);
    await partner.expectError("FORBIDDEN", CREATE_GRANT, { input: { ...input, code: "partner-grant" } });
    const zero = await server.admin.expectError("BAD_USER_INPUT", CREATE_GRANT, { input: { ...input, code: "zero", amount: "0.00" } });
    expect(zero.error.message).toBe("amount: must be greater than 0");
    await server.admin.expectError("BAD_USER_INPUT", CREATE_GRANT, { input: { ...input, code: "fractional", amount: "1.001" } });
    await server.admin.expectError("BAD_USER_INPUT", CREATE_GRANT, { input: { ...input, code: "old", year: 1999 } });
    await server.admin.expectError("BAD_USER_INPUT", CREATE_GRANT, { input: { ...input, code: "" } });
    await server.admin.expectError("NOT_FOUND", CREATE_GRANT, {
      input: { ...input, code: "nowhere", allianceId: "00000000-0000-4000-8000-000000000000" },
    });
    expect(await countRows(server, "welfare_lottery_grant")).toBe(before);
  });

  test("grants are scoped to the coordinator's subtree, by year and alliance; partners see none", async () => {
    const fresh = await startTestServer();
    try {
      const t = await createTaizhouTree(fresh.admin);
      const city = await createGrant(fresh.admin, { allianceId: t.city.id, amount: "100.00", year: 2024, code: "city-2024" });
      const wenling = await createGrant(fresh.admin, { allianceId: t.wenling.id, amount: "100.00", year: 2025, code: "wenling-2025" });
      const taiping = await createGrant(fresh.admin, { allianceId: t.taiping.id, amount: "100.00", year: 2024, code: "taiping-2024" });
      const east = await createGrant(fresh.admin, { allianceId: t.jiaojiang.id, amount: "100.00", year: 2025, code: "jiaojiang-2025" });
      const LIST = `query ($year: Int, $allianceId: ID) { grants(year: $year, allianceId: $allianceId) { code } }`;
      const codes = async (client: GraphQLClient, vars: Record<string, unknown> = {}) =>
        ((await client.query(LIST, vars)).grants as { code: string }[]).map((g) => g.code);
      expect(await codes(fresh.admin)).toEqual(["jiaojiang-2025", "wenling-2025", "city-2024", "taiping-2024"]);
      expect(await codes(fresh.admin, { year: 2024 })).toEqual(["city-2024", "taiping-2024"]);
      expect(await codes(fresh.admin, { allianceId: t.wenling.id })).toEqual(["wenling-2025", "taiping-2024"]);
      const coordinator = await coordinatorOf(fresh, t.wenling.id);
      expect(await codes(coordinator)).toEqual(["wenling-2025", "taiping-2024"]);
      expect(await codes(coordinator, { year: 2025, allianceId: t.taiping.id })).toEqual([]);
      await coordinator.expectError("FORBIDDEN", LIST, { allianceId: t.jiaojiang.id });
      await coordinator.expectError("FORBIDDEN", GRANT, { id: city.id });
      await coordinator.expectError("FORBIDDEN", GRANT, { id: east.id });
      expect((await coordinator.query(GRANT, { id: taiping.id })).grant.code).toBe("taiping-2024");
      expect((await coordinator.query(GRANT, { id: wenling.id })).grant.code).toBe("wenling-2025");
      expect((await coordinator.query(`{ grant(id: "00000000-0000-4000-8000-000000000000") { id } }`)).grant).toBeNull();
      const org = await createOrganization(fresh.admin, { allianceIds: [t.wenling.id] });
      const partner = await partnerOf(fresh, org.id);
      await partner.expectError("FORBIDDEN", LIST);
      await partner.expectError("FORBIDDEN", GRANT, { id: wenling.id });
    } finally {
      await stopAll(fresh);
    }
  }, SETUP_TIMEOUT);
});

describe("allocateGrant", () => {
  test("allocates to a project in the grant's subtree; allocated and remaining stay exact", async () => {
    const grant = await createGrant(server.admin, { allianceId: tree.wenling.id, amount: "1000.00" });
    const first = await wenlingCoordinator.query(ALLOCATE, {
      input: { grantId: grant.id, projectId: taipingProject.id, amount: "333.33", receivedOn: "2025-04-01" },
    });
    expect(first.allocateGrant).toMatchObject({
      source: "WELFARE_LOTTERY",
      amount: "333.33",
      receivedOn: "2025-04-01",
      project: { id: taipingProject.id },
      grant: { id: grant.id, allocated: "333.33", remaining: "666.67" },
    });
    await wenlingCoordinator.query(ALLOCATE, {
      input: { grantId: grant.id, projectId: taipingProject.id, amount: "666.66", receivedOn: "2025-04-02" },
    });
    const read = await wenlingCoordinator.query(GRANT, { id: grant.id });
    expect(read.grant).toMatchObject({ allocated: "999.99", remaining: "0.01" });
    expect(read.grant.allocations.map((a: { amount: string }) => a.amount)).toEqual(["333.33", "666.66"]);
    const project = await wenlingCoordinator.query(FUNDING_OF, { id: taipingProject.id });
    expect(project.project.fundings.filter((f: { grant: { id: string } | null }) => f.grant?.id === grant.id)).toHaveLength(2);

    // The last fen fits; one more does not.
    const before = await countRows(server, "funding");
    const { error } = await wenlingCoordinator.expectError("GRANT_EXHAUSTED", ALLOCATE, {
      input: { grantId: grant.id, projectId: taipingProject.id, amount: "0.02", receivedOn: "2025-04-03" },
    });
    expect(error.extensions).toMatchObject({ field: "amount", remaining: "0.01" });
    expect(await countRows(server, "funding")).toBe(before);
    await wenlingCoordinator.query(ALLOCATE, {
      input: { grantId: grant.id, projectId: taipingProject.id, amount: "0.01", receivedOn: "2025-04-03" },
    });
    expect((await wenlingCoordinator.query(GRANT, { id: grant.id })).grant).toMatchObject({ allocated: "1000.00", remaining: "0.00" });
    await wenlingCoordinator.expectError("GRANT_EXHAUSTED", ALLOCATE, {
      input: { grantId: grant.id, projectId: taipingProject.id, amount: "0.01", receivedOn: "2025-04-03" },
    });
  });

  test("a PARTNER that leads the project sees the grant money as fundings, without the grant", async () => {
    const grant = await createGrant(server.admin, { allianceId: tree.taiping.id, amount: "50.00" });
    const project = await createServiceProject(server.admin, { allianceId: tree.taipingB.id, leadOrganizationId: taipingOrg.id });
    await server.admin.query(ALLOCATE, { input: { grantId: grant.id, projectId: project.id, amount: "20.00", receivedOn: "2025-05-01" } });
    const lead = await partnerOf(server, taipingOrg.id);
    const data = await lead.query(FUNDING_OF, { id: project.id });
    expect(data.project.fundingTotal).toBe("20.00");
    expect(data.project.fundings).toEqual([expect.objectContaining({ source: "WELFARE_LOTTERY", amount: "20.00", grant: null })]);
  });

  test("a retry with the same idempotencyKey writes one funding and allocates once", async () => {
    const grant = await createGrant(server.admin, { allianceId: tree.wenling.id, amount: "100.00" });
    const input = { grantId: grant.id, projectId: taipingProject.id, amount: "60.00", receivedOn: "2025-04-01", idempotencyKey: "allocation-7" };
    const results = await Promise.all([1, 2, 3].map(() => wenlingCoordinator.query(ALLOCATE, { input })));
    const again = await wenlingCoordinator.query(ALLOCATE, { input });
    const ids = new Set([...results, again].map((r) => r.allocateGrant.id));
    expect(ids.size).toBe(1);
    expect(await countRows(server, "funding", `grant_id = '${grant.id}'`)).toBe(1);
    expect((await server.admin.query(GRANT, { id: grant.id })).grant).toMatchObject({ allocated: "60.00", remaining: "40.00" });
    // 60 + 60 would not fit: a new key is a new allocation and is refused.
    await wenlingCoordinator.expectError("GRANT_EXHAUSTED", ALLOCATE, { input: { ...input, idempotencyKey: "allocation-8" } });
  });

  describe("refusals write nothing", () => {
    let grant: { id: string };
    let eastGrant: { id: string };
    let before: number;
    beforeAll(async () => {
      grant = await createGrant(server.admin, { allianceId: tree.wenling.id, amount: "500.00" });
      eastGrant = await createGrant(server.admin, { allianceId: tree.jiaojiang.id, amount: "500.00" });
    }, SETUP_TIMEOUT);
    beforeEach(async () => {
      before = await countRows(server, "funding");
    });
    afterEach(async () => {
      expect(await countRows(server, "funding")).toBe(before);
      const stored = await server.app.prisma.welfareLotteryGrant.findMany({ where: { id: { in: [grant.id, eastGrant.id] } } });
      expect(stored.map((g) => g.allocated.toFixed(2))).toEqual(["0.00", "0.00"]);
    });
    const input = (overrides: Record<string, unknown> = {}) => ({
      grantId: grant.id,
      projectId: taipingProject.id,
      amount: "100.00",
      receivedOn: "2025-04-01",
      ...overrides,
    });

    test("a coordinator of 椒江区 cannot allocate to a 温岭市 project, even from its own grant", async () => {
      await jiaojiangCoordinator.expectError("FORBIDDEN", ALLOCATE, { input: input({ grantId: eastGrant.id }) });
      await jiaojiangCoordinator.expectError("FORBIDDEN", ALLOCATE, { input: input() });
    });

    test("a coordinator below the grant's alliance cannot allocate it", async () => {
      const taipingCoordinator = await coordinatorOf(server, tree.taiping.id);
      await taipingCoordinator.expectError("FORBIDDEN", ALLOCATE, { input: input() });
    });

    test("the project must lie in the grant's subtree", async () => {
      const { error } = await server.admin.expectError("BAD_USER_INPUT", ALLOCATE, { input: input({ grantId: eastGrant.id }) });
      expect(error.extensions?.field).toBe("projectId");
      await server.admin.expectError("BAD_USER_INPUT", ALLOCATE, { input: input({ projectId: haimenProject.id }) });
    });

    test("partners cannot allocate", async () => {
      const lead = await partnerOf(server, wenlingOrg.id);
      await lead.expectError("FORBIDDEN", ALLOCATE, { input: input() });
    });

    test("unknown grants and projects are NOT_FOUND", async () => {
      await server.admin.expectError("NOT_FOUND", ALLOCATE, { input: input({ grantId: "00000000-0000-4000-8000-000000000000" }) });
      await server.admin.expectError("NOT_FOUND", ALLOCATE, { input: input({ projectId: "00000000-0000-4000-8000-000000000000" }) });
    });

    test("amounts: zero, more than the grant, bad formats, future dates", async () => {
      const zero = await wenlingCoordinator.expectError("BAD_USER_INPUT", ALLOCATE, { input: input({ amount: "0.00" }) });
      expect(zero.error.message).toBe("amount: must be greater than 0");
      await wenlingCoordinator.expectError("GRANT_EXHAUSTED", ALLOCATE, { input: input({ amount: "500.01" }) });
      for (const amount of ["1.234", "-1.00", 5, "999999999999999"]) {
        const { error } = await wenlingCoordinator.expectError("BAD_USER_INPUT", ALLOCATE, { input: input({ amount }) });
        expect(error.message).toContain("amount");
      }
      const future = await wenlingCoordinator.expectError("BAD_USER_INPUT", ALLOCATE, { input: input({ receivedOn: "2999-12-31" }) });
      expect(future.error.extensions?.field).toBe("receivedOn");
    });

    test("a CANCELLED project gets no allocation", async () => {
      const project = await createServiceProject(server.admin, { allianceId: tree.taiping.id, leadOrganizationId: wenlingOrg.id });
      await server.admin.query(SET_STATUS, { projectId: project.id, status: "CANCELLED" });
      await server.admin.expectError("CONFLICT", ALLOCATE, { input: input({ projectId: project.id }) });
    });
  });
});

describe("concurrent allocations never over-allocate", () => {
  interface Outcome {
    amount: string;
    ok: boolean;
    code?: string;
  }

  async function fire(clients: GraphQLClient[], grantId: string, projectIds: string[], amounts: string[]): Promise<Outcome[]> {
    return Promise.all(
      amounts.map(async (amount, i) => {
        const response = await clients[i % clients.length].raw(ALLOCATE, {
          input: { grantId, projectId: projectIds[i % projectIds.length], amount, receivedOn: "2025-06-01" },
        });
        return { amount, ok: !response.errors, code: response.errors?.[0]?.extensions?.code as string | undefined };
      }),
    );
  }

  async function checkInvariant(grantId: string, grantAmount: string, outcomes: Outcome[]) {
    const successes = outcomes.filter((o) => o.ok);
    const failures = outcomes.filter((o) => !o.ok);
    expect(failures.every((f) => f.code === "GRANT_EXHAUSTED")).toBe(true);
    const allocatedByCallers = successes.reduce((sum, o) => sum.plus(o.amount), D("0"));
    expect(allocatedByCallers.lte(D(grantAmount))).toBe(true);

    const stored = await server.app.prisma.welfareLotteryGrant.findUniqueOrThrow({ where: { id: grantId } });
    const fundings = await server.app.prisma.funding.findMany({ where: { grantId } });
    expect(fundings).toHaveLength(successes.length);
    expect(fundings.every((f) => f.source === "WELFARE_LOTTERY")).toBe(true);
    const fundedSum = fundings.reduce((sum, f) => sum.plus(f.amount), D("0"));
    expect(fundedSum.toFixed(2)).toBe(allocatedByCallers.toFixed(2));
    expect(stored.allocated.toFixed(2)).toBe(allocatedByCallers.toFixed(2));
    // Every refused caller asked for more than what is left at the end (allocated only grows).
    const remaining = D(grantAmount).minus(stored.allocated);
    expect(failures.every((f) => D(f.amount).gt(remaining))).toBe(true);

    const read = await server.admin.query(GRANT, { id: grantId });
    expect(read.grant.allocated).toBe(allocatedByCallers.toFixed(2));
    expect(read.grant.remaining).toBe(remaining.toFixed(2));
    expect(read.grant.allocations).toHaveLength(successes.length);
    return { successes: successes.length, remaining: remaining.toFixed(2) };
  }

  test("50 allocations of 30.00 at a 1000.00 grant on one instance: exactly 33 succeed", async () => {
    const grant = await createGrant(server.admin, { allianceId: tree.wenling.id, amount: "1000.00" });
    const outcomes = await fire([wenlingCoordinator], grant.id, [taipingProject.id], Array(50).fill("30.00"));
    const result = await checkInvariant(grant.id, "1000.00", outcomes);
    expect(result).toEqual({ successes: 33, remaining: "10.00" });
  });

  test("50 allocations racing for the last yuan: 40 × 25.00 fill a 1000.00 grant exactly", async () => {
    const grant = await createGrant(server.admin, { allianceId: tree.wenling.id, amount: "1000.00" });
    const project2 = await createServiceProject(server.admin, { allianceId: tree.taipingA.id, leadOrganizationId: wenlingOrg.id });
    const outcomes = await fire([wenlingCoordinator, server.admin], grant.id, [taipingProject.id, project2.id], Array(50).fill("25.00"));
    const result = await checkInvariant(grant.id, "1000.00", outcomes);
    expect(result).toEqual({ successes: 40, remaining: "0.00" });
  });

  test("mixed amounts that cannot all fit keep the invariant", async () => {
    const grant = await createGrant(server.admin, { allianceId: tree.wenling.id, amount: "777.77" });
    const amounts = Array.from({ length: 50 }, (_, i) => `${(i % 7) * 10 + 1}.${String(i).padStart(2, "0")}`);
    const outcomes = await fire([wenlingCoordinator], grant.id, [taipingProject.id], amounts);
    const { successes } = await checkInvariant(grant.id, "777.77", outcomes);
    expect(successes).toBeGreaterThan(0);
    expect(successes).toBeLessThan(50);
  });

  describe("through two server instances sharing one database", () => {
    let second: TestServer;
    beforeAll(async () => {
      second = await startSecondInstance(server);
    }, SETUP_TIMEOUT);
    afterAll(async () => {
      if (second !== server) await second.close();
    });

    test("50 allocations of 12.00 at a 500.00 grant, split across the instances: exactly 41 succeed", async () => {
      const grant = await createGrant(server.admin, { allianceId: tree.wenling.id, amount: "500.00" });
      const onSecond = new GraphQLClient(second.url, second.wsUrl, wenlingCoordinator.token);
      expect(second.url).not.toBe(server.url);
      const outcomes = await fire([wenlingCoordinator, onSecond], grant.id, [taipingProject.id], Array(50).fill("12.00"));
      const result = await checkInvariant(grant.id, "500.00", outcomes);
      expect(result).toEqual({ successes: 41, remaining: "8.00" });
    });

    test("retries of one allocation on both instances write one funding", async () => {
      const grant = await createGrant(server.admin, { allianceId: tree.wenling.id, amount: "100.00" });
      const onSecond = new GraphQLClient(second.url, second.wsUrl, wenlingCoordinator.token);
      const input = { grantId: grant.id, projectId: taipingProject.id, amount: "70.00", receivedOn: "2025-06-01", idempotencyKey: "twin-retry" };
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) => (i % 2 ? onSecond : wenlingCoordinator).query(ALLOCATE, { input })),
      );
      expect(new Set(results.map((r) => r.allocateGrant.id)).size).toBe(1);
      expect(await countRows(server, "funding", `grant_id = '${grant.id}'`)).toBe(1);
      expect((await server.admin.query(GRANT, { id: grant.id })).grant.allocated).toBe("70.00");
    });
  });
});
