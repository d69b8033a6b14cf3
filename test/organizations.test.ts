import { coordinatorOf, createOrganization, createTaizhouTree, creditCode, partnerOf } from "./helpers/factories";
import type { GraphQLClient } from "./helpers/graphql";
import { startTestServer, stopAll } from "./helpers/server";

let server: Awaited<ReturnType<typeof startTestServer>>;
let tree: Awaited<ReturnType<typeof createTaizhouTree>>;
let wenlingCoordinator: GraphQLClient;

const CREATE = `mutation ($input: CreateOrganizationInput!) {
  createOrganization(input: $input) { id name kind creditCode serviceCategories alliances { id } }
}`;
const ONE = `query ($id: ID!) { organization(id: $id) { id name alliances { id name } } }`;
const LIST = `query ($kind: OrganizationKind, $allianceId: ID, $category: ServiceCategory) {
  organizations(kind: $kind, allianceId: $allianceId, category: $category, first: 100) { totalCount nodes { id name } }
}`;
const JOIN = `mutation ($org: ID!, $alliance: ID!) { joinAlliance(organizationId: $org, allianceId: $alliance) { id alliances { id } } }`;

const organizationCount = () => server.app.prisma.organization.count();
const names = (data: { organizations: { nodes: { name: string }[] } }) => data.organizations.nodes.map((o) => o.name);

/** A 统一社会信用代码 whose check character is wrong. */
function withWrongCheckCharacter(code: string): string {
  const alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
  const wrong = alphabet[(alphabet.indexOf(code[17]) + 1) % alphabet.length];
  return code.slice(0, 17) + wrong;
}

function input(overrides: Record<string, unknown> = {}) {
  return {
    name: "温岭市阳光社工服务中心",
    kind: "SOCIAL_ORGANIZATION",
    creditCode: creditCode(),
    serviceCategories: ["PRECISION_ASSISTANCE", "PSYCHOLOGICAL_SUPPORT"],
    allianceIds: [tree.wenling.id],
    ...overrides,
  };
}

let wenlingOrg: { id: string };
let taipingOrg: { id: string };
let haimenOrg: { id: string };

beforeAll(async () => {
  server = await startTestServer();
  tree = await createTaizhouTree(server.admin);
  wenlingCoordinator = await coordinatorOf(server, tree.wenling.id);
  wenlingOrg = await createOrganization(server.admin, { name: "A 温岭市民政局", kind: "GOVERNMENT_DEPARTMENT", allianceIds: [tree.wenling.id], creditCode: null });
  taipingOrg = await createOrganization(server.admin, {
    name: "B 太平志愿队",
    kind: "VOLUNTEER_TEAM",
    allianceIds: [tree.taipingA.id],
    serviceCategories: ["ELDERLY_CARE"],
  });
  haimenOrg = await createOrganization(server.admin, { name: "C 海门慈善会", kind: "CHARITY", allianceIds: [tree.haimen.id] });
});
afterAll(() => stopAll(server));

