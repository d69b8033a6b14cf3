import { coordinatorOf, createOrganization, createTaizhouTree, partnerOf, type OrganizationNode } from "./helpers/factories";
import type { GraphQLClient } from "./helpers/graphql";
import { ADD_FUNDING, CREATE_PROJECT, PROJECT_FIELDS, SET_STATUS, countRows, createServiceProject } from "./helpers/projects";
import { startTestServer, stopAll } from "./helpers/server";

/** Setup signs in several accounts (argon2) and may start servers: generous on a busy machine. */
const SETUP_TIMEOUT = 180_000;

let server: Awaited<ReturnType<typeof startTestServer>>;
let tree: Awaited<ReturnType<typeof createTaizhouTree>>;
let wenlingCoordinator: GraphQLClient;
let jiaojiangCoordinator: GraphQLClient;
/** Member of 温岭市: may lead projects anywhere below it. */
let wenlingOrg: OrganizationNode;
/** Member of 太平街道. */
let taipingOrg: OrganizationNode;
/** Member of 椒江区 only. */
let jiaojiangOrg: OrganizationNode;

beforeAll(async () => {
  server = await startTestServer();
  tree = await createTaizhouTree(server.admin);
  wenlingCoordinator = await coordinatorOf(server, tree.wenling.id);
  jiaojiangCoordinator = await coordinatorOf(server, tree.jiaojiang.id);
  wenlingOrg = await createOrganization(server.admin, { allianceIds: [tree.wenling.id], name: "温岭市慈善总会", kind: "CHARITY" });
  taipingOrg = await createOrganization(server.admin, { allianceIds: [tree.taiping.id], name: "太平社工站" });
  jiaojiangOrg = await createOrganization(server.admin, { allianceIds: [tree.jiaojiang.id], name: "椒江义工队", kind: "VOLUNTEER_TEAM" });
}, SETUP_TIMEOUT);
afterAll(() => stopAll(server));

const PROJECT = `query ($id: ID!) { project(id: $id) { ${PROJECT_FIELDS} fundingTotal fundings { amount source } } }`;

function projectInput(overrides: Record<string, unknown> = {}) {
  return {
    name: "困境老人助餐",
    allianceId: tree.taiping.id,
    category: "ELDERLY_CARE",
    leadOrganizationId: wenlingOrg.id,
    partnerIds: [taipingOrg.id],
    startDate: "2025-03-01",
    endDate: "2025-12-31",
    budget: "250000.50",
    ...overrides,
  };
}

