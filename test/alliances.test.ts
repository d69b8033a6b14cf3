import { housekeepingOf } from "../src/app";
import { coordinatorOf, createAlliance, createOrganization, createTaizhouTree, partnerOf } from "./helpers/factories";
import type { GraphQLClient } from "./helpers/graphql";
import { startTestServer, stopAll } from "./helpers/server";

let server: Awaited<ReturnType<typeof startTestServer>>;
let tree: Awaited<ReturnType<typeof createTaizhouTree>>;
let wenlingCoordinator: GraphQLClient;

const CREATE = `mutation ($input: CreateAllianceInput!) { createAlliance(input: $input) { id name level regionCode operatingStatus parent { id } } }`;
const ONE = `query ($id: ID!) { alliance(id: $id) { id name parent { id name } ancestors { id name } } }`;
const LIST = `query ($level: AllianceLevel, $parentId: ID) {
  alliances(level: $level, parentId: $parentId, first: 100) { totalCount nodes { id regionCode } }
}`;
const ROOTS = `{ allianceRoots { id name } }`;

const allianceCount = () => server.app.prisma.alliance.count();

beforeAll(async () => {
  server = await startTestServer();
  tree = await createTaizhouTree(server.admin);
  wenlingCoordinator = await coordinatorOf(server, tree.wenling.id);
});
afterAll(() => stopAll(server));

describe("the ADMIN", () => {
  test("sees the whole tree from the CITY down", async () => {
    const data = await server.admin.query(`{
      allianceRoots { name level parent { id } ancestors { id }
        children { totalCount nodes { name regionCode children { nodes { name children { nodes { name } } } } } } }
    }`);
    expect(data.allianceRoots).toEqual([
      {
        name: "台州市",
        level: "CITY",
        parent: null,
        ancestors: [],
        children: {
          totalCount: 2,
          nodes: [
            { name: "椒江区", regionCode: "331002", children: { nodes: [{ name: "海门街道", children: { nodes: [{ name: "海门村" }] } }] } },
            {
              name: "温岭市",
              regionCode: "331081",
              children: { nodes: [{ name: "太平街道", children: { nodes: [{ name: "东门村" }, { name: "西门村" }] } }] },
            },
          ],
        },
      },
    ]);
  });

  test("reads parent and ancestors, root first", async () => {
    const data = await server.admin.query(ONE, { id: tree.taipingA.id });
    expect(data.alliance.parent).toEqual({ id: tree.taiping.id, name: "太平街道" });
    expect(data.alliance.ancestors.map((a: { name: string }) => a.name)).toEqual(["台州市", "温岭市", "太平街道"]);
  });

  test("gets null for an id that names no alliance", async () => {
    const data = await server.admin.query(ONE, { id: "00000000-0000-4000-8000-000000000000" });
    expect(data.alliance).toBeNull();
  });
});

