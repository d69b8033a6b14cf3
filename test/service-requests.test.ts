import { coordinatorOf, createOrganization, createTaizhouTree, partnerOf, type OrganizationNode } from "./helpers/factories";
import type { GraphQLClient } from "./helpers/graphql";
import { startTestServer, stopAll } from "./helpers/server";
import {
  auditRows,
  CANCEL,
  CLAIM,
  createServiceRequest,
  insertHousehold,
  RELEASE,
  REQUEST_FIELDS,
  requestRows,
} from "./helpers/service-requests";

let server: Awaited<ReturnType<typeof startTestServer>>;
let tree: Awaited<ReturnType<typeof createTaizhouTree>>;
let wenlingCoordinator: GraphQLClient;
let jiaojiangCoordinator: GraphQLClient;
/** Member of 太平街道 (the township), offers ELDERLY_CARE and PRECISION_ASSISTANCE. */
let taipingOrg: OrganizationNode;
let taipingPartner: GraphQLClient;
/** Member of 东门村 (a village under 太平街道), offers ELDERLY_CARE. */
let villageOrg: OrganizationNode;
let villagePartner: GraphQLClient;
/** Member of 太平街道, offers EMPLOYMENT only. */
let employmentPartner: GraphQLClient;
/** Member of 海门街道 in the other county, offers ELDERLY_CARE. */
let haimenPartner: GraphQLClient;

beforeAll(async () => {
  server = await startTestServer();
  tree = await createTaizhouTree(server.admin);
  wenlingCoordinator = await coordinatorOf(server, tree.wenling.id);
  jiaojiangCoordinator = await coordinatorOf(server, tree.jiaojiang.id);
  taipingOrg = await createOrganization(server.admin, {
    name: "太平社工站",
    allianceIds: [tree.taiping.id],
    serviceCategories: ["ELDERLY_CARE", "PRECISION_ASSISTANCE"],
  });
  villageOrg = await createOrganization(server.admin, { name: "东门志愿队", kind: "VOLUNTEER_TEAM", allianceIds: [tree.taipingA.id], serviceCategories: ["ELDERLY_CARE"] });
  const employmentOrg = await createOrganization(server.admin, { allianceIds: [tree.taiping.id], serviceCategories: ["EMPLOYMENT"] });
  const haimenOrg = await createOrganization(server.admin, { allianceIds: [tree.haimen.id], serviceCategories: ["ELDERLY_CARE"] });
  taipingPartner = await partnerOf(server, taipingOrg.id);
  villagePartner = await partnerOf(server, villageOrg.id);
  employmentPartner = await partnerOf(server, employmentOrg.id);
  haimenPartner = await partnerOf(server, haimenOrg.id);
}, 120_000);
afterAll(() => stopAll(server));

const GET = `query ($id: ID!) { serviceRequest(id: $id) { ${REQUEST_FIELDS} } }`;
const CREATE = `mutation ($input: CreateServiceRequestInput!) { createServiceRequest(input: $input) { id status } }`;

