import { createAlliance, createOrganization } from "./helpers/factories";
import { startTestServer, stopAll } from "./helpers/server";

let server: Awaited<ReturnType<typeof startTestServer>>;
let township: { id: string };
const VILLAGES = 23;

const ALLIANCES = `query ($first: Int, $after: String) {
  alliances(level: VILLAGE, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id regionCode } } nodes { id }
  }
}`;
const CHILDREN = `query ($id: ID!, $first: Int, $after: String) {
  alliance(id: $id) { children(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id regionCode } } }
}`;
const ORGANIZATIONS = `query ($first: Int, $after: String) {
  organizations(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id name } }
}`;

beforeAll(async () => {
  server = await startTestServer();
  const city = await createAlliance(server.admin, { name: "台州市", level: "CITY", regionCode: "331000" });
  const county = await createAlliance(server.admin, { name: "温岭市", level: "COUNTY", regionCode: "331081", parentId: city.id });
  township = await createAlliance(server.admin, { name: "太平街道", level: "TOWNSHIP", regionCode: "331081001", parentId: county.id });
  // Created out of order, so that region-code order is not creation order.
  const order = Array.from({ length: VILLAGES }, (_, i) => (i * 7) % VILLAGES);
  for (const i of order) {
    await createAlliance(server.admin, { name: `村${i}`, level: "VILLAGE", regionCode: `331081001${String(i + 1).padStart(3, "0")}`, parentId: township.id });
  }
  for (const name of ["丙", "甲", "乙", "丁", "戊", "己", "庚"]) {
    await createOrganization(server.admin, { name, allianceIds: [township.id] });
  }
});
afterAll(() => stopAll(server));

const sortedCodes = () => Array.from({ length: VILLAGES }, (_, i) => `331081001${String(i + 1).padStart(3, "0")}`);

describe("page sizes", () => {
  test.each([101, 0, -1, 1000])("first: %i is BAD_USER_INPUT naming first", async (first) => {
    const { error } = await server.admin.expectError("BAD_USER_INPUT", ALLIANCES, { first });
    expect(error.extensions?.field).toBe("first");
    expect(error.message).toContain("100");
  });

  test("first: 100 is accepted, and the default page is 20", async () => {
    const full = await server.admin.query(ALLIANCES, { first: 100 });
    expect(full.alliances.nodes).toHaveLength(VILLAGES);
    expect(full.alliances.pageInfo.hasNextPage).toBe(false);
    const byDefault = await server.admin.query(ALLIANCES, {});
    expect(byDefault.alliances.nodes).toHaveLength(20);
    expect(byDefault.alliances.pageInfo.hasNextPage).toBe(true);
    expect(byDefault.alliances.totalCount).toBe(VILLAGES);
  });

  test("nested connections check their page size too", async () => {
    await server.admin.expectError("BAD_USER_INPUT", CHILDREN, { id: township.id, first: 101 });
    await server.admin.expectError("BAD_USER_INPUT", CHILDREN, { id: township.id, first: 0 });
    const ok = await server.admin.query(CHILDREN, { id: township.id, first: 100 });
    expect(ok.alliance.children.nodes).toHaveLength(VILLAGES);
  });
});