describe("a COORDINATOR", () => {
  test("gets its own node as its root", async () => {
    expect((await wenlingCoordinator.query(ROOTS)).allianceRoots).toEqual([{ id: tree.wenling.id, name: "温岭市" }]);
  });

  test("reads its subtree", async () => {
    const data = await wenlingCoordinator.query(ONE, { id: tree.taipingB.id });
    expect(data.alliance.name).toBe("西门村");
    const list = await wenlingCoordinator.query(LIST);
    expect(list.alliances.totalCount).toBe(4);
    expect(list.alliances.nodes.map((a: { regionCode: string }) => a.regionCode)).toEqual([
      "331081",
      "331081001",
      "331081001001",
      "331081001002",
    ]);
  });

  test("is FORBIDDEN a direct read of an alliance outside its subtree, parent or sibling", async () => {
    for (const outside of [tree.city, tree.jiaojiang, tree.haimen, tree.haimenA]) {
      const { error, data } = await wenlingCoordinator.expectError("FORBIDDEN", ONE, { id: outside.id });
      expect(data?.alliance ?? null).toBeNull();
      expect(error.message).not.toContain(outside.name);
    }
  });

  test("finds nothing outside its subtree in lists, whatever the filter", async () => {
    expect((await wenlingCoordinator.query(LIST, { level: "COUNTY" })).alliances.nodes).toEqual([
      { id: tree.wenling.id, regionCode: "331081" },
    ]);
    expect((await wenlingCoordinator.query(LIST, { level: "CITY" })).alliances.totalCount).toBe(0);
    expect((await wenlingCoordinator.query(LIST, { parentId: tree.jiaojiang.id })).alliances.totalCount).toBe(0);
    expect((await wenlingCoordinator.query(LIST, { parentId: tree.city.id })).alliances.nodes).toEqual([
      { id: tree.wenling.id, regionCode: "331081" },
    ]);
  });

  test("does not see its alliance's parent or ancestors above its own node", async () => {
    const own = await wenlingCoordinator.query(ONE, { id: tree.wenling.id });
    expect(own.alliance.parent).toBeNull();
    expect(own.alliance.ancestors).toEqual([]);
    const below = await wenlingCoordinator.query(ONE, { id: tree.taipingA.id });
    expect(below.alliance.parent).toEqual({ id: tree.taiping.id, name: "太平街道" });
    expect(below.alliance.ancestors.map((a: { name: string }) => a.name)).toEqual(["温岭市", "太平街道"]);
  });

  test("sees only children inside its subtree (a township coordinator under a county)", async () => {
    const taipingCoordinator = await coordinatorOf(server, tree.taiping.id);
    const data = await taipingCoordinator.query(`{ allianceRoots { name parent { id } children { totalCount nodes { name } } } }`);
    expect(data.allianceRoots).toEqual([
      { name: "太平街道", parent: null, children: { totalCount: 2, nodes: [{ name: "东门村" }, { name: "西门村" }] } },
    ]);
    await taipingCoordinator.expectError("FORBIDDEN", ONE, { id: tree.wenling.id });
  });
});

describe("a PARTNER", () => {
  let partner: GraphQLClient;

  beforeAll(async () => {
    const organization = await createOrganization(server.admin, { allianceIds: [tree.taiping.id, tree.haimenA.id] });
    partner = await partnerOf(server, organization.id);
  });

  test("sees the subtrees of its organization's alliances", async () => {
    expect((await partner.query(ROOTS)).allianceRoots.map((a: { name: string }) => a.name)).toEqual(["海门村", "太平街道"]);
    const list = await partner.query(LIST);
    expect(list.alliances.nodes.map((a: { regionCode: string }) => a.regionCode)).toEqual([
      "331002001001",
      "331081001",
      "331081001001",
      "331081001002",
    ]);
  });

  test("gets nothing above them", async () => {
    await partner.expectError("FORBIDDEN", ONE, { id: tree.wenling.id });
    await partner.expectError("FORBIDDEN", ONE, { id: tree.haimen.id });
    const village = await partner.query(ONE, { id: tree.haimenA.id });
    expect(village.alliance.parent).toBeNull();
    expect(village.alliance.ancestors).toEqual([]);
    expect((await partner.query(LIST, { level: "COUNTY" })).alliances.totalCount).toBe(0);
  });

  test("creates no alliances and changes no status", async () => {
    const before = await allianceCount();
    await partner.expectError("FORBIDDEN", CREATE, {
      input: { name: "新村", level: "VILLAGE", regionCode: "331081001099", parentId: tree.taiping.id },
    });
    await partner.expectError("FORBIDDEN", `mutation ($id: ID!) { setOperatingStatus(allianceId: $id, status: SUSPENDED) { id } }`, {
      id: tree.taipingA.id,
    });
    expect(await allianceCount()).toBe(before);
  });
});