describe("creating an organization", () => {
  test("stores what was given, with its alliances", async () => {
    const code = creditCode();
    const data = await server.admin.query(CREATE, { input: input({ creditCode: code, allianceIds: [tree.taiping.id, tree.haimenA.id] }) });
    expect(data.createOrganization).toMatchObject({
      name: "温岭市阳光社工服务中心",
      kind: "SOCIAL_ORGANIZATION",
      creditCode: code,
      serviceCategories: ["PRECISION_ASSISTANCE", "PSYCHOLOGICAL_SUPPORT"],
    });
    expect(data.createOrganization.alliances.map((a: { id: string }) => a.id).sort()).toEqual([tree.taiping.id, tree.haimenA.id].sort());
  });

  test("a credit code with a wrong check character is BAD_USER_INPUT naming creditCode, and nothing is written", async () => {
    const before = await organizationCount();
    const { error } = await server.admin.expectError("BAD_USER_INPUT", CREATE, { input: input({ creditCode: withWrongCheckCharacter(creditCode()) }) });
    expect(error.extensions?.field).toBe("creditCode");
    expect(error.message).toContain("creditCode");
    expect(await organizationCount()).toBe(before);
  });

  test.each([
    ["17 characters", () => creditCode().slice(0, 17)],
    ["lower case", () => creditCode().toLowerCase().replace(/^(.{17})./, (_m, head: string) => head + "a")],
    ["a letter outside the alphabet (I)", () => `I${creditCode().slice(1)}`],
  ])("a credit code of %s is BAD_USER_INPUT", async (_case, code) => {
    const before = await organizationCount();
    const { error } = await server.admin.expectError("BAD_USER_INPUT", CREATE, { input: input({ creditCode: code() }) });
    expect(error.extensions?.field).toBe("creditCode");
    expect(await organizationCount()).toBe(before);
  });

  test("a credit code another organization has is a CONFLICT, and nothing is written", async () => {
    const code = creditCode();
    await server.admin.query(CREATE, { input: input({ creditCode: code }) });
    const before = await organizationCount();
    const { error } = await server.admin.expectError("CONFLICT", CREATE, { input: input({ name: "另一家", creditCode: code }) });
    expect(error.extensions?.field).toBe("creditCode");
    expect(await organizationCount()).toBe(before);
  });

  test("a government unit may have no credit code", async () => {
    const data = await server.admin.query(CREATE, { input: input({ kind: "GOVERNMENT_DEPARTMENT", creditCode: null }) });
    expect(data.createOrganization.creditCode).toBeNull();
  });

  test("an alliance that does not exist is BAD_USER_INPUT", async () => {
    const before = await organizationCount();
    const missing = await server.admin.expectError("BAD_USER_INPUT", CREATE, {
      input: input({ allianceIds: ["00000000-0000-4000-8000-000000000000"] }),
    });
    expect(missing.error.extensions?.field).toBe("allianceIds");
    await server.admin.expectError("BAD_USER_INPUT", CREATE, { input: input({ allianceIds: ["not-an-id"] }) });
    expect(await organizationCount()).toBe(before);
  });

  test("a coordinator creates organizations in its subtree, not outside it", async () => {
    const data = await wenlingCoordinator.query(CREATE, { input: input({ allianceIds: [tree.taipingB.id] }) });
    expect(data.createOrganization.alliances).toEqual([{ id: tree.taipingB.id }]);
    const before = await organizationCount();
    await wenlingCoordinator.expectError("FORBIDDEN", CREATE, { input: input({ allianceIds: [tree.haimen.id] }) });
    await wenlingCoordinator.expectError("FORBIDDEN", CREATE, { input: input({ allianceIds: [tree.taiping.id, tree.city.id] }) });
    const none = await wenlingCoordinator.expectError("BAD_USER_INPUT", CREATE, { input: input({ allianceIds: [] }) });
    expect(none.error.extensions?.field).toBe("allianceIds");
    expect(await organizationCount()).toBe(before);
  });

  test("a partner creates none", async () => {
    const partner = await partnerOf(server, taipingOrg.id);
    const before = await organizationCount();
    await partner.expectError("FORBIDDEN", CREATE, { input: input({ allianceIds: [tree.taipingA.id] }) });
    expect(await organizationCount()).toBe(before);
  });
});

describe("idempotent creation", () => {
  test("a retry with the same key returns the first organization and writes one row", async () => {
    const before = await organizationCount();
    const body = input({ idempotencyKey: "org-retry-1" });
    const first = await server.admin.query(CREATE, { input: body });
    const retry = await server.admin.query(CREATE, { input: body });
    expect(retry.createOrganization).toEqual(first.createOrganization);
    expect(await organizationCount()).toBe(before + 1);
  });

  test("the same key from another account creates its own organization", async () => {
    const before = await organizationCount();
    const byAdmin = await server.admin.query(CREATE, { input: input({ idempotencyKey: "org-shared" }) });
    const byCoordinator = await wenlingCoordinator.query(CREATE, { input: input({ idempotencyKey: "org-shared" }) });
    expect(byCoordinator.createOrganization.id).not.toBe(byAdmin.createOrganization.id);
    expect(await organizationCount()).toBe(before + 2);
  });
});

describe("who sees which organizations", () => {
  test("the ADMIN sees all, and filters by kind, category and alliance subtree", async () => {
    const all = await server.admin.query(LIST);
    expect(all.organizations.totalCount).toBe(await organizationCount());
    expect(names(await server.admin.query(LIST, { kind: "CHARITY" }))).toEqual(["C 海门慈善会"]);
    expect(names(await server.admin.query(LIST, { category: "ELDERLY_CARE" }))).toEqual(["B 太平志愿队"]);
    const jiaojiang = names(await server.admin.query(LIST, { allianceId: tree.jiaojiang.id }));
    expect(jiaojiang).toContain("C 海门慈善会");
    expect(jiaojiang).not.toContain("B 太平志愿队");
  });

  test("a coordinator sees the members of its subtree only", async () => {
    const seen = names(await wenlingCoordinator.query(LIST));
    expect(seen).toEqual(expect.arrayContaining(["A 温岭市民政局", "B 太平志愿队"]));
    expect(seen).not.toContain("C 海门慈善会");
    const counted = await server.app.prisma.organization.count({
      where: { memberships: { some: { alliance: { path: { startsWith: (await server.app.prisma.alliance.findUniqueOrThrow({ where: { id: tree.wenling.id } })).path } } } } },
    });
    expect((await wenlingCoordinator.query(LIST)).organizations.totalCount).toBe(counted);

    await wenlingCoordinator.expectError("FORBIDDEN", ONE, { id: haimenOrg.id });
    await wenlingCoordinator.expectError("FORBIDDEN", LIST, { allianceId: tree.jiaojiang.id });
    expect((await wenlingCoordinator.query(ONE, { id: taipingOrg.id })).organization.name).toBe("B 太平志愿队");
  });

  test("an organization's alliances are limited to what the caller may see", async () => {
    const both = await createOrganization(server.admin, { name: "D 跨区协会", allianceIds: [tree.taiping.id, tree.haimen.id] });
    expect((await server.admin.query(ONE, { id: both.id })).organization.alliances).toHaveLength(2);
    expect((await wenlingCoordinator.query(ONE, { id: both.id })).organization.alliances).toEqual([{ id: tree.taiping.id, name: "太平街道" }]);
  });

  test("a partner sees its own organization and the members of its alliances' subtrees", async () => {
    const partner = await partnerOf(server, taipingOrg.id);
    const seen = names(await partner.query(LIST));
    expect(seen).toContain("B 太平志愿队");
    expect(seen).not.toContain("A 温岭市民政局");
    expect(seen).not.toContain("C 海门慈善会");
    await partner.expectError("FORBIDDEN", ONE, { id: wenlingOrg.id });
    expect((await partner.query(ONE, { id: taipingOrg.id })).organization.alliances).toEqual([{ id: tree.taipingA.id, name: "东门村" }]);
  });

  test("an alliance's members, by kind", async () => {
    const MEMBERS = `query ($id: ID!, $kind: OrganizationKind) { alliance(id: $id) { members(kind: $kind) { totalCount nodes { name kind } } } }`;
    const all = await server.admin.query(MEMBERS, { id: tree.taipingA.id });
    expect(all.alliance.members.nodes).toEqual([{ name: "B 太平志愿队", kind: "VOLUNTEER_TEAM" }]);
    expect((await server.admin.query(MEMBERS, { id: tree.taipingA.id, kind: "CHARITY" })).alliance.members.totalCount).toBe(0);
  });
});

