import { coordinatorOf, createOrganization, createTaizhouTree, partnerOf, registerHousehold } from "./helpers/factories";
import type { GraphQLClient } from "./helpers/graphql";
import { ADD_FUNDING, ALLOCATE, createGrant, createServiceProject } from "./helpers/projects";
import { createServiceRequest } from "./helpers/service-requests";
import { startTestServer, stopAll } from "./helpers/server";

/**
 * Nested fields keep the scope of their root: walking from a record in scope to one outside it
 * (an ancestor alliance, a grant awarded higher up, a partner organization known elsewhere)
 * shows that record's own fields, and its lists shrink to what the root field would show.
 * Viewers: the 太平街道 coordinator and a partner whose organization belongs to 太平街道.
 */
const SETUP_TIMEOUT = 180_000;

let server: Awaited<ReturnType<typeof startTestServer>>;
let tree: Awaited<ReturnType<typeof createTaizhouTree>>;
let township: GraphQLClient;
let partner: GraphQLClient;
let ids: Record<string, string>;
/**
 * Ids that must never appear in what the two viewers read: records outside their scope that no
 * nested field may show (organizations known elsewhere may show themselves as partners or suggestions).
 */
let outside: string[];

const H1 = { from: "2025-01-01", to: "2025-06-30" };
const LISTS = `
  members(first: 100) { totalCount nodes { id } }
  children(first: 100) { totalCount nodes { id } }
  projects(first: 100) { totalCount nodes { id } }
  serviceRequests(first: 100) { totalCount nodes { id } }
  parent { id } ancestors { id }`;

function expectNothingOutside(data: unknown) {
  const text = JSON.stringify(data);
  for (const id of outside) expect(text).not.toContain(id);
}

const nodeIds = (list: { nodes: { id: string }[] }) => list.nodes.map((n) => n.id).sort();
const sorted = (...values: string[]) => [...values].sort();

beforeAll(async () => {
  server = await startTestServer();
  tree = await createTaizhouTree(server.admin);
  const admin = server.admin;
  const org = (name: string, allianceIds: string[]) => createOrganization(admin, { name, allianceIds });
  const cityOrg = await org("台州市电子商务协会", [tree.city.id]);
  const wenOrg = await org("温岭市社工协会", [tree.wenling.id]);
  const tpOrg = await org("太平社工站", [tree.taiping.id]);
  const haiOrg = await org("海门义工队", [tree.haimen.id]);
  const bothOrg = await org("两地志愿队", [tree.taiping.id, tree.haimen.id]);
  const pTP = await createServiceProject(admin, { allianceId: tree.taiping.id, leadOrganizationId: tpOrg.id, partnerIds: [cityOrg.id, bothOrg.id] });
  const pWen = await createServiceProject(admin, { allianceId: tree.wenling.id, leadOrganizationId: wenOrg.id, partnerIds: [cityOrg.id] });
  const pHai = await createServiceProject(admin, { allianceId: tree.haimen.id, leadOrganizationId: haiOrg.id, partnerIds: [cityOrg.id, bothOrg.id] });
  const grant = await createGrant(admin, { allianceId: tree.city.id, amount: "1000.00", code: "台民福〔2025〕1号" });
  const allocate = async (projectId: string, amount: string) =>
    (await admin.query(ALLOCATE, { input: { grantId: grant.id, projectId, amount, receivedOn: "2025-02-01" } })).allocateGrant.id as string;
  const fTP = await allocate(pTP.id, "10.00");
  const fWen = await allocate(pWen.id, "20.00");
  const fHai = await allocate(pHai.id, "30.00");
  const fBudget = (await admin.query(ADD_FUNDING, { input: { projectId: pTP.id, source: "GOVERNMENT_BUDGET", amount: "5.00", receivedOn: "2025-03-01" } }))
    .addFunding.id as string;
  const fHaiBudget = (await admin.query(ADD_FUNDING, { input: { projectId: pHai.id, source: "GOVERNMENT_BUDGET", amount: "7.00", receivedOn: "2025-03-01" } }))
    .addFunding.id as string;
  const hA = await registerHousehold(admin, { allianceId: tree.taipingA.id });
  const hH = await registerHousehold(admin, { allianceId: tree.haimenA.id });
  const rA = await createServiceRequest(admin, { allianceId: tree.taipingA.id, category: "PRECISION_ASSISTANCE" });
  const rH = await createServiceRequest(admin, { allianceId: tree.haimenA.id, category: "PRECISION_ASSISTANCE" });
  const rW = await createServiceRequest(admin, { allianceId: tree.wenling.id, category: "PRECISION_ASSISTANCE" });
  ids = {
    cityOrg: cityOrg.id, wenOrg: wenOrg.id, tpOrg: tpOrg.id, haiOrg: haiOrg.id, bothOrg: bothOrg.id,
    pTP: pTP.id, pWen: pWen.id, pHai: pHai.id, grant: grant.id,
    fTP, fWen, fHai, fBudget, fHaiBudget, hA: hA.id, hH: hH.id, rA: rA.id, rH: rH.id, rW: rW.id,
  };
  outside = [
    tree.wenling.id, tree.jiaojiang.id, tree.haimen.id, tree.haimenA.id,
    pWen.id, pHai.id, haiOrg.id, fWen, fHai, fHaiBudget, hH.id, rH.id, rW.id,
  ];
  township = await coordinatorOf(server, tree.taiping.id);
  partner = await partnerOf(server, tpOrg.id);
}, SETUP_TIMEOUT);
afterAll(() => stopAll(server));

