import { coordinatorOf, createOrganization, createTaizhouTree, partnerOf } from "./helpers/factories";
import type { GraphQLClient } from "./helpers/graphql";
import { ADD_FUNDING, ALLOCATE, createGrant, createServiceProject } from "./helpers/projects";
import { startTestServer, stopAll } from "./helpers/server";

/**
 * Issue 8, path 3: the cost limit alone (the depth limit off) refuses the loop queries before
 * anything runs, and the process keeps answering; every list has a bound, priced by it; the
 * depth limit comes on top. A second server keeps the default depth limit (12).
 */
const SETUP_TIMEOUT = 180_000;

let server: Awaited<ReturnType<typeof startTestServer>>;
let deep: Awaited<ReturnType<typeof startTestServer>>;
let tree: Awaited<ReturnType<typeof createTaizhouTree>>;
let wenlingCoordinator: GraphQLClient;
let leadPartner: GraphQLClient;
let project: { id: string };
let grants: { id: string; code: string }[];
let lead: { id: string };
let partners: { id: string }[];

const H1 = { from: "2025-01-01", to: "2025-06-30" };

/** The query: four turns of grants → allocations → project → fundings → grant. */
const GRANT_LOOP = `{ grants { ${"allocations { project { fundings { grant { ".repeat(4)}id${" } } } }".repeat(4)} } }`;
/** The partner's loop: Funding.project ↔ ServiceProject.fundings. */
const PROJECT_LOOP = `query ($id: ID!) { project(id: $id) { fundings { project { fundings { project { fundings { project { fundings { id } } } } } } } } }`;

function aliasedStats(count: number, fields = "projectCount"): string {
  const day = (i: number) => new Date(Date.UTC(2000, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
  const parts = Array.from({ length: count }, (_, i) => `s${i}:stats(allianceId:$a,from:"2000-01-01",to:"${day(i)}"){${fields}}`);
  return `query ($a: ID!) { ${parts.join(" ")} }`;
}

async function healthz(url: string): Promise<number> {
  const response = await fetch(url.replace(/\/graphql$/, "/healthz"));
  return response.status;
}

/** Runs a query that must be refused as too complex, and checks that no SQL ran for it. */
async function expectRefused(client: GraphQLClient, query: string, variables: Record<string, unknown> = {}, on = server) {
  await client.query(`{ me { id } }`);
  const before = on.statements();
  const { error, data } = await client.expectError("QUERY_TOO_COMPLEX", query, variables);
  expect(data ?? null).toBeNull();
  expect(on.statements()).toBe(before);
  expect(await healthz(on.url)).toBe(200);
  return error;
}

beforeAll(async () => {
  server = await startTestServer({ env: { MAX_QUERY_DEPTH: "0" } });
  deep = await startTestServer();
  tree = await createTaizhouTree(server.admin);
  wenlingCoordinator = await coordinatorOf(server, tree.wenling.id);
  lead = await createOrganization(server.admin, { allianceIds: [tree.wenling.id, tree.taiping.id, tree.taipingA.id] });
  partners = [];
  for (let i = 0; i < 3; i += 1) partners.push(await createOrganization(server.admin, { allianceIds: [tree.taiping.id] }));
  project = await createServiceProject(wenlingCoordinator, {
    allianceId: tree.taiping.id,
    leadOrganizationId: lead.id,
    partnerIds: partners.map((p) => p.id),
  });
  grants = [];
  for (const year of [2024, 2025]) grants.push(await createGrant(server.admin, { allianceId: tree.wenling.id, amount: "1000.00", year }));
  for (const [i, grant] of grants.entries()) {
    for (const day of ["2025-01-03", "2025-01-02", "2025-01-01"]) {
      await wenlingCoordinator.query(ALLOCATE, { input: { grantId: grant.id, projectId: project.id, amount: `${i + 1}.00`, receivedOn: day } });
    }
  }
  await wenlingCoordinator.query(ADD_FUNDING, { input: { projectId: project.id, source: "GOVERNMENT_BUDGET", amount: "5.00", receivedOn: "2024-12-31" } });
  leadPartner = await partnerOf(server, lead.id);
}, SETUP_TIMEOUT);
afterAll(async () => {
  await stopAll(deep);
  await stopAll(server);
});

describe("the loop queries of issue 8 are refused by the cost limit alone", () => {
  test("four turns of grants → allocations → project → fundings → grant: QUERY_TOO_COMPLEX, nothing ran, /healthz answers", async () => {
    const error = await expectRefused(wenlingCoordinator, GRANT_LOOP);
    expect(error.extensions).toMatchObject({ limit: 250000, complexity: expect.any(Number) });
    expect(error.extensions?.complexity as number).toBeGreaterThan(250000);
  });

  test("even one turn with default list sizes is refused; the same shape with small `first` runs", async () => {
    await expectRefused(wenlingCoordinator, `{ grants { allocations { project { fundings { grant { code } } } } } }`);
    const small = await wenlingCoordinator.query(
      `{ grants(first: 5) { code allocations(first: 5) { project { fundings(first: 5) { amount grant { code } } } } } }`,
    );
    expect(small.grants).toHaveLength(2);
    expect(small.grants[0].allocations[0].project.fundings).toHaveLength(5);
  });

  test("a partner's Funding.project ↔ ServiceProject.fundings loop is refused", async () => {
    await expectRefused(leadPartner, PROJECT_LOOP, { id: project.id });
    const once = await leadPartner.query(`query ($id: ID!) { project(id: $id) { fundings { amount project { id } } } }`, { id: project.id });
    expect(once.project.fundings).toHaveLength(7);
  });

  test("10,000 aliased stats with distinct periods are refused before one runs", async () => {
    await expectRefused(wenlingCoordinator, aliasedStats(10_000), { a: tree.wenling.id });
  });

  test("the loop is refused over WebSocket too, and the server keeps answering", async () => {
    const client = wenlingCoordinator.ws();
    try {
      const error = await new Promise<unknown>((resolve, reject) => {
        client.subscribe({ query: GRANT_LOOP }, { next: () => reject(new Error("got data")), error: resolve, complete: () => reject(new Error("completed")) });
      });
      expect(error).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: "QUERY_TOO_COMPLEX" }) })]);
    } finally {
      await client.dispose();
    }
    expect(await healthz(server.url)).toBe(200);
  });
});