describe("createServiceRequest", () => {
  test("a coordinator raises an OPEN need for a household of its subtree; the audit log records it", async () => {
    const household = await insertHousehold(server, { allianceId: tree.taipingA.id });
    const audited = await auditRows(server, "createServiceRequest");
    const request = await createServiceRequest(wenlingCoordinator, {
      allianceId: tree.taipingA.id,
      householdId: household.id,
      title: "  独居老人助餐  ",
      description: "每周三次送餐",
    });
    expect(request).toMatchObject({
      title: "独居老人助餐",
      category: "ELDERLY_CARE",
      urgency: "NORMAL",
      status: "OPEN",
      claimedBy: null,
      claimedAt: null,
      alliance: { id: tree.taipingA.id },
      household: { id: household.id, headName: "张小明" },
    });
    expect(await auditRows(server, "createServiceRequest")).toBe(audited + 1);
    const read = await wenlingCoordinator.query(GET, { id: request.id });
    expect(read.serviceRequest.id).toBe(request.id);
  });

  test("partners, coordinators outside the alliance and bad input are refused, writing nothing", async () => {
    const household = await insertHousehold(server, { allianceId: tree.haimenA.id });
    const before = await requestRows(server);
    const input = { allianceId: tree.taipingA.id, category: "ELDERLY_CARE", title: "助餐" };
    await taipingPartner.expectError("FORBIDDEN", CREATE, { input });
    await jiaojiangCoordinator.expectError("FORBIDDEN", CREATE, { input });
    const blank = await wenlingCoordinator.expectError("BAD_USER_INPUT", CREATE, { input: { ...input, title: "   " } });
    expect(blank.error.message).toMatch(/title/);
    const tooLong = await wenlingCoordinator.expectError("BAD_USER_INPUT", CREATE, { input: { ...input, title: "长".repeat(201) } });
    expect(tooLong.error.message).toMatch(/title/);
    const elsewhere = await wenlingCoordinator.expectError("BAD_USER_INPUT", CREATE, { input: { ...input, householdId: household.id } });
    expect(elsewhere.error.message).toMatch(/householdId/);
    expect(elsewhere.error.message).not.toContain("张小明");
    await wenlingCoordinator.expectError("BAD_USER_INPUT", CREATE, { input: { ...input, allianceId: "not-an-id" } });
    await wenlingCoordinator.expectError("NOT_FOUND", CREATE, { input: { ...input, allianceId: "00000000-0000-4000-8000-000000000000" } });
    expect(await requestRows(server)).toBe(before);
  });

  test("a retry with the same idempotency key returns the first request and writes nothing more", async () => {
    const input = { allianceId: tree.taipingB.id, title: "心理疏导", category: "PSYCHOLOGICAL_SUPPORT", idempotencyKey: "retry-1" };
    const first = await createServiceRequest(wenlingCoordinator, input);
    const before = await requestRows(server);
    const second = await createServiceRequest(wenlingCoordinator, input);
    expect(second.id).toBe(first.id);
    expect(await requestRows(server)).toBe(before);
  });
});

describe("claim, release and cancel", () => {
  test("an eligible partner claims an OPEN request; a second claim gets CONFLICT and changes nothing", async () => {
    const request = await createServiceRequest(wenlingCoordinator, { allianceId: tree.taipingA.id });
    const claimed = (await villagePartner.query(CLAIM, { id: request.id })).claimServiceRequest;
    expect(claimed).toMatchObject({ status: "CLAIMED", claimedBy: { id: villageOrg.id } });
    expect(claimed.claimedAt).not.toBeNull();

    const audited = await auditRows(server, "claimServiceRequest");
    const late = await taipingPartner.expectError("CONFLICT", CLAIM, { id: request.id });
    expect(late.error.message).toMatch(/claimed or closed already/);
    expect(await auditRows(server, "claimServiceRequest")).toBe(audited);
    const read = await wenlingCoordinator.query(GET, { id: request.id });
    expect(read.serviceRequest.claimedBy.id).toBe(villageOrg.id);
  });

  test("claims are FORBIDDEN to organizations that are not members above the request, lack the category, or are not partners", async () => {
    const request = await createServiceRequest(wenlingCoordinator, { allianceId: tree.taipingA.id });
    const inB = await createServiceRequest(wenlingCoordinator, { allianceId: tree.taipingB.id });
    await employmentPartner.expectError("FORBIDDEN", CLAIM, { id: request.id });
    await haimenPartner.expectError("FORBIDDEN", CLAIM, { id: request.id });
    await villagePartner.expectError("FORBIDDEN", CLAIM, { id: inB.id });
    await wenlingCoordinator.expectError("FORBIDDEN", CLAIM, { id: request.id });
    await server.admin.expectError("FORBIDDEN", CLAIM, { id: request.id });
    await taipingPartner.expectError("NOT_FOUND", CLAIM, { id: "00000000-0000-4000-8000-000000000000" });
    const read = await wenlingCoordinator.query(GET, { id: request.id });
    expect(read.serviceRequest.status).toBe("OPEN");
  });

  test("the claimer or a coordinator releases a claim back to OPEN; others cannot", async () => {
    const request = await createServiceRequest(wenlingCoordinator, { allianceId: tree.taipingA.id });
    await taipingPartner.query(CLAIM, { id: request.id });
    await villagePartner.expectError("FORBIDDEN", RELEASE, { id: request.id });
    await jiaojiangCoordinator.expectError("FORBIDDEN", RELEASE, { id: request.id });

    const released = (await taipingPartner.query(RELEASE, { id: request.id })).releaseServiceRequest;
    expect(released).toMatchObject({ status: "OPEN", claimedBy: null, claimedAt: null });
    await taipingPartner.expectError("CONFLICT", RELEASE, { id: request.id });

    await villagePartner.query(CLAIM, { id: request.id });
    const byCoordinator = (await wenlingCoordinator.query(RELEASE, { id: request.id })).releaseServiceRequest;
    expect(byCoordinator.status).toBe("OPEN");
  });

  test("a coordinator cancels with a reason; a blank reason, a partner or a closed request are refused", async () => {
    const request = await createServiceRequest(wenlingCoordinator, { allianceId: tree.taipingA.id });
    await wenlingCoordinator.expectError("BAD_USER_INPUT", CANCEL, { id: request.id, reason: "  " });
    await wenlingCoordinator.expectError("BAD_USER_INPUT", CANCEL, { id: request.id, reason: "因".repeat(501) });
    await taipingPartner.expectError("FORBIDDEN", CANCEL, { id: request.id, reason: "不需要了" });
    await jiaojiangCoordinator.expectError("FORBIDDEN", CANCEL, { id: request.id, reason: "不需要了" });
    expect((await wenlingCoordinator.query(GET, { id: request.id })).serviceRequest.status).toBe("OPEN");

    await taipingPartner.query(CLAIM, { id: request.id });
    const cancelled = (await wenlingCoordinator.query(CANCEL, { id: request.id, reason: "家属已安排" })).cancelServiceRequest;
    expect(cancelled).toMatchObject({ status: "CANCELLED", cancelReason: "家属已安排" });
    await wenlingCoordinator.expectError("CONFLICT", CANCEL, { id: request.id, reason: "again" });
    await villagePartner.expectError("CONFLICT", CLAIM, { id: request.id });
    await taipingPartner.expectError("CONFLICT", RELEASE, { id: request.id });
  });
});