describe("createServiceProject", () => {
  test("a coordinator creates a PLANNED project in its subtree with a lead and partners from the alliance's lineage", async () => {
    const data = await wenlingCoordinator.query(CREATE_PROJECT, {
      input: projectInput({ partnerIds: [taipingOrg.id, wenlingOrg.id, taipingOrg.id] }),
    });
    const project = data.createServiceProject;
    expect(project).toMatchObject({
      name: "困境老人助餐",
      category: "ELDERLY_CARE",
      status: "PLANNED",
      startDate: "2025-03-01",
      endDate: "2025-12-31",
      budget: "250000.50",
      alliance: { id: tree.taiping.id, name: "太平街道" },
      leadOrganization: { id: wenlingOrg.id },
    });
    // The lead named among the partners is dropped; duplicates are merged.
    expect(project.partners).toEqual([{ id: taipingOrg.id, name: "太平社工站" }]);

    const read = await server.admin.query(PROJECT, { id: project.id });
    expect(read.project).toMatchObject({ id: project.id, budget: "250000.50", fundingTotal: "0.00", fundings: [] });
    expect(await countRows(server, "project_partner", `project_id = '${project.id}'`)).toBe(1);
  });

  test("an open-ended project has no endDate", async () => {
    const project = await createServiceProject(wenlingCoordinator, {
      allianceId: tree.taipingA.id,
      leadOrganizationId: taipingOrg.id,
      endDate: null,
    });
    expect(project.endDate).toBeNull();
    expect(project.partners).toEqual([]);
  });

  test("a retry with the same idempotencyKey returns the first project and writes one", async () => {
    const before = await countRows(server, "service_project");
    const input = projectInput({ idempotencyKey: "create-project-retry-1" });
    const [first, second] = await Promise.all([
      wenlingCoordinator.query(CREATE_PROJECT, { input }),
      wenlingCoordinator.query(CREATE_PROJECT, { input }),
    ]);
    const third = await wenlingCoordinator.query(CREATE_PROJECT, { input });
    expect(second.createServiceProject.id).toBe(first.createServiceProject.id);
    expect(third.createServiceProject.id).toBe(first.createServiceProject.id);
    expect(await countRows(server, "service_project")).toBe(before + 1);
  });

  describe("refusals write nothing", () => {
    let before: number;
    beforeEach(async () => {
      before = await countRows(server, "service_project");
    });
    afterEach(async () => {
      expect(await countRows(server, "service_project")).toBe(before);
    });

    test("a coordinator of 椒江区 cannot create a project in 温岭市's subtree", async () => {
      await jiaojiangCoordinator.expectError("FORBIDDEN", CREATE_PROJECT, {
        input: projectInput({ leadOrganizationId: jiaojiangOrg.id, partnerIds: [] }),
      });
    });

    test("a partner cannot create projects", async () => {
      const partner = await partnerOf(server, wenlingOrg.id);
      await partner.expectError("FORBIDDEN", CREATE_PROJECT, { input: projectInput() });
    });

    test("an unknown alliance is NOT_FOUND", async () => {
      await server.admin.expectError("NOT_FOUND", CREATE_PROJECT, {
        input: projectInput({ allianceId: "00000000-0000-4000-8000-000000000000" }),
      });
    });

    test("the lead must be a member of the alliance or an ancestor", async () => {
      const { error } = await server.admin.expectError("BAD_USER_INPUT", CREATE_PROJECT, {
        input: projectInput({ leadOrganizationId: jiaojiangOrg.id }),
      });
      expect(error.extensions?.field).toBe("leadOrganizationId");
      // A member of a child alliance is not a member of the project's lineage either.
      const villageOrg = await createOrganization(server.admin, { allianceIds: [tree.taipingA.id] });
      const child = await server.admin.expectError("BAD_USER_INPUT", CREATE_PROJECT, {
        input: projectInput({ leadOrganizationId: villageOrg.id, partnerIds: [] }),
      });
      expect(child.error.extensions?.field).toBe("leadOrganizationId");
    });

    test("an unknown lead organization is BAD_USER_INPUT", async () => {
      const { error } = await server.admin.expectError("BAD_USER_INPUT", CREATE_PROJECT, {
        input: projectInput({ leadOrganizationId: "00000000-0000-4000-8000-000000000001" }),
      });
      expect(error.extensions?.field).toBe("leadOrganizationId");
    });

    test("every partner must be a member of the alliance or an ancestor", async () => {
      const { error } = await wenlingCoordinator.expectError("BAD_USER_INPUT", CREATE_PROJECT, {
        input: projectInput({ partnerIds: [taipingOrg.id, jiaojiangOrg.id] }),
      });
      expect(error.extensions?.field).toBe("partnerIds");
      expect(error.extensions?.ids).toEqual([jiaojiangOrg.id]);
    });

    test("endDate before startDate is BAD_USER_INPUT", async () => {
      const { error } = await wenlingCoordinator.expectError("BAD_USER_INPUT", CREATE_PROJECT, {
        input: projectInput({ startDate: "2025-06-01", endDate: "2025-05-31" }),
      });
      expect(error.message).toMatch(/^endDate: /);
    });

    test.each([
      ["zero", "0"],
      ["zero with decimals", "0.00"],
    ])("a budget of %s is BAD_USER_INPUT naming budget", async (_label, budget) => {
      const { error } = await wenlingCoordinator.expectError("BAD_USER_INPUT", CREATE_PROJECT, { input: projectInput({ budget }) });
      expect(error.message).toBe("budget: must be greater than 0");
    });

    test.each([
      ["three decimals", "100.001"],
      ["negative", "-100.00"],
      ["a JSON number", 100],
      ["too large", "1000000000000.00"],
      ["not a number", "一百元"],
      ["exponent", "1e5"],
    ])("a budget that is %s is BAD_USER_INPUT naming budget", async (_label, budget) => {
      const { error } = await wenlingCoordinator.expectError("BAD_USER_INPUT", CREATE_PROJECT, { input: projectInput({ budget }) });
      expect(error.message).toContain("budget");
    });
  });
});