describe("the tree rules", () => {
  const rejected: [string, () => Record<string, unknown>, string][] = [
    ["a VILLAGE directly under a COUNTY", () => ({ name: "错村", level: "VILLAGE", regionCode: "331081001003", parentId: tree.wenling.id }), "parentId"],
    ["a TOWNSHIP directly under the CITY", () => ({ name: "错镇", level: "TOWNSHIP", regionCode: "331000001", parentId: tree.city.id }), "parentId"],
    ["a COUNTY without a parent", () => ({ name: "无主县", level: "COUNTY", regionCode: "331099" }), "parentId"],
    ["a CITY with a parent", () => ({ name: "子市", level: "CITY", regionCode: "330100", parentId: tree.city.id }), "parentId"],
    ["a TOWNSHIP with a 12-digit code", () => ({ name: "长码镇", level: "TOWNSHIP", regionCode: "331081002001", parentId: tree.wenling.id }), "regionCode"],
    ["a VILLAGE with a 9-digit code", () => ({ name: "短码村", level: "VILLAGE", regionCode: "331081001", parentId: tree.taiping.id }), "regionCode"],
    ["a code of 5 digits", () => ({ name: "五位", level: "COUNTY", regionCode: "33108", parentId: tree.city.id }), "regionCode"],
    ["a code with letters", () => ({ name: "字母", level: "COUNTY", regionCode: "33108A", parentId: tree.city.id }), "regionCode"],
    ["a TOWNSHIP not under its county's code", () => ({ name: "越界镇", level: "TOWNSHIP", regionCode: "331002009", parentId: tree.wenling.id }), "regionCode"],
    ["a VILLAGE not under its township's code", () => ({ name: "越界村", level: "VILLAGE", regionCode: "331081002001", parentId: tree.taiping.id }), "regionCode"],
    ["a COUNTY in another city", () => ({ name: "外市县", level: "COUNTY", regionCode: "330102", parentId: tree.city.id }), "regionCode"],
    ["a COUNTY with the city's own code", () => ({ name: "同码县", level: "COUNTY", regionCode: "331000", parentId: tree.city.id }), "regionCode"],
    ["an empty name", () => ({ name: "", level: "COUNTY", regionCode: "331098", parentId: tree.city.id }), "name"],
    ["a parent id that is no id", () => ({ name: "坏父", level: "COUNTY", regionCode: "331097", parentId: "not-an-id" }), "parentId"],
  ];

  test.each(rejected)("reject %s with BAD_USER_INPUT naming the field, writing nothing", async (_case, input, field) => {
    const before = await allianceCount();
    const { error } = await server.admin.expectError("BAD_USER_INPUT", CREATE, { input: input() });
    expect(error.extensions?.field).toBe(field);
    expect(error.message).toContain(field);
    expect(await allianceCount()).toBe(before);
  });

  test("a duplicate region code is a CONFLICT and writes nothing", async () => {
    const before = await allianceCount();
    const { error } = await server.admin.expectError("CONFLICT", CREATE, {
      input: { name: "又一个东门村", level: "VILLAGE", regionCode: "331081001001", parentId: tree.taiping.id },
    });
    expect(error.message).toContain("331081001001");
    expect(await allianceCount()).toBe(before);
  });

  test("a well-formed node is created one level below its parent, STANDARD by default", async () => {
    const data = await server.admin.query(CREATE, {
      input: { name: "新河镇", level: "TOWNSHIP", regionCode: "331081002", parentId: tree.wenling.id },
    });
    expect(data.createAlliance).toMatchObject({ level: "TOWNSHIP", regionCode: "331081002", operatingStatus: "STANDARD", parent: { id: tree.wenling.id } });
    const read = await server.admin.query(ONE, { id: data.createAlliance.id });
    expect(read.alliance.ancestors.map((a: { name: string }) => a.name)).toEqual(["台州市", "温岭市"]);
  });
});