describe("cursors", () => {
  test("page through a top-level list in order without gaps or repeats", async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const data: any = await server.admin.query(ALLIANCES, { first: 5, after });
      const page = data.alliances;
      expect(page.totalCount).toBe(VILLAGES);
      expect(page.nodes.map((n: { id: string }) => n.id)).toEqual(page.edges.map((e: { node: { id: string } }) => e.node.id));
      expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor ?? null);
      seen.push(...page.edges.map((e: { node: { regionCode: string } }) => e.node.regionCode));
      pages += 1;
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(pages).toBe(Math.ceil(VILLAGES / 5));
    expect(seen).toEqual(sortedCodes());
  });

  test("page through a nested list the same way", async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const data: any = await server.admin.query(CHILDREN, { id: township.id, first: 4, after });
      const page = data.alliance.children;
      expect(page.totalCount).toBe(VILLAGES);
      seen.push(...page.nodes.map((n: { regionCode: string }) => n.regionCode));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(sortedCodes());
  });

  test("a page past the end is empty but still counts the whole list", async () => {
    const all = await server.admin.query(CHILDREN, { id: township.id, first: 100 });
    const last = all.alliance.children.pageInfo.endCursor;
    const beyond = await server.admin.query(CHILDREN, { id: township.id, first: 10, after: last });
    expect(beyond.alliance.children).toEqual({ totalCount: VILLAGES, pageInfo: { hasNextPage: false, endCursor: null }, nodes: [] });
    const top = await server.admin.query(ALLIANCES, { first: 100 });
    const topBeyond = await server.admin.query(ALLIANCES, { first: 10, after: top.alliances.pageInfo.endCursor });
    expect(topBeyond.alliances.totalCount).toBe(VILLAGES);
    expect(topBeyond.alliances.nodes).toEqual([]);
  });

  test("organizations page by name, with no gaps or repeats", async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const data: any = await server.admin.query(ORGANIZATIONS, { first: 3, after });
      seen.push(...data.organizations.nodes.map((n: { name: string }) => n.name));
      if (!data.organizations.pageInfo.hasNextPage) break;
      after = data.organizations.pageInfo.endCursor;
    }
    expect(new Set(seen).size).toBe(7);
    const inDatabaseOrder = await server.app.prisma.organization.findMany({ orderBy: [{ name: "asc" }, { id: "asc" }], select: { name: true } });
    expect(seen).toEqual(inDatabaseOrder.map((o) => o.name));
  });

  const garbage: [string, string][] = [
    ["random text", "not a cursor"],
    ["base64 of something else", Buffer.from("hello").toString("base64url")],
    ["the wrong number of keys", Buffer.from(JSON.stringify(["331081001001"])).toString("base64url")],
    ["keys of the wrong type", Buffer.from(JSON.stringify([1, 2])).toString("base64url")],
    ["an id that is no id", Buffer.from(JSON.stringify(["331081001001", "x'; DROP TABLE alliance; --"])).toString("base64url")],
    ["a number where the sort key is text", Buffer.from(JSON.stringify([331081001001, "00000000-0000-4000-8000-000000000000"])).toString("base64url")],
  ];

  test.each(garbage)("an `after` of %s is BAD_USER_INPUT, top-level and nested", async (_case, after) => {
    const top = await server.admin.expectError("BAD_USER_INPUT", ALLIANCES, { first: 5, after });
    expect(top.error.extensions?.field).toBe("after");
    const nested = await server.admin.expectError("BAD_USER_INPUT", CHILDREN, { id: township.id, first: 5, after });
    expect(nested.error.extensions?.field).toBe("after");
    await server.admin.expectError("BAD_USER_INPUT", ORGANIZATIONS, { first: 5, after });
    expect(await server.app.prisma.alliance.count()).toBe(3 + VILLAGES);
  });
});

describe("totalCount", () => {
  test("is counted only when asked for: one statement more, and the whole list's size", async () => {
    const page = `query { alliances(level: VILLAGE, first: 5) { nodes { id } } }`;
    const counted = `query { alliances(level: VILLAGE, first: 5) { totalCount nodes { id } } }`;
    await server.admin.query(page); // the admin's scope, now cached for the token
    let before = server.statements();
    const plain = await server.admin.query(page);
    const withoutCount = server.statements() - before;
    before = server.statements();
    const withTotal = await server.admin.query(counted);
    const withCount = server.statements() - before;

    expect(plain.alliances.nodes).toHaveLength(5);
    expect(plain.alliances.totalCount).toBeUndefined();
    expect(withTotal.alliances.totalCount).toBe(VILLAGES);
    expect(withCount).toBe(withoutCount + 1);
  });

  test("of a nested list comes from its page's statement", async () => {
    const children = `query ($id: ID!) { alliance(id: $id) { children(first: 5) { nodes { id } } } }`;
    const counted = `query ($id: ID!) { alliance(id: $id) { children(first: 5) { totalCount nodes { id } } } }`;
    await server.admin.query(children, { id: township.id });
    let before = server.statements();
    await server.admin.query(children, { id: township.id });
    const withoutCount = server.statements() - before;
    before = server.statements();
    const data = await server.admin.query(counted, { id: township.id });
    expect(server.statements() - before).toBe(withoutCount);
    expect(data.alliance.children.totalCount).toBe(VILLAGES);
  });
});