describe("setProjectStatus", () => {
  test("PLANNED → ACTIVE → COMPLETED, and nothing after COMPLETED", async () => {
    const project = await createServiceProject(wenlingCoordinator, { allianceId: tree.taiping.id, leadOrganizationId: wenlingOrg.id });
    const active = await wenlingCoordinator.query(SET_STATUS, { projectId: project.id, status: "ACTIVE" });
    expect(active.setProjectStatus).toEqual({ id: project.id, status: "ACTIVE" });
    const done = await wenlingCoordinator.query(SET_STATUS, { projectId: project.id, status: "COMPLETED" });
    expect(done.setProjectStatus.status).toBe("COMPLETED");
    for (const status of ["CANCELLED", "ACTIVE", "PLANNED", "COMPLETED"]) {
      const { error } = await wenlingCoordinator.expectError("CONFLICT", SET_STATUS, { projectId: project.id, status });
      expect(error.extensions).toMatchObject({ field: "status", from: "COMPLETED", to: status });
    }
    const read = await server.admin.query(PROJECT, { id: project.id });
    expect(read.project.status).toBe("COMPLETED");
  });

  test("PLANNED or ACTIVE → CANCELLED; a CANCELLED project stays cancelled", async () => {
    const planned = await createServiceProject(wenlingCoordinator, { allianceId: tree.taiping.id, leadOrganizationId: wenlingOrg.id });
    const running = await createServiceProject(wenlingCoordinator, { allianceId: tree.taiping.id, leadOrganizationId: wenlingOrg.id });
    await wenlingCoordinator.query(SET_STATUS, { projectId: running.id, status: "ACTIVE" });
    for (const project of [planned, running]) {
      const data = await wenlingCoordinator.query(SET_STATUS, { projectId: project.id, status: "CANCELLED" });
      expect(data.setProjectStatus.status).toBe("CANCELLED");
      await wenlingCoordinator.expectError("CONFLICT", SET_STATUS, { projectId: project.id, status: "ACTIVE" });
    }
  });

  test("PLANNED cannot skip to COMPLETED, and a repeated change is a CONFLICT", async () => {
    const project = await createServiceProject(server.admin, { allianceId: tree.haimen.id, leadOrganizationId: jiaojiangOrg.id });
    await server.admin.expectError("CONFLICT", SET_STATUS, { projectId: project.id, status: "COMPLETED" });
    await server.admin.query(SET_STATUS, { projectId: project.id, status: "ACTIVE" });
    await server.admin.expectError("CONFLICT", SET_STATUS, { projectId: project.id, status: "ACTIVE" });
  });

  test("two racing changes from PLANNED: exactly one wins", async () => {
    const project = await createServiceProject(wenlingCoordinator, { allianceId: tree.taiping.id, leadOrganizationId: wenlingOrg.id });
    const results = await Promise.all(
      ["ACTIVE", "CANCELLED", "ACTIVE", "CANCELLED"].map((status) => wenlingCoordinator.raw(SET_STATUS, { projectId: project.id, status })),
    );
    const winners = results.filter((r) => !r.errors);
    expect(winners).toHaveLength(results.length - results.filter((r) => r.errors?.[0]?.extensions?.code === "CONFLICT").length);
    const final = (await server.admin.query(PROJECT, { id: project.id })).project.status;
    // Every success moved the project on from what it was; the survivors agree with the final state.
    expect(["ACTIVE", "CANCELLED"]).toContain(final);
    expect(winners.length).toBeGreaterThanOrEqual(1);
    expect(winners.length).toBeLessThanOrEqual(2);
    if (winners.length === 2) {
      expect(winners.map((w) => w.data?.setProjectStatus.status)).toEqual(expect.arrayContaining(["ACTIVE", "CANCELLED"]));
      expect(final).toBe("CANCELLED");
    }
  });

  test("out of scope, partners and unknown projects are refused", async () => {
    const project = await createServiceProject(wenlingCoordinator, { allianceId: tree.taiping.id, leadOrganizationId: wenlingOrg.id });
    await jiaojiangCoordinator.expectError("FORBIDDEN", SET_STATUS, { projectId: project.id, status: "ACTIVE" });
    const lead = await partnerOf(server, wenlingOrg.id);
    await lead.expectError("FORBIDDEN", SET_STATUS, { projectId: project.id, status: "ACTIVE" });
    await server.admin.expectError("NOT_FOUND", SET_STATUS, { projectId: "00000000-0000-4000-8000-000000000000", status: "ACTIVE" });
    await server.admin.expectError("BAD_USER_INPUT", SET_STATUS, { projectId: "not-an-id", status: "ACTIVE" });
    expect((await server.admin.query(PROJECT, { id: project.id })).project.status).toBe("PLANNED");
  });
});