describe("a COORDINATOR creating alliances", () => {
  test("may add nodes below its own alliance", async () => {
    const township = await createAlliance(wenlingCoordinator, { name: "箬横镇", level: "TOWNSHIP", regionCode: "331081003", parentId: tree.wenling.id });
    const village = await createAlliance(wenlingCoordinator, { name: "箬横村", level: "VILLAGE", regionCode: "331081003001", parentId: township.id });
    expect(village.level).toBe("VILLAGE");
    const list = await wenlingCoordinator.query(LIST, { parentId: township.id });
    expect(list.alliances.nodes).toEqual([{ id: village.id, regionCode: "331081003001" }]);
  });

  test("is FORBIDDEN elsewhere: a sibling county's subtree, the city, a new CITY; nothing is written", async () => {
    const before = await allianceCount();
    await wenlingCoordinator.expectError("FORBIDDEN", CREATE, {
      input: { name: "别处镇", level: "TOWNSHIP", regionCode: "331002005", parentId: tree.jiaojiang.id },
    });
    await wenlingCoordinator.expectError("FORBIDDEN", CREATE, {
      input: { name: "新县", level: "COUNTY", regionCode: "331083", parentId: tree.city.id },
    });
    await wenlingCoordinator.expectError("FORBIDDEN", CREATE, { input: { name: "新市", level: "CITY", regionCode: "330100" } });
    expect(await allianceCount()).toBe(before);
  });

  test("sets the operating status inside its subtree, not outside", async () => {
    const SET = `mutation ($id: ID!, $status: OperatingStatus!) { setOperatingStatus(allianceId: $id, status: $status) { id operatingStatus } }`;
    const data = await wenlingCoordinator.query(SET, { id: tree.taipingB.id, status: "NEEDS_IMPROVEMENT" });
    expect(data.setOperatingStatus).toEqual({ id: tree.taipingB.id, operatingStatus: "NEEDS_IMPROVEMENT" });
    await wenlingCoordinator.expectError("FORBIDDEN", SET, { id: tree.haimenA.id, status: "SUSPENDED" });
    const haimenA = await server.app.prisma.alliance.findUniqueOrThrow({ where: { id: tree.haimenA.id } });
    expect(haimenA.operatingStatus).toBe("STANDARD");
    await server.admin.expectError("NOT_FOUND", SET, { id: "00000000-0000-4000-8000-000000000000", status: "SUSPENDED" });
  });

  test("a coordinator cannot set the status of its own alliance, only of those below it; ADMIN can set any", async () => {
    const SET = `mutation ($id: ID!, $status: OperatingStatus!) { setOperatingStatus(allianceId: $id, status: $status) { id operatingStatus } }`;
    const taipingCoordinator = await coordinatorOf(server, tree.taiping.id);
    const audits = () => server.app.prisma.auditLog.count({ where: { operation: "setOperatingStatus" } });
    const before = await audits();
    const { error } = await wenlingCoordinator.expectError("FORBIDDEN", SET, { id: tree.wenling.id, status: "SUSPENDED" });
    expect(error.message).toMatch(/own alliance/);
    await taipingCoordinator.expectError("FORBIDDEN", SET, { id: tree.taiping.id, status: "NEEDS_IMPROVEMENT" });
    for (const id of [tree.wenling.id, tree.taiping.id]) {
      expect((await server.app.prisma.alliance.findUniqueOrThrow({ where: { id } })).operatingStatus).toBe("STANDARD");
    }
    expect(await audits()).toBe(before);
    const below = await wenlingCoordinator.query(SET, { id: tree.taiping.id, status: "NEEDS_IMPROVEMENT" });
    expect(below.setOperatingStatus).toEqual({ id: tree.taiping.id, operatingStatus: "NEEDS_IMPROVEMENT" });
    const byAdmin = await server.admin.query(SET, { id: tree.taiping.id, status: "STANDARD" });
    expect(byAdmin.setOperatingStatus.operatingStatus).toBe("STANDARD");
    expect((await server.admin.query(SET, { id: tree.city.id, status: "STANDARD" })).setOperatingStatus.operatingStatus).toBe("STANDARD");
  });
});