describe("stats are priced like the rows they aggregate: about 20 fit in one operation", () => {
  test("20 aliased stats with distinct periods run; 21 are QUERY_TOO_COMPLEX", async () => {
    const data = await server.admin.query(aliasedStats(20), { a: tree.city.id });
    expect(Object.keys(data)).toHaveLength(20);
    await expectRefused(server.admin, aliasedStats(21), { a: tree.city.id });
  });

  test("alliances(first: 20) { nodes { stats } } runs; first: 21 is refused", async () => {
    const page = (first: number) =>
      `query ($from: Date!, $to: Date!) { alliances(first: ${first}) { nodes { name stats(from: $from, to: $to) { projectCount fundingTotal } } } }`;
    const data = await server.admin.query(page(20), H1);
    expect(data.alliances.nodes.length).toBeGreaterThan(0);
    await expectRefused(server.admin, page(21), H1);
  });

  test("the README's example queries still fit", async () => {
    const first = await server.admin.query(
      `{ me { username role } allianceRoots { name regionCode children(first: 5) { totalCount nodes { name } } } }`,
    );
    expect(first.allianceRoots[0].name).toBe("台州市");
    const figures = await server.admin.query(
      `{ allianceRoots { name regionCode stats(from: "2025-01-01", to: "2025-06-30") { lowIncomePopulation { total dibao dibaoMarginal extremePoverty otherMonitored } projectCount fundingTotal linkedDepartments participatingSocialOrganizations householdTimesServed visitHouseholdTimes happinessListsDelivered standardOperationRate } } }`,
    );
    expect(figures.allianceRoots[0].stats.projectCount).toBe(1);
    const open = await leadPartner.query(
      `{ serviceRequests(filter: { status: [OPEN] }, first: 2) { totalCount nodes { title category alliance { name } household { headName idNumber } } } }`,
    );
    expect(open.serviceRequests.totalCount).toBe(0);
  });
});