describe("reading projects", () => {
  let fresh: Awaited<ReturnType<typeof startTestServer>>;
  let t: Awaited<ReturnType<typeof createTaizhouTree>>;
  let lead: OrganizationNode;
  let partner: OrganizationNode;
  let other: OrganizationNode;
  let eastOrg: OrganizationNode;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    fresh = await startTestServer();
    t = await createTaizhouTree(fresh.admin);
    lead = await createOrganization(fresh.admin, { allianceIds: [t.wenling.id] });
    partner = await createOrganization(fresh.admin, { allianceIds: [t.taiping.id] });
    other = await createOrganization(fresh.admin, { allianceIds: [t.taiping.id] });
    eastOrg = await createOrganization(fresh.admin, { allianceIds: [t.jiaojiang.id] });
    const make = (key: string, input: Parameters<typeof createServiceProject>[1]) =>
      createServiceProject(fresh.admin, input).then((p) => (ids[key] = p.id));
    // 2024 elderly care in 太平, finished; 2025 minor care in 东门村, open-ended; 2025 employment in 温岭; 椒江 project.
    await make("oldElderly", {
      allianceId: t.taiping.id, leadOrganizationId: lead.id, partnerIds: [partner.id], category: "ELDERLY_CARE",
      startDate: "2024-01-01", endDate: "2024-12-31", budget: "80000.00",
    });
    await make("minorCare", {
      allianceId: t.taipingA.id, leadOrganizationId: partner.id, category: "MINOR_CARE", startDate: "2025-04-01", endDate: null, budget: "250000.50",
    });
    await make("employment", {
      allianceId: t.wenling.id, leadOrganizationId: lead.id, category: "EMPLOYMENT", startDate: "2025-02-01", endDate: "2025-06-30", budget: "80000.00",
    });
    await make("east", { allianceId: t.haimen.id, leadOrganizationId: eastOrg.id, category: "ELDERLY_CARE", startDate: "2025-01-15", budget: "9999.99" });
    await fresh.admin.query(SET_STATUS, { projectId: ids.minorCare, status: "ACTIVE" });
    await fresh.admin.query(ADD_FUNDING, {
      input: { projectId: ids.oldElderly, source: "CHARITY", amount: "5000.00", receivedOn: "2024-02-01" },
    });
    await fresh.admin.query(ADD_FUNDING, {
      input: { projectId: ids.oldElderly, source: "GOVERNMENT_BUDGET", amount: "0.05", receivedOn: "2024-03-01" },
    });
  }, SETUP_TIMEOUT);
  afterAll(() => stopAll(fresh));

  const LIST = `query ($allianceId: ID, $filter: ServiceProjectFilter, $first: Int, $after: String) {
    projects(allianceId: $allianceId, filter: $filter, first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } nodes { id }
    }
  }`;
  const listIds = async (client: GraphQLClient, vars: Record<string, unknown> = {}) =>
    ((await client.query(LIST, vars)).projects.nodes as { id: string }[]).map((n) => n.id);

  test("ADMIN lists every project, newest start first", async () => {
    expect(await listIds(fresh.admin)).toEqual([ids.minorCare, ids.employment, ids.east, ids.oldElderly]);
  });

  test("a COORDINATOR lists only its subtree, and may narrow it to one alliance below", async () => {
    const wenling = await coordinatorOf(fresh, t.wenling.id);
    expect(await listIds(wenling)).toEqual([ids.minorCare, ids.employment, ids.oldElderly]);
    expect(await listIds(wenling, { allianceId: t.taiping.id })).toEqual([ids.minorCare, ids.oldElderly]);
    await wenling.expectError("FORBIDDEN", LIST, { allianceId: t.jiaojiang.id });
    const east = await coordinatorOf(fresh, t.jiaojiang.id);
    expect(await listIds(east)).toEqual([ids.east]);
    await east.expectError("FORBIDDEN", `query ($id: ID!) { project(id: $id) { id } }`, { id: ids.oldElderly });
  });

  test("filters by status, category and active period", async () => {
    expect(await listIds(fresh.admin, { filter: { status: ["ACTIVE"] } })).toEqual([ids.minorCare]);
    expect(await listIds(fresh.admin, { filter: { category: ["ELDERLY_CARE", "EMPLOYMENT"] } })).toEqual([
      ids.employment, ids.east, ids.oldElderly,
    ]);
    // Active at some time in July 2025: started by then and not ended before it.
    expect(await listIds(fresh.admin, { filter: { activeFrom: "2025-07-01", activeTo: "2025-07-31" } })).toEqual([ids.minorCare, ids.east]);
    // Ended on the first day of the period still counts; started on the last day counts.
    expect(await listIds(fresh.admin, { filter: { activeFrom: "2024-12-31", activeTo: "2025-01-15" } })).toEqual([ids.east, ids.oldElderly]);
    expect(await listIds(fresh.admin, { filter: { activeTo: "2024-06-30" } })).toEqual([ids.oldElderly]);
    expect(await listIds(fresh.admin, { filter: { status: ["PLANNED"], category: ["MINOR_CARE"] } })).toEqual([]);
    const { error } = await fresh.admin.expectError("BAD_USER_INPUT", LIST, { filter: { activeFrom: "2025-02-01", activeTo: "2025-01-01" } });
    expect(error.message).toMatch(/activeTo/);
  });

  test("pages with first/after and counts the whole list", async () => {
    const first = await fresh.admin.query(LIST, { first: 3 });
    expect(first.projects.totalCount).toBe(4);
    expect(first.projects.pageInfo.hasNextPage).toBe(true);
    const second = await fresh.admin.query(LIST, { first: 3, after: first.projects.pageInfo.endCursor });
    expect(second.projects.nodes.map((n: { id: string }) => n.id)).toEqual([ids.oldElderly]);
    expect(second.projects.pageInfo.hasNextPage).toBe(false);
    await fresh.admin.expectError("BAD_USER_INPUT", LIST, { first: 101 });
  });

  test("orderBy: by budget, largest or smallest first, ties by id; pages keep the order; a cursor of another order is refused", async () => {
    const ORDERED = `query ($orderBy: ProjectOrder, $first: Int, $after: String) {
      projects(orderBy: $orderBy, first: $first, after: $after) { pageInfo { hasNextPage endCursor } nodes { id budget } }
    }`;
    // 250000.50, then the two of 80000.00 (the larger id first when descending), then 9999.99.
    const [tieHigh, tieLow] = [ids.oldElderly, ids.employment].sort().reverse();
    const descending = [ids.minorCare, tieHigh, tieLow, ids.east];
    const walk = async (orderBy: string) => {
      const seen: string[] = [];
      let after: string | null = null;
      do {
        const page: { projects: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: { id: string }[] } } =
          await fresh.admin.query(ORDERED, { orderBy, first: 1, after });
        seen.push(...page.projects.nodes.map((n) => n.id));
        after = page.projects.pageInfo.hasNextPage ? page.projects.pageInfo.endCursor : null;
      } while (after);
      return seen;
    };
    expect(await walk("BUDGET_DESC")).toEqual(descending);
    expect(await walk("BUDGET_ASC")).toEqual([...descending].reverse());
    const first = (await fresh.admin.query(ORDERED, { orderBy: "BUDGET_DESC", first: 2 })).projects;
    expect(first.nodes).toEqual([{ id: ids.minorCare, budget: "250000.50" }, { id: tieHigh, budget: "80000.00" }]);
    // The default order is unchanged, and its cursors are not budget cursors.
    expect(await walk("START_DATE_DESC")).toEqual([ids.minorCare, ids.employment, ids.east, ids.oldElderly]);
    const dated = (await fresh.admin.query(ORDERED, { first: 1 })).projects.pageInfo.endCursor;
    const { error } = await fresh.admin.expectError("BAD_USER_INPUT", ORDERED, { orderBy: "BUDGET_DESC", first: 1, after: dated });
    expect(error.extensions?.field).toBe("after");
  });

  test("Alliance.projects holds the whole subtree, with the same filters", async () => {
    const data = await fresh.admin.query(
      `query ($city: ID!, $taiping: ID!, $haimenA: ID!) {
        city: alliance(id: $city) { projects { totalCount nodes { id } } }
        taiping: alliance(id: $taiping) {
          all: projects { totalCount nodes { id } }
          active: projects(filter: { status: [ACTIVE] }) { totalCount nodes { id } }
          paged: projects(first: 1) { totalCount pageInfo { hasNextPage endCursor } nodes { id } }
        }
        haimenA: alliance(id: $haimenA) { projects { totalCount nodes { id } } }
      }`,
      { city: t.city.id, taiping: t.taiping.id, haimenA: t.haimenA.id },
    );
    expect(data.city.projects.totalCount).toBe(4);
    expect(data.taiping.all.nodes.map((n: { id: string }) => n.id)).toEqual([ids.minorCare, ids.oldElderly]);
    expect(data.taiping.active.nodes.map((n: { id: string }) => n.id)).toEqual([ids.minorCare]);
    expect(data.taiping.paged).toEqual({ totalCount: 2, pageInfo: { hasNextPage: true, endCursor: expect.any(String) }, nodes: [{ id: ids.minorCare }] });
    expect(data.haimenA.projects).toEqual({ totalCount: 0, nodes: [] });
    const next = await fresh.admin.query(
      `query ($id: ID!, $after: String) { alliance(id: $id) { projects(first: 1, after: $after) { nodes { id } pageInfo { hasNextPage } } } }`,
      { id: t.taiping.id, after: data.taiping.paged.pageInfo.endCursor },
    );
    expect(next.alliance.projects).toEqual({ nodes: [{ id: ids.oldElderly }], pageInfo: { hasNextPage: false } });
  });

  test("Organization.projects holds the projects it leads or partners in", async () => {
    const data = await fresh.admin.query(
      `query ($lead: ID!, $partner: ID!, $other: ID!) {
        lead: organization(id: $lead) { projects { totalCount nodes { id } } }
        partner: organization(id: $partner) { projects { totalCount nodes { id } } }
        other: organization(id: $other) { projects { totalCount nodes { id } } }
      }`,
      { lead: lead.id, partner: partner.id, other: other.id },
    );
    expect(data.lead.projects.nodes.map((n: { id: string }) => n.id)).toEqual([ids.employment, ids.oldElderly]);
    expect(data.partner.projects.nodes.map((n: { id: string }) => n.id)).toEqual([ids.minorCare, ids.oldElderly]);
    expect(data.other.projects).toEqual({ totalCount: 0, nodes: [] });
  });

  test("a PARTNER reads only the projects its organization leads or partners in", async () => {
    const partnerClient = await partnerOf(fresh, partner.id);
    expect(await listIds(partnerClient)).toEqual([ids.minorCare, ids.oldElderly]);
    const otherClient = await partnerOf(fresh, other.id);
    expect(await listIds(otherClient)).toEqual([]);
    await otherClient.expectError("FORBIDDEN", PROJECT, { id: ids.oldElderly });
    const viaAlliance = await partnerClient.query(`query ($id: ID!) { alliance(id: $id) { projects { nodes { id } } } }`, { id: t.taiping.id });
    expect(viaAlliance.alliance.projects.nodes.map((n: { id: string }) => n.id)).toEqual([ids.minorCare, ids.oldElderly]);
  });

  test("a PARTNER sees fundings only on projects its organization leads; fundingTotal on every project it may read", async () => {
    const leadClient = await partnerOf(fresh, lead.id);
    const asLead = await leadClient.query(PROJECT, { id: ids.oldElderly });
    expect(asLead.project.fundingTotal).toBe("5000.05");
    expect(asLead.project.fundings).toEqual([
      { amount: "5000.00", source: "CHARITY" },
      { amount: "0.05", source: "GOVERNMENT_BUDGET" },
    ]);
    const partnerClient = await partnerOf(fresh, partner.id);
    const asPartner = await partnerClient.query(PROJECT, { id: ids.oldElderly });
    expect(asPartner.project.fundingTotal).toBe("5000.05");
    expect(asPartner.project.fundings).toEqual([]);
    expect(asPartner.project.partners).toEqual([{ id: partner.id, name: partner.name }]);
  });

  test("an unknown or malformed id reads as null", async () => {
    const data = await fresh.admin.query(`{ a: project(id: "00000000-0000-4000-8000-000000000000") { id } b: project(id: "x") { id } }`);
    expect(data).toEqual({ a: null, b: null });
  });
});