describe("reading requests", () => {
  const LIST = `query ($filter: ServiceRequestFilter, $first: Int, $after: String) {
    serviceRequests(filter: $filter, first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } nodes { id title createdAt status category urgency alliance { id } }
    }
  }`;
  let listTree: Awaited<ReturnType<typeof createTaizhouTreeCopy>>;
  let coordinator: GraphQLClient;
  let otherCoordinator: GraphQLClient;
  let partner: GraphQLClient;
  let partnerOrgId: string;
  const titles: string[] = [];

  beforeAll(async () => {
    // A tree of its own so that the other tests' requests do not change these counts.
    listTree = await createTaizhouTreeCopy();
    coordinator = await coordinatorOf(server, listTree.wenling.id);
    otherCoordinator = await coordinatorOf(server, listTree.jiaojiang.id);
    const org = await createOrganization(server.admin, { allianceIds: [listTree.taipingA.id], serviceCategories: ["ELDERLY_CARE", "EMPLOYMENT"] });
    partnerOrgId = org.id;
    partner = await partnerOf(server, org.id);
    const plan: [string, string, string][] = [
      [listTree.taipingA.id, "ELDERLY_CARE", "LOW"],
      [listTree.taipingA.id, "EMPLOYMENT", "URGENT"],
      [listTree.taipingB.id, "ELDERLY_CARE", "HIGH"],
      [listTree.taipingB.id, "MEDICAL_SUPPORT", "NORMAL"],
      [listTree.taiping.id, "ELDERLY_CARE", "NORMAL"],
      [listTree.taipingA.id, "ELDERLY_CARE", "URGENT"],
      [listTree.taipingA.id, "MINOR_CARE", "HIGH"],
    ];
    for (const [i, [allianceId, category, urgency]] of plan.entries()) {
      const title = `list-${i}`;
      titles.push(title);
      await createServiceRequest(coordinator, { allianceId, category, urgency, title });
    }
    await otherCoordinator.query(CREATE, { input: { allianceId: listTree.haimenA.id, category: "ELDERLY_CARE", title: "list-haimen" } });
  });

  async function createTaizhouTreeCopy() {
    const make = (name: string, level: string, regionCode: string, parentId?: string) =>
      server.admin
        .query(`mutation ($input: CreateAllianceInput!) { createAlliance(input: $input) { id } }`, { input: { name, level, regionCode, parentId } })
        .then((d) => d.createAlliance as { id: string });
    const city = await make("宁波市", "CITY", "330200");
    const wenling = await make("慈溪市", "COUNTY", "330282", city.id);
    const taiping = await make("浒山街道", "TOWNSHIP", "330282001", wenling.id);
    const taipingA = await make("北门村", "VILLAGE", "330282001001", taiping.id);
    const taipingB = await make("南门村", "VILLAGE", "330282001002", taiping.id);
    const jiaojiang = await make("海曙区", "COUNTY", "330203", city.id);
    const haimen = await make("月湖街道", "TOWNSHIP", "330203001", jiaojiang.id);
    const haimenA = await make("月湖村", "VILLAGE", "330203001001", haimen.id);
    return { city, wenling, taiping, taipingA, taipingB, jiaojiang, haimen, haimenA };
  }

  test("newest first, and paging through with cursors visits every request once", async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const data: any = await coordinator.query(LIST, { first: 3, after });
      const page = data.serviceRequests;
      expect(page.totalCount).toBe(7);
      seen.push(...page.nodes.map((n: { title: string }) => n.title));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
      pages += 1;
    } while (after);
    expect(pages).toBe(3);
    expect(seen).toEqual([...titles].reverse());
  });

  test("filters by status, category, urgency, subtree and creation time, combined", async () => {
    const titlesOf = async (filter: Record<string, unknown>) =>
      (await coordinator.query(LIST, { filter })).serviceRequests.nodes.map((n: { title: string }) => n.title);
    expect(await titlesOf({ category: ["ELDERLY_CARE"] })).toEqual(["list-5", "list-4", "list-2", "list-0"]);
    expect(await titlesOf({ urgency: ["URGENT", "HIGH"] })).toEqual(["list-6", "list-5", "list-2", "list-1"]);
    expect(await titlesOf({ allianceId: listTree.taipingB.id })).toEqual(["list-3", "list-2"]);
    expect(await titlesOf({ allianceId: listTree.taipingA.id, category: ["ELDERLY_CARE"], urgency: ["URGENT"] })).toEqual(["list-5"]);
    expect(await titlesOf({ status: ["CLAIMED"] })).toEqual([]);

    const all = (await coordinator.query(LIST, {})).serviceRequests.nodes;
    const third = all.find((n: { title: string }) => n.title === "list-2");
    const fifth = all.find((n: { title: string }) => n.title === "list-4");
    expect(await titlesOf({ createdFrom: third.createdAt, createdTo: fifth.createdAt })).toEqual(["list-4", "list-3", "list-2"]);
    await coordinator.expectError("BAD_USER_INPUT", LIST, { filter: { createdFrom: fifth.createdAt, createdTo: third.createdAt } });
  });

  test("status filter follows claims", async () => {
    const target = (await coordinator.query(LIST, { filter: { category: ["EMPLOYMENT"] } })).serviceRequests.nodes[0];
    await partner.query(CLAIM, { id: target.id });
    const claimed = (await coordinator.query(LIST, { filter: { status: ["CLAIMED"] } })).serviceRequests;
    expect(claimed.nodes.map((n: { id: string }) => n.id)).toEqual([target.id]);
    const open = (await coordinator.query(LIST, { filter: { status: ["OPEN"] } })).serviceRequests;
    expect(open.totalCount).toBe(6);
    const mine = (await partner.query(LIST, { filter: { status: ["CLAIMED"], claimedByOrganizationId: partnerOrgId } })).serviceRequests;
    expect(mine.nodes.map((n: { id: string }) => n.id)).toEqual([target.id]);
    expect(mine.totalCount).toBe(1);
    await partner.expectError("BAD_USER_INPUT", LIST, { filter: { claimedByOrganizationId: "not-an-id" } });
    await partner.query(RELEASE, { id: target.id });
    const released = await partner.query(LIST, { filter: { claimedByOrganizationId: partnerOrgId } });
    expect(released.serviceRequests.totalCount).toBe(0);
  });

  test("scope: a partner sees its alliances' subtrees only; a coordinator its own; outside filters are FORBIDDEN", async () => {
    const partnerTitles = (await partner.query(LIST, {})).serviceRequests.nodes.map((n: { title: string }) => n.title);
    expect(partnerTitles).toEqual(["list-6", "list-5", "list-1", "list-0"]);
    await partner.expectError("FORBIDDEN", LIST, { filter: { allianceId: listTree.taipingB.id } });
    const other = (await otherCoordinator.query(LIST, {})).serviceRequests;
    expect(other.nodes.map((n: { title: string }) => n.title)).toEqual(["list-haimen"]);
    await otherCoordinator.expectError("FORBIDDEN", LIST, { filter: { allianceId: listTree.taipingA.id } });
    const id = (await coordinator.query(LIST, { filter: { allianceId: listTree.taipingB.id } })).serviceRequests.nodes[0].id;
    await partner.expectError("FORBIDDEN", GET, { id });
    await otherCoordinator.expectError("FORBIDDEN", GET, { id });
  });

  test("a partner keeps seeing a request its organization claimed, even outside its alliances", async () => {
    const outside = (await coordinator.query(LIST, { filter: { allianceId: listTree.taipingB.id, category: ["ELDERLY_CARE"] } }))
      .serviceRequests.nodes[0];
    await server.app.prisma.serviceRequest.update({
      where: { id: outside.id },
      data: { status: "CLAIMED", claimedById: partnerOrgId, claimedAt: new Date() },
    });
    const read = await partner.query(GET, { id: outside.id });
    expect(read.serviceRequest.status).toBe("CLAIMED");
    const list = (await partner.query(LIST, {})).serviceRequests.nodes.map((n: { title: string }) => n.title);
    expect(list).toEqual(["list-6", "list-5", "list-2", "list-1", "list-0"]);
    await server.app.prisma.serviceRequest.update({ where: { id: outside.id }, data: { status: "OPEN", claimedById: null, claimedAt: null } });
  });

  test("page sizes outside 1..100 and foreign cursors are BAD_USER_INPUT", async () => {
    await coordinator.expectError("BAD_USER_INPUT", LIST, { first: 0 });
    await coordinator.expectError("BAD_USER_INPUT", LIST, { first: 101 });
    await coordinator.expectError("BAD_USER_INPUT", LIST, { after: "bm90LWEtY3Vyc29y" });
  });

  test("Alliance.serviceRequests covers each alliance's subtree, for one alliance and for many in one query", async () => {
    const one = await coordinator.query(
      `query ($id: ID!) { alliance(id: $id) { serviceRequests(first: 2) { totalCount nodes { title } } } }`,
      { id: listTree.taiping.id },
    );
    expect(one.alliance.serviceRequests).toEqual({ totalCount: 7, nodes: [{ title: "list-6" }, { title: "list-5" }] });

    const many = await server.admin.query(
      `query ($id: ID!) { alliance(id: $id) { children { nodes { id serviceRequests(first: 2, filter: { category: [ELDERLY_CARE] }) {
          totalCount pageInfo { hasNextPage } nodes { title } } } } } }`,
      { id: listTree.taiping.id },
    );
    const byId = Object.fromEntries(many.alliance.children.nodes.map((n: any) => [n.id, n.serviceRequests]));
    expect(byId[listTree.taipingA.id]).toEqual({ totalCount: 2, pageInfo: { hasNextPage: false }, nodes: [{ title: "list-5" }, { title: "list-0" }] });
    expect(byId[listTree.taipingB.id]).toEqual({ totalCount: 1, pageInfo: { hasNextPage: false }, nodes: [{ title: "list-2" }] });

    const counties = await server.admin.query(
      `query ($id: ID!) { alliance(id: $id) { children { nodes { name serviceRequests(first: 1) { totalCount nodes { title } } } } } }`,
      { id: listTree.city.id },
    );
    expect(counties.alliance.children.nodes).toEqual(
      expect.arrayContaining([
        { name: "慈溪市", serviceRequests: { totalCount: 7, nodes: [{ title: "list-6" }] } },
        { name: "海曙区", serviceRequests: { totalCount: 1, nodes: [{ title: "list-haimen" }] } },
      ]),
    );
  });
});