const GRANT_PATH = `query ($id: ID!) {
  project(id: $id) {
    fundings { id source grant {
      id code level year amount allocated remaining
      allocations { id amount project { id } }
      alliance { id name level regionCode ${LISTS} }
    } }
  }
}`;

describe("a coordinator reaching a grant awarded above its subtree", () => {
  test("ADMIN sees the whole grant and the whole city (the data the filters must hide is there)", async () => {
    const data = await server.admin.query(GRANT_PATH, { id: ids.pTP });
    const grant = data.project.fundings.find((f: { source: string }) => f.source === "WELFARE_LOTTERY").grant;
    expect(grant.allocations).toHaveLength(3);
    expect(grant.alliance.members.totalCount).toBe(1);
    expect(grant.alliance.children.totalCount).toBe(2);
    expect(grant.alliance.projects.totalCount).toBe(3);
    expect(grant.alliance.serviceRequests.totalCount).toBe(3);
  });

  test("Funding.grant shows the grant's own fields; its allocations and its alliance's lists keep only the subtree", async () => {
    const data = await township.query(GRANT_PATH, { id: ids.pTP });
    expect(data.project.fundings.map((f: { id: string }) => f.id).sort()).toEqual(sorted(ids.fTP, ids.fBudget));
    const budget = data.project.fundings.find((f: { source: string }) => f.source === "GOVERNMENT_BUDGET");
    expect(budget.grant).toBeNull();
    const grant = data.project.fundings.find((f: { source: string }) => f.source === "WELFARE_LOTTERY").grant;
    expect(grant).toMatchObject({
      id: ids.grant, code: "台民福〔2025〕1号", level: "MUNICIPAL", year: 2025,
      amount: "1000.00", allocated: "60.00", remaining: "940.00",
    });
    expect(grant.allocations).toEqual([{ id: ids.fTP, amount: "10.00", project: { id: ids.pTP } }]);
    expect(grant.alliance).toMatchObject({ id: tree.city.id, name: "台州市", level: "CITY", regionCode: "331000" });
    expect(grant.alliance.members).toEqual({ totalCount: 0, nodes: [] });
    expect(grant.alliance.children).toEqual({ totalCount: 0, nodes: [] });
    expect(grant.alliance.projects).toEqual({ totalCount: 1, nodes: [{ id: ids.pTP }] });
    expect(grant.alliance.serviceRequests).toEqual({ totalCount: 1, nodes: [{ id: ids.rA }] });
    expect(grant.alliance.parent).toBeNull();
    expect(grant.alliance.ancestors).toEqual([]);
    expectNothingOutside(data);
  });

  test("stats of that alliance are FORBIDDEN as Query.stats is; the grant itself stays readable", async () => {
    const response = await township.raw(
      `query ($id: ID!, $from: Date!, $to: Date!) { project(id: $id) { fundings(first: 5) { grant { code alliance { stats(from: $from, to: $to) { fundingTotal } } } } } }`,
      { id: ids.pTP, ...H1 },
    );
    expect(response.errors?.map((e) => e.extensions?.code)).toEqual(["FORBIDDEN"]);
    expect(JSON.stringify(response.data)).not.toContain("fundingTotal");
    await township.expectError("FORBIDDEN", `query ($id: ID!) { grant(id: $id) { id } }`, { id: ids.grant });
    await township.expectError("FORBIDDEN", `query ($id: ID!, $from: Date!, $to: Date!) { stats(allianceId: $id, from: $from, to: $to) { projectCount } }`, {
      id: tree.city.id,
      ...H1,
    });
  });

  test("a county coordinator's grant list: allocations keep only its subtree's projects", async () => {
    const wenling = await coordinatorOf(server, tree.wenling.id);
    const data = await wenling.query(`query ($id: ID!) { project(id: $id) { fundings { grant { allocations { id project { id } } } } } }`, { id: ids.pTP });
    const allocations = data.project.fundings.flatMap((f: { grant: { allocations: { id: string }[] } | null }) => f.grant?.allocations ?? []);
    expect(allocations.map((a: { id: string }) => a.id).sort()).toEqual(sorted(ids.fTP, ids.fWen));
    expect(JSON.stringify(data)).not.toContain(ids.fHai);
  });
});