describe("idempotent creation", () => {
  test("a retry with the same key returns the first alliance and writes one row", async () => {
    const input = { name: "石塘镇", level: "TOWNSHIP", regionCode: "331081004", parentId: tree.wenling.id, idempotencyKey: "create-shitang-1" };
    const before = await allianceCount();
    const first = await server.admin.query(CREATE, { input });
    const retry = await server.admin.query(CREATE, { input });
    expect(retry.createAlliance).toEqual(first.createAlliance);
    expect(await allianceCount()).toBe(before + 1);
    // The key is bound to its input: the same key with another input is refused, writing nothing.
    const { error } = await server.admin.expectError("CONFLICT", CREATE, { input: { ...input, name: "石塘镇（改）", regionCode: "331081005" } });
    expect(error.extensions?.field).toBe("idempotencyKey");
    expect(await allianceCount()).toBe(before + 1);
    // Key order and the key itself do not change what the input is.
    const reordered = await server.admin.query(CREATE, { input: { idempotencyKey: input.idempotencyKey, parentId: input.parentId, regionCode: input.regionCode, level: input.level, name: input.name } });
    expect(reordered.createAlliance.id).toBe(first.createAlliance.id);
  });

  test("a key expires after IDEMPOTENCY_KEY_TTL: it then names a new record", async () => {
    const key = "create-expiring-key";
    const first = await server.admin.query(CREATE, {
      input: { name: "新河镇", level: "TOWNSHIP", regionCode: "331081011", parentId: tree.wenling.id, idempotencyKey: key },
    });
    await server.app.prisma.$executeRaw`UPDATE idempotency_key SET created_at = now() - interval '8 days' WHERE key = ${key}`;
    const later = await server.admin.query(CREATE, {
      input: { name: "箬横镇", level: "TOWNSHIP", regionCode: "331081012", parentId: tree.wenling.id, idempotencyKey: key },
    });
    expect(later.createAlliance.id).not.toBe(first.createAlliance.id);
    expect(later.createAlliance.name).toBe("箬横镇");
  });

  test("the hourly housekeeping deletes expired keys and keeps live ones; a deleted key names a new record", async () => {
    const [expired, live] = ["create-pruned-key", "create-kept-key"];
    const first = await server.admin.query(CREATE, {
      input: { name: "大溪镇", level: "TOWNSHIP", regionCode: "331081013", parentId: tree.wenling.id, idempotencyKey: expired },
    });
    await server.admin.query(CREATE, {
      input: { name: "坞根镇", level: "TOWNSHIP", regionCode: "331081014", parentId: tree.wenling.id, idempotencyKey: live },
    });
    await server.app.prisma.$executeRaw`UPDATE idempotency_key SET created_at = now() - interval '8 days' WHERE key = ${expired}`;
    await housekeepingOf(server.app)!.run();
    const keys = await server.app.prisma.idempotencyKey.findMany({ where: { key: { in: [expired, live] } } });
    expect(keys.map((row) => row.key)).toEqual([live]);
    // The live key still answers its first record; the deleted one is a new key.
    const retried = await server.admin.query(CREATE, {
      input: { name: "坞根镇", level: "TOWNSHIP", regionCode: "331081014", parentId: tree.wenling.id, idempotencyKey: live },
    });
    expect(retried.createAlliance.name).toBe("坞根镇");
    const again = await server.admin.query(CREATE, {
      input: { name: "城南镇", level: "TOWNSHIP", regionCode: "331081015", parentId: tree.wenling.id, idempotencyKey: expired },
    });
    expect(again.createAlliance.id).not.toBe(first.createAlliance.id);
    expect(again.createAlliance.name).toBe("城南镇");
  });

  test("the same key from another account creates that account's own record", async () => {
    const key = "create-shared-key";
    const before = await allianceCount();
    const byAdmin = await server.admin.query(CREATE, {
      input: { name: "松门镇", level: "TOWNSHIP", regionCode: "331081006", parentId: tree.wenling.id, idempotencyKey: key },
    });
    const byCoordinator = await wenlingCoordinator.query(CREATE, {
      input: { name: "温峤镇", level: "TOWNSHIP", regionCode: "331081007", parentId: tree.wenling.id, idempotencyKey: key },
    });
    expect(byCoordinator.createAlliance.id).not.toBe(byAdmin.createAlliance.id);
    expect(byCoordinator.createAlliance.name).toBe("温峤镇");
    expect(await allianceCount()).toBe(before + 2);
  });

  test("a key used by a failed attempt stays free for the corrected retry", async () => {
    const key = "create-after-failure";
    const before = await allianceCount();
    await server.admin.expectError("CONFLICT", CREATE, {
      input: { name: "重码镇", level: "TOWNSHIP", regionCode: "331081001", parentId: tree.wenling.id, idempotencyKey: key },
    });
    const data = await server.admin.query(CREATE, {
      input: { name: "泽国镇", level: "TOWNSHIP", regionCode: "331081008", parentId: tree.wenling.id, idempotencyKey: key },
    });
    expect(data.createAlliance.name).toBe("泽国镇");
    expect(await allianceCount()).toBe(before + 1);
  });

  test("an over-long key is BAD_USER_INPUT", async () => {
    const { error } = await server.admin.expectError("BAD_USER_INPUT", CREATE, {
      input: { name: "长键镇", level: "TOWNSHIP", regionCode: "331081009", parentId: tree.wenling.id, idempotencyKey: "k".repeat(129) },
    });
    expect(error.extensions?.field).toBe("idempotencyKey");
  });
});