describe("suggestedOrganizations", () => {
  test("members of the alliance or its ancestors offering the category: nearest first, then the least busy", async () => {
    const county = await createOrganization(server.admin, { name: "温岭慈善总会", kind: "CHARITY", allianceIds: [tree.wenling.id], serviceCategories: ["MEDICAL_SUPPORT"] });
    const busy = await createOrganization(server.admin, { name: "A 忙碌社工", allianceIds: [tree.taipingB.id], serviceCategories: ["MEDICAL_SUPPORT"] });
    const idle = await createOrganization(server.admin, { name: "Z 空闲社工", allianceIds: [tree.taipingB.id], serviceCategories: ["MEDICAL_SUPPORT"] });
    await createOrganization(server.admin, { name: "卫健局", kind: "GOVERNMENT_DEPARTMENT", allianceIds: [tree.taipingB.id], serviceCategories: ["MEDICAL_SUPPORT"] });
    await createOrganization(server.admin, { name: "别的类别", allianceIds: [tree.taipingB.id], serviceCategories: ["EMPLOYMENT"] });
    await createOrganization(server.admin, { name: "隔壁村", allianceIds: [tree.taipingA.id], serviceCategories: ["MEDICAL_SUPPORT"] });
    await createOrganization(server.admin, { name: "椒江医护", allianceIds: [tree.jiaojiang.id], serviceCategories: ["MEDICAL_SUPPORT"] });

    const busyPartner = await partnerOf(server, busy.id);
    const elsewhere = await createServiceRequest(wenlingCoordinator, { allianceId: tree.taipingB.id, category: "MEDICAL_SUPPORT" });
    await busyPartner.query(CLAIM, { id: elsewhere.id });

    const request = await createServiceRequest(wenlingCoordinator, { allianceId: tree.taipingB.id, category: "MEDICAL_SUPPORT" });
    const other = await createServiceRequest(wenlingCoordinator, { allianceId: tree.taiping.id, category: "MEDICAL_SUPPORT" });
    const query = `query ($a: ID!, $b: ID!) {
      a: serviceRequest(id: $a) { suggestedOrganizations { id name } }
      b: serviceRequest(id: $b) { suggestedOrganizations(first: 1) { name } }
    }`;
    const data = await wenlingCoordinator.query(query, { a: request.id, b: other.id });
    expect(data.a.suggestedOrganizations.map((o: { name: string }) => o.name)).toEqual(["Z 空闲社工", "A 忙碌社工", "温岭慈善总会"]);
    expect(data.a.suggestedOrganizations[0].id).toBe(idle.id);
    expect(data.b.suggestedOrganizations).toEqual([{ name: "温岭慈善总会" }]);
    expect(county.id).toBeDefined();

    const before = server.statements();
    const list = await wenlingCoordinator.query(
      `{ serviceRequests(filter: { category: [MEDICAL_SUPPORT] }) { nodes { id suggestedOrganizations { name } } } }`,
    );
    expect(list.serviceRequests.nodes).toHaveLength(3);
    expect(list.serviceRequests.nodes.every((n: any) => n.suggestedOrganizations.length > 0)).toBe(true);
    // scope, page (no count: totalCount is not asked for), then one statement of suggestions and
    // one of organizations for all three requests
    expect(server.statements() - before).toBe(4);

    await wenlingCoordinator.expectError("BAD_USER_INPUT", `query ($a: ID!) { serviceRequest(id: $a) { suggestedOrganizations(first: 0) { id } } }`, { a: request.id });
  });
});