describe("other nested paths, as the township coordinator", () => {
  test("household.alliance.parent.members: members it could read; above its own node there is no parent", async () => {
    const data = await township.query(
      `query ($id: ID!) { household(id: $id) { alliance { id parent { id name members { totalCount nodes { id } } parent { id } ancestors { id } } ancestors { id } } } }`,
      { id: ids.hA },
    );
    const village = data.household.alliance;
    expect(village.parent).toMatchObject({ id: tree.taiping.id, name: "太平街道", parent: null, ancestors: [] });
    expect(nodeIds(village.parent.members)).toEqual(sorted(ids.tpOrg, ids.bothOrg));
    expect(village.ancestors).toEqual([{ id: tree.taiping.id }]);
    expectNothingOutside(data);
  });

  test("project.alliance.ancestors, partners and their alliances and projects stay in the subtree", async () => {
    const data = await township.query(
      `query ($id: ID!) { project(id: $id) {
        alliance { ancestors { id } }
        leadOrganization { id alliances { id } }
        partners { id name alliances { id } projects(first: 100) { totalCount nodes { id } } }
      } }`,
      { id: ids.pTP },
    );
    expect(data.project.alliance.ancestors).toEqual([]);
    const byId = Object.fromEntries(data.project.partners.map((p: { id: string }) => [p.id, p]));
    expect(byId[ids.cityOrg]).toMatchObject({ name: "台州市电子商务协会", alliances: [], projects: { totalCount: 1, nodes: [{ id: ids.pTP }] } });
    expect(byId[ids.bothOrg]).toMatchObject({ alliances: [{ id: tree.taiping.id }], projects: { totalCount: 1, nodes: [{ id: ids.pTP }] } });
    expectNothingOutside(data);
  });

  test("organization(id).alliances and .projects keep only the subtree; a city-only member is FORBIDDEN at the root", async () => {
    const data = await township.query(
      `query ($id: ID!) { organization(id: $id) { alliances { id } projects(first: 100) { totalCount nodes { id } } } }`,
      { id: ids.bothOrg },
    );
    expect(data.organization).toEqual({ alliances: [{ id: tree.taiping.id }], projects: { totalCount: 1, nodes: [{ id: ids.pTP }] } });
    await township.expectError("FORBIDDEN", `query ($id: ID!) { organization(id: $id) { id } }`, { id: ids.cityOrg });
  });

  test("serviceRequest.suggestedOrganizations: an organization of the city shows itself, not the city's alliances or projects", async () => {
    const data = await township.query(
      `query ($id: ID!) { serviceRequest(id: $id) { suggestedOrganizations(first: 20) { id alliances { id } projects(first: 100) { nodes { id } } } } }`,
      { id: ids.rA },
    );
    const suggested = data.serviceRequest.suggestedOrganizations;
    const city = suggested.find((o: { id: string }) => o.id === ids.cityOrg);
    expect(city).toEqual({ id: ids.cityOrg, alliances: [], projects: { nodes: [{ id: ids.pTP }] } });
    expectNothingOutside(data);
  });

  test("grants lists only grants of the subtree; a county coordinator above sees its own", async () => {
    expect((await township.query(`{ grants { id } }`)).grants).toEqual([]);
    expect((await server.admin.query(`{ grants { id allocations { id } } }`)).grants[0].allocations).toHaveLength(3);
  });
});