describe("every list has a bound", () => {
  const FIRSTS = [
    ["Query.grants", `query ($first: Int) { grants(first: $first) { id } }`, () => ({})],
    ["WelfareLotteryGrant.allocations", `query ($first: Int) { grants { allocations(first: $first) { id } } }`, () => ({})],
    ["ServiceProject.fundings", `query ($id: ID!, $first: Int) { project(id: $id) { fundings(first: $first) { id } } }`, () => ({ id: project.id })],
    ["ServiceProject.partners", `query ($id: ID!, $first: Int) { project(id: $id) { partners(first: $first) { id } } }`, () => ({ id: project.id })],
    ["Organization.alliances", `query ($id: ID!, $first: Int) { organization(id: $id) { alliances(first: $first) { id } } }`, () => ({ id: lead.id })],
  ] as const;

  test.each(FIRSTS)("%s: first outside 1..100 is BAD_USER_INPUT naming first", async (_name, query, variables) => {
    for (const first of [0, 101, -1]) {
      const { error } = await wenlingCoordinator.expectError("BAD_USER_INPUT", query, { ...variables(), first });
      expect(error.extensions?.field).toBe("first");
      expect(error.message).toMatch(/^first: .*100/);
    }
    const full = await wenlingCoordinator.query(query, { ...variables(), first: 100 });
    expect(JSON.stringify(full)).toContain('"id"');
  });

  test("a list returns at most `first` items, per parent, in its order", async () => {
    const data = await wenlingCoordinator.query(
      `query ($id: ID!) {
        grants(first: 1) { year }
        all: grants { year allocations(first: 2) { amount receivedOn } }
        project(id: $id) { fundings(first: 2) { receivedOn } everything: fundings { id } partners(first: 2) { id } allPartners: partners { id } }
        organization: organization(id: "${lead.id}") { alliances(first: 2) { name } allAlliances: alliances { name } }
      }`,
      { id: project.id },
    );
    expect(data.grants).toEqual([{ year: 2025 }]);
    expect(data.all.map((g: { year: number }) => g.year)).toEqual([2025, 2024]);
    expect(data.all[0].allocations).toEqual([
      { amount: "2.00", receivedOn: "2025-01-01" },
      { amount: "2.00", receivedOn: "2025-01-02" },
    ]);
    expect(data.all[1].allocations).toEqual([
      { amount: "1.00", receivedOn: "2025-01-01" },
      { amount: "1.00", receivedOn: "2025-01-02" },
    ]);
    expect(data.project.fundings).toEqual([{ receivedOn: "2024-12-31" }, { receivedOn: "2025-01-01" }]);
    expect(data.project.everything).toHaveLength(7);
    expect(data.project.partners).toEqual([...partners].map((p) => ({ id: p.id })).sort((a, b) => a.id.localeCompare(b.id)).slice(0, 2));
    expect(data.project.allPartners).toHaveLength(3);
    expect(data.organization.alliances.map((a: { name: string }) => a.name)).toEqual(["温岭市", "太平街道"]);
    expect(data.organization.allAlliances).toHaveLength(3);
  });
});

describe("the depth limit (default 12) comes on top", () => {
  /** `alliance(id) { parent { … { id } } }` nesting `depth` fields. */
  const chain = (depth: number) => `query ($id: ID!) { alliance(id: $id) { ${"parent { ".repeat(depth - 2)}id${" }".repeat(depth - 2)} } }`;
  /** The same depth reached through named fragments and inline fragments, which add no level. */
  const throughFragments = (depth: number) => {
    const parents = depth - 2;
    const fragments = Array.from({ length: parents }, (_, i) => {
      const inner = i === parents - 1 ? "id" : `...F${i + 1}`;
      return `fragment F${i} on Alliance { ... on Alliance { parent { ${inner} } } }`;
    });
    return `query ($id: ID!) { alliance(id: $id) { ...F0 } } ${fragments.join(" ")}`;
  };

  test("13 levels are QUERY_TOO_COMPLEX, naming the depth; 12 run", async () => {
    const village = await deep.admin.query(`{ alliances(first: 1) { nodes { id } } }`);
    const id = village.alliances.nodes[0]?.id ?? "00000000-0000-4000-8000-000000000000";
    const error = await expectRefused(deep.admin, chain(13), { id }, deep);
    expect(error.extensions).toMatchObject({ depth: 13, limit: 12 });
    expect(error.message).toMatch(/13 levels/);
    const ok = await deep.admin.raw(chain(12), { id });
    expect(ok.errors).toBeUndefined();
  });

  test("fragments and inline fragments are counted through, not as levels", async () => {
    const id = "00000000-0000-4000-8000-000000000000";
    await expectRefused(deep.admin, throughFragments(13), { id }, deep);
    const ok = await deep.admin.raw(throughFragments(12), { id });
    expect(ok.errors).toBeUndefined();
  });

  test("the loop query is refused by depth there, and with MAX_QUERY_DEPTH=0 a deep but cheap query runs", async () => {
    const error = await expectRefused(deep.admin, GRANT_LOOP, {}, deep);
    expect(error.extensions).toMatchObject({ limit: 12 });
    const ok = await server.admin.raw(chain(20), { id: tree.taipingA.id });
    expect(ok.errors).toBeUndefined();
    expect(ok.data?.alliance.parent.parent.parent.parent).toBeNull();
  });
});