describe("a nested tree query", () => {
  const NESTED = `{
    allianceRoots { id name members(first: 5) { totalCount nodes { name } }
      children(first: 10) { totalCount nodes { id name members(first: 5) { nodes { name kind } }
        children(first: 10) { totalCount nodes { id name members(first: 5) { nodes { name } }
          children(first: 10) { totalCount nodes { id name regionCode members(first: 5) { totalCount nodes { id name } } } } } } } } }
  }`;

  /** The SQL statements one request costs on the server. */
  async function statementsFor(client: GraphQLClient, query: string) {
    // The token's account check is cached for TOKEN_CHECK_SECONDS: refresh it outside the count.
    await client.query(`{ me { id } }`);
    const before = server.statements();
    const data = await client.query(query);
    return { statements: server.statements() - before, data };
  }

  /** Adds counties × townships × villages under the city, each node with a member organization. */
  async function grow(counties: string[], townshipsPerCounty: number, villagesPerTownship: number) {
    for (const county of counties) {
      const c = await createAlliance(server.admin, { name: `县${county}`, level: "COUNTY", regionCode: county, parentId: tree.city.id });
      await createOrganization(server.admin, { allianceIds: [c.id] });
      for (let t = 1; t <= townshipsPerCounty; t += 1) {
        const township = await createAlliance(server.admin, { name: `镇${county}${t}`, level: "TOWNSHIP", regionCode: `${county}10${t}`, parentId: c.id });
        const villages = [];
        for (let v = 1; v <= villagesPerTownship; v += 1) {
          villages.push(
            await createAlliance(server.admin, { name: `村${county}${t}${v}`, level: "VILLAGE", regionCode: `${county}10${t}00${v}`, parentId: township.id }),
          );
        }
        await createOrganization(server.admin, { allianceIds: [township.id, ...villages.map((v) => v.id)] });
      }
    }
  }

  // One organization of its own at each level, so that every level loads members (a member
  // already loaded at the level above comes from the request's DataLoader cache, costing nothing).
  beforeAll(async () => {
    for (const alliance of [tree.city, tree.wenling, tree.taiping, tree.taipingA]) {
      await createOrganization(server.admin, { allianceIds: [alliance.id] });
    }
  });

  test("costs the same number of SQL statements however big the tree", async () => {
    const small = await statementsFor(server.admin, NESTED);
    const smallVillages = small.data.allianceRoots[0].children.nodes.flatMap((c: any) => c.children.nodes.flatMap((t: any) => t.children.nodes));

    await grow(["331021", "331022", "331023"], 3, 4);
    const big = await statementsFor(server.admin, NESTED);
    const bigVillages = big.data.allianceRoots[0].children.nodes.flatMap((c: any) => c.children.nodes.flatMap((t: any) => t.children.nodes));

    expect(bigVillages.length).toBeGreaterThanOrEqual(smallVillages.length + 36);
    expect(big.data.allianceRoots[0].children.totalCount).toBe(small.data.allianceRoots[0].children.totalCount + 3);
    expect(big.statements).toBe(small.statements);
    // The roots; each of the 3 `children` levels is one statement whose page carries the nodes;
    // each of the 4 `members` levels is a page statement and one node load.
    expect(small.statements).toBe(12);
  });

  test("costs a coordinator a fixed number too (its scope included) as its subtree grows", async () => {
    const QUERY = `{ allianceRoots { name members(first: 5) { nodes { name } }
      children(first: 20) { totalCount nodes { name members(first: 5) { nodes { name } }
        children(first: 10) { totalCount nodes { name members { totalCount } } } } } } }`;
    const villagesOf = (data: any) => data.allianceRoots[0].children.nodes.flatMap((t: any) => t.children.nodes);
    const before = await statementsFor(wenlingCoordinator, QUERY);
    for (const code of ["331081021", "331081022"]) {
      const township = await createAlliance(wenlingCoordinator, { name: `镇${code}`, level: "TOWNSHIP", regionCode: code, parentId: tree.wenling.id });
      for (const v of ["001", "002", "003"]) {
        const village = await createAlliance(wenlingCoordinator, { name: `村${code}${v}`, level: "VILLAGE", regionCode: `${code}${v}`, parentId: township.id });
        await createOrganization(server.admin, { allianceIds: [village.id] });
      }
    }
    const after = await statementsFor(wenlingCoordinator, QUERY);
    expect(villagesOf(after.data).length).toBe(villagesOf(before.data).length + 6);
    expect(after.statements).toBe(before.statements);
  });
});