describe("joinAlliance", () => {
  test("a coordinator adds an organization of its subtree to another alliance of it; joining twice is harmless", async () => {
    const organization = await createOrganization(server.admin, { allianceIds: [tree.taipingA.id] });
    await wenlingCoordinator.query(JOIN, { org: organization.id, alliance: tree.taipingB.id });
    const twice = await wenlingCoordinator.query(JOIN, { org: organization.id, alliance: tree.taipingB.id });
    expect(twice.joinAlliance.alliances.map((a: { id: string }) => a.id).sort()).toEqual([tree.taipingA.id, tree.taipingB.id].sort());
    const memberships = await server.app.prisma.allianceMembership.findMany({ where: { organizationId: organization.id } });
    expect(memberships.map((m) => m.allianceId).sort()).toEqual([tree.taipingA.id, tree.taipingB.id].sort());
  });

  test("a coordinator may not add an organization that is also a member outside its subtree; ADMIN may", async () => {
    const organization = await createOrganization(server.admin, { allianceIds: [tree.haimenA.id, tree.taipingA.id] });
    const before = await server.app.prisma.allianceMembership.count();
    const { error } = await wenlingCoordinator.expectError("FORBIDDEN", JOIN, { org: organization.id, alliance: tree.taipingB.id });
    expect(error.message).toMatch(/outside your subtree/);
    expect(await server.app.prisma.allianceMembership.count()).toBe(before);
    await server.admin.query(JOIN, { org: organization.id, alliance: tree.taipingB.id });
    const memberships = await server.app.prisma.allianceMembership.findMany({ where: { organizationId: organization.id } });
    expect(memberships.map((m) => m.allianceId).sort()).toEqual([tree.haimenA.id, tree.taipingA.id, tree.taipingB.id].sort());
  });

  test("path 2 of issue 8: a township coordinator cannot pull a member of the city alliance into one of its villages", async () => {
    const taipingCoordinator = await coordinatorOf(server, tree.taiping.id);
    const cityMember = await createOrganization(server.admin, { name: "台州市电子商务协会", kind: "INDUSTRY_ASSOCIATION", allianceIds: [tree.city.id] });
    const before = await server.app.prisma.allianceMembership.count();
    await taipingCoordinator.expectError("FORBIDDEN", JOIN, { org: cityMember.id, alliance: tree.taipingA.id });
    expect(await server.app.prisma.allianceMembership.count()).toBe(before);
    expect(await server.app.prisma.allianceMembership.count({ where: { organizationId: cityMember.id, allianceId: tree.taipingA.id } })).toBe(0);
    const own = await createOrganization(server.admin, { allianceIds: [tree.taipingB.id] });
    await taipingCoordinator.query(JOIN, { org: own.id, alliance: tree.taipingA.id });
    expect(await server.app.prisma.allianceMembership.count({ where: { organizationId: own.id } })).toBe(2);
  });

  test("is FORBIDDEN outside the coordinator's subtree and for partners", async () => {
    const before = await server.app.prisma.allianceMembership.count();
    await wenlingCoordinator.expectError("FORBIDDEN", JOIN, { org: wenlingOrg.id, alliance: tree.haimen.id });
    const partner = await partnerOf(server, taipingOrg.id);
    await partner.expectError("FORBIDDEN", JOIN, { org: taipingOrg.id, alliance: tree.taipingB.id });
    await server.admin.expectError("NOT_FOUND", JOIN, { org: "00000000-0000-4000-8000-000000000000", alliance: tree.taipingB.id });
    expect(await server.app.prisma.allianceMembership.count()).toBe(before);
  });
});