describe("the same paths as a partner of 太平街道", () => {
  test("its project's fundings (it leads it), no grant; partners' alliances and projects stay in its scope", async () => {
    const data = await partner.query(
      `query ($id: ID!) { project(id: $id) {
        fundings { id grant { id } }
        alliance { id ${LISTS} }
        partners(first: 10) { id alliances(first: 10) { id } projects(first: 10) { nodes { id fundings(first: 10) { id } } } }
      } }`,
      { id: ids.pTP },
    );
    expect(data.project.fundings.map((f: { id: string }) => f.id).sort()).toEqual(sorted(ids.fTP, ids.fBudget));
    expect(data.project.fundings.every((f: { grant: unknown }) => f.grant === null)).toBe(true);
    const alliance = data.project.alliance;
    expect(nodeIds(alliance.members)).toEqual(sorted(ids.tpOrg, ids.bothOrg));
    expect(nodeIds(alliance.children)).toEqual(sorted(tree.taipingA.id, tree.taipingB.id));
    expect(nodeIds(alliance.projects)).toEqual([ids.pTP]);
    expect(nodeIds(alliance.serviceRequests)).toEqual([ids.rA]);
    expect(alliance.parent).toBeNull();
    expect(alliance.ancestors).toEqual([]);
    const city = data.project.partners.find((p: { id: string }) => p.id === ids.cityOrg);
    expect(city).toEqual({ id: ids.cityOrg, alliances: [], projects: { nodes: [{ id: ids.pTP, fundings: expect.any(Array) }] } });
    expectNothingOutside(data);
  });

  test("household.alliance.parent.members and serviceRequests → suggestedOrganizations stay in its scope", async () => {
    const data = await partner.query(
      `query ($id: ID!) {
        household(id: $id) { alliance { parent { members { nodes { id alliances { id } } } parent { id } } } }
        serviceRequests(first: 10) { nodes { id suggestedOrganizations(first: 20) { id alliances(first: 10) { id } projects(first: 20) { nodes { id } } } } }
      }`,
      { id: ids.hA },
    );
    expect(nodeIds(data.household.alliance.parent.members)).toEqual(sorted(ids.tpOrg, ids.bothOrg));
    expect(data.household.alliance.parent.parent).toBeNull();
    expect(data.serviceRequests.nodes.map((n: { id: string }) => n.id)).toEqual([ids.rA]);
    const city = data.serviceRequests.nodes[0].suggestedOrganizations.find((o: { id: string }) => o.id === ids.cityOrg);
    expect(city).toEqual({ id: ids.cityOrg, alliances: [], projects: { nodes: [{ id: ids.pTP }] } });
    expectNothingOutside(data);
  });

  test("a partner that only partners in a project sees no fundings there; grants stay FORBIDDEN", async () => {
    const both = await partnerOf(server, ids.bothOrg);
    const data = await both.query(`query ($id: ID!) { project(id: $id) { fundings { id } fundingTotal } }`, { id: ids.pHai });
    expect(data.project).toEqual({ fundings: [], fundingTotal: "37.00" });
    await both.expectError("FORBIDDEN", `{ grants { id } }`);
  });
});