describe("cost of a projects page", () => {
  test("100 projects with fundings and partners cost the same number of SQL statements as 5", async () => {
    const fresh = await startTestServer();
    try {
      const t = await createTaizhouTree(fresh.admin);
      const orgs = await Promise.all(
        [t.wenling.id, t.taiping.id, t.taiping.id, t.taipingA.id].map((id) => createOrganization(fresh.admin, { allianceIds: [id] })),
      );
      const coordinator = await coordinatorOf(fresh, t.wenling.id);
      // The rows are written straight to the database: this test measures reads, not mutations.
      const prisma = fresh.app.prisma;
      for (let i = 0; i < 100; i += 1) {
        await prisma.serviceProject.create({
          data: {
            name: `项目 ${i}`,
            allianceId: i % 2 ? t.taipingA.id : t.taiping.id,
            category: "ELDERLY_CARE",
            leadOrganizationId: orgs[0].id,
            startDate: new Date(Date.UTC(2025, 0, (i % 28) + 1)),
            budget: "1000.00",
            partners: { create: (i % 2 ? [orgs[1].id, orgs[3].id] : [orgs[2].id]).map((organizationId) => ({ organizationId })) },
            fundings: { create: [{ source: "CHARITY", amount: `${i}.01`, receivedOn: new Date(Date.UTC(2025, 1, 1)) }] },
          },
        });
      }
      const PAGE = `query ($first: Int) {
        projects(first: $first) {
          totalCount
          nodes {
            id name status budget startDate endDate
            alliance { id name }
            leadOrganization { id name }
            partners { id name kind }
            fundings { id amount source receivedOn grant { id } }
            fundingTotal servedHouseholdTimes servedHouseholds
          }
        }
      }`;
      const cost = async (first: number) => {
        // The token's account check is cached for TOKEN_CHECK_SECONDS: refresh it outside the count.
        await coordinator.query(`{ me { id } }`);
        const before = fresh.statements();
        const data = await coordinator.query(PAGE, { first });
        const statements = fresh.statements() - before;
        return { statements, nodes: data.projects.nodes as { partners: unknown[]; fundings: unknown[] }[], total: data.projects.totalCount };
      };
      const small = await cost(5);
      const large = await cost(100);
      expect(large.total).toBe(100);
      expect(large.nodes).toHaveLength(100);
      expect(large.nodes.every((n) => n.partners.length >= 1 && n.fundings.length === 1)).toBe(true);
      expect(large.statements).toBe(small.statements);
      expect(large.statements).toBeLessThanOrEqual(10);
      expect(large.nodes.map((n) => (n as unknown as { fundingTotal: string }).fundingTotal)).toContain("99.01");
    } finally {
      await stopAll(fresh);
    }
  }, SETUP_TIMEOUT);
});