describe("the claim race", () => {
  test("20 partners claim one request at once: one wins, 19 get CONFLICT, one CLAIMED event", async () => {
    const orgs = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        createOrganization(server.admin, { name: `抢单社工 ${i}`, allianceIds: [tree.taiping.id], serviceCategories: ["SKILLS_TRAINING"] }),
      ),
    );
    const partners = await Promise.all(orgs.map((org) => partnerOf(server, org.id)));
    const request = await createServiceRequest(wenlingCoordinator, { allianceId: tree.taipingA.id, category: "SKILLS_TRAINING" });
    const events = wenlingCoordinator.subscribe(
      `subscription ($filter: ServiceRequestSubscriptionFilter) { serviceRequestEvents(filter: $filter) { kind request { id status claimedBy { id } } } }`,
      { filter: { kinds: ["CLAIMED"], category: ["SKILLS_TRAINING"] } },
    );
    await events.ready();
    const audited = await auditRows(server, "claimServiceRequest");

    const results = await Promise.all(partners.map((partner) => partner.raw(CLAIM, { id: request.id })));
    const winners = results.filter((r) => r.data?.claimServiceRequest);
    const codes = results.filter((r) => r.errors).map((r) => r.errors?.[0].extensions?.code);
    expect(winners).toHaveLength(1);
    expect(codes).toEqual(Array(19).fill("CONFLICT"));

    const winner = winners[0].data?.claimServiceRequest.claimedBy.id;
    const event = await events.next(5000);
    expect(event.data?.serviceRequestEvents).toEqual({ kind: "CLAIMED", request: { id: request.id, status: "CLAIMED", claimedBy: { id: winner } } });
    expect(await events.drain(500)).toEqual([]);
    await events.close();
    expect(await auditRows(server, "claimServiceRequest")).toBe(audited + 1);
    const read = await wenlingCoordinator.query(GET, { id: request.id });
    expect(read.serviceRequest.claimedBy.id).toBe(winner);
  }, 180_000); // 20 accounts are created and signed in first (argon2 hashing)
});
