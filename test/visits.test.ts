import { isoDate, todayInChina } from "../src/common/scalars";
import type { GraphQLClient } from "./helpers/graphql";
import {
  coordinatorOf,
  createOrganization,
  createTaizhouTree,
  partnerOf,
  recordVisit,
  registerHousehold,
  type HouseholdNode,
} from "./helpers/factories";
import { startTestServer, stopAll } from "./helpers/server";

let server: Awaited<ReturnType<typeof startTestServer>>;
let tree: Awaited<ReturnType<typeof createTaizhouTree>>;

const RECORD_VISIT = `mutation ($input: RecordVisitInput!) {
  recordVisit(input: $input) {
    id visitedOn happinessListDelivered note
    household { id lastVisitOn }
    organization { id name }
  }
}`;

const VISITS = `query ($id: ID!, $first: Int, $after: String) {
  household(id: $id) {
    lastVisitOn
    visits(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { id visitedOn happinessListDelivered }
    }
  }
}`;

const DUE = `query ($allianceId: ID!, $on: Date!, $first: Int, $after: String) {
  householdsDueForVisit(allianceId: $allianceId, on: $on, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id lastVisitOn }
  }
}`;

const prisma = () => server.app.prisma;

async function counts() {
  return {
    visits: await prisma().visit.count(),
    requests: await prisma().serviceRequest.count(),
    audit: await prisma().auditLog.count({ where: { operation: "recordVisit" } }),
  };
}

function daysFromToday(days: number): string {
  const today = todayInChina();
  return isoDate(new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + days)));
}

beforeAll(async () => {
  server = await startTestServer();
  tree = await createTaizhouTree(server.admin);
});
afterAll(() => stopAll(server));

describe("recordVisit", () => {
  let household: HouseholdNode;
  let coordinator: GraphQLClient;
  let organization: { id: string; name: string };

  beforeAll(async () => {
    household = await registerHousehold(server.admin, { allianceId: tree.taipingA.id, headName: "张小明" });
    coordinator = await coordinatorOf(server, tree.taiping.id);
    organization = await createOrganization(server.admin, { allianceIds: [tree.taiping.id], name: "太平社工站" });
  });

  test("records a visit; each need found becomes an OPEN service request of the household in the same transaction", async () => {
    const before = await counts();
    const today = daysFromToday(0);
    const data = await coordinator.query(RECORD_VISIT, {
      input: {
        householdId: household.id,
        visitedOn: today,
        organizationId: organization.id,
        happinessListDelivered: true,
        needs: ["MINOR_CARE", "ELDERLY_CARE", "MINOR_CARE"],
        note: "送去幸福清单",
      },
    });
    const visit = data.recordVisit;
    expect(visit).toMatchObject({
      visitedOn: today,
      happinessListDelivered: true,
      note: "送去幸福清单",
      household: { id: household.id, lastVisitOn: today },
      organization: { id: organization.id, name: "太平社工站" },
    });
    const after = await counts();
    expect(after.visits - before.visits).toBe(1);
    expect(after.requests - before.requests).toBe(2);
    expect(after.audit - before.audit).toBe(1);

    const requests = await prisma().serviceRequest.findMany({ where: { visitId: visit.id }, orderBy: { category: "asc" } });
    expect(requests.map((r) => [r.category, r.status, r.urgency, r.householdId, r.allianceId, r.title])).toEqual([
      ["MINOR_CARE", "OPEN", "NORMAL", household.id, tree.taipingA.id, "探访发现需求：未成年人关爱"],
      ["ELDERLY_CARE", "OPEN", "NORMAL", household.id, tree.taipingA.id, "探访发现需求：养老关爱"],
    ]);
    const listed = await coordinator.query(
      `query ($filter: ServiceRequestFilter) { serviceRequests(filter: $filter) { nodes { id status household { id } } } }`,
      { filter: { allianceId: tree.taipingA.id, status: ["OPEN"] } },
    );
    expect(listed.serviceRequests.nodes.map((n: { id: string }) => n.id).sort()).toEqual(requests.map((r) => r.id).sort());
  });

  test("subscribers hear CREATED for each need, after the visit commits", async () => {
    // the filter also keeps out events of other test files sharing the same Redis in server mode
    const subscription = server.admin.subscribe(
      `subscription ($filter: ServiceRequestSubscriptionFilter) { serviceRequestEvents(filter: $filter) { kind request { category household { id } } } }`,
      { filter: { allianceId: tree.taiping.id } },
    );
    try {
      await subscription.ready();
      await recordVisit(coordinator, { householdId: household.id, visitedOn: daysFromToday(0), needs: ["MEDICAL_SUPPORT"] });
      const event = await subscription.next(5000);
      expect(event).toEqual({ data: { serviceRequestEvents: {
        kind: "CREATED",
        request: { category: "MEDICAL_SUPPORT", household: { id: household.id } },
      } } });
      await coordinator.expectError("BAD_USER_INPUT", RECORD_VISIT, {
        input: { householdId: household.id, visitedOn: daysFromToday(1), happinessListDelivered: false, needs: ["OTHER"] },
      });
      expect(await subscription.drain(500)).toEqual([]);
    } finally {
      await subscription.close();
    }
  });

  test("a retried recordVisit with the same idempotency key counts one visit", async () => {
    const input = {
      householdId: household.id,
      visitedOn: daysFromToday(-3),
      happinessListDelivered: false,
      needs: ["EMPLOYMENT"],
      idempotencyKey: "visit-zhang-retry",
    };
    const before = await counts();
    const first = await coordinator.query(RECORD_VISIT, { input });
    const second = await coordinator.query(RECORD_VISIT, { input });
    expect(second.recordVisit.id).toBe(first.recordVisit.id);
    const after = await counts();
    expect(after.visits - before.visits).toBe(1);
    expect(after.requests - before.requests).toBe(1);
    expect(after.audit - before.audit).toBe(1);
  });

  describe("refuses, writing nothing", () => {
    const cases: [string, () => Record<string, unknown>, string, string | null][] = [
      ["a visit dated tomorrow", () => ({ visitedOn: daysFromToday(1) }), "BAD_USER_INPUT", "visitedOn"],
      ["a visit dated a year ahead", () => ({ visitedOn: daysFromToday(366) }), "BAD_USER_INPUT", "visitedOn"],
      ["a visit before 2000", () => ({ visitedOn: "1999-12-31" }), "BAD_USER_INPUT", "visitedOn"],
      ["a household id that is no id", () => ({ householdId: "abc" }), "BAD_USER_INPUT", "householdId"],
      ["a household that does not exist", () => ({ householdId: "00000000-0000-4000-8000-000000000000" }), "BAD_USER_INPUT", "householdId"],
      ["an organization that does not exist", () => ({ organizationId: "00000000-0000-4000-8000-000000000000" }), "BAD_USER_INPUT", "organizationId"],
      ["a note of 501 characters", () => ({ note: "访".repeat(501) }), "BAD_USER_INPUT", "note"],
      ["an idempotency key of 129 characters", () => ({ idempotencyKey: "k".repeat(129) }), "BAD_USER_INPUT", "idempotencyKey"],
    ];

    test.each(cases)("%s", async (_name, override, code, field) => {
      const before = await counts();
      const { error } = await coordinator.expectError(code, RECORD_VISIT, {
        input: { householdId: household.id, visitedOn: daysFromToday(0), happinessListDelivered: true, needs: ["OTHER"], ...override() },
      });
      if (field) expect(error.extensions?.field).toBe(field);
      expect(await counts()).toEqual(before);
    });

    test("a coordinator outside the household's subtree (FORBIDDEN)", async () => {
      const outsider = await coordinatorOf(server, tree.jiaojiang.id);
      const before = await counts();
      await outsider.expectError("FORBIDDEN", RECORD_VISIT, {
        input: { householdId: household.id, visitedOn: daysFromToday(0), happinessListDelivered: true, needs: ["OTHER"] },
      });
      expect(await counts()).toEqual(before);
    });
  });

  describe("as a PARTNER", () => {
    let partner: GraphQLClient;
    let jiaojiangPartner: GraphQLClient;

    beforeAll(async () => {
      partner = await partnerOf(server, organization.id);
      const jiaojiang = await createOrganization(server.admin, { allianceIds: [tree.jiaojiang.id] });
      jiaojiangPartner = await partnerOf(server, jiaojiang.id);
      await coordinator.query(`mutation ($input: AssignHouseholdInput!) { assignHousehold(input: $input) { id } }`, {
        input: { householdId: household.id, organizationId: organization.id, from: daysFromToday(-30) },
      });
    });

    test("records for its own organization, which is the default, on a household assigned to it", async () => {
      const data = await partner.query(RECORD_VISIT, {
        input: { householdId: household.id, visitedOn: daysFromToday(-1), happinessListDelivered: false },
      });
      expect(data.recordVisit.organization.id).toBe(organization.id);
      const assigned = await partner.query(`query ($id: ID!) { household(id: $id) { headName } }`, { id: household.id });
      expect(assigned.household.headName).toBe("张小明");
    });

    test("may not record a visit to a household of its area that is not assigned to it (FORBIDDEN)", async () => {
      const neighbour = await registerHousehold(server.admin, { allianceId: tree.taipingA.id, headName: "李四" });
      const before = await counts();
      await partner.expectError("FORBIDDEN", RECORD_VISIT, {
        input: { householdId: neighbour.id, visitedOn: daysFromToday(0), happinessListDelivered: false, needs: ["OTHER"] },
      });
      expect(await counts()).toEqual(before);
      const masked = await partner.query(`query ($id: ID!) { household(id: $id) { headName } }`, { id: neighbour.id });
      expect(masked.household.headName).toBe("李**");
    });

    test("may not record for another organization (FORBIDDEN)", async () => {
      const other = await createOrganization(server.admin, { allianceIds: [tree.taiping.id] });
      const before = await counts();
      await partner.expectError("FORBIDDEN", RECORD_VISIT, {
        input: { householdId: household.id, visitedOn: daysFromToday(0), organizationId: other.id, happinessListDelivered: false },
      });
      expect(await counts()).toEqual(before);
    });

    test("a partner of 椒江区 may not visit a 温岭市 household (FORBIDDEN)", async () => {
      const before = await counts();
      await jiaojiangPartner.expectError("FORBIDDEN", RECORD_VISIT, {
        input: { householdId: household.id, visitedOn: daysFromToday(0), happinessListDelivered: false, needs: ["OTHER"] },
      });
      expect(await counts()).toEqual(before);
    });
  });
});

describe("Household.visits and lastVisitOn", () => {
  test("newest first, paged, with totalCount and the latest day", async () => {
    const household = await registerHousehold(server.admin, { allianceId: tree.taipingB.id });
    const days = ["2025-01-15", "2025-06-30", "2025-03-31", "2025-06-30", "2024-12-31"];
    const ids: string[] = [];
    for (const visitedOn of days) ids.push((await recordVisit(server.admin, { householdId: household.id, visitedOn })).id);

    const page1 = await server.admin.query(VISITS, { id: household.id, first: 2 });
    expect(page1.household.lastVisitOn).toBe("2025-06-30");
    expect(page1.household.visits.totalCount).toBe(5);
    expect(page1.household.visits.pageInfo.hasNextPage).toBe(true);
    const page2 = await server.admin.query(VISITS, { id: household.id, first: 2, after: page1.household.visits.pageInfo.endCursor });
    const page3 = await server.admin.query(VISITS, { id: household.id, first: 2, after: page2.household.visits.pageInfo.endCursor });
    expect(page3.household.visits.pageInfo.hasNextPage).toBe(false);
    const all = [page1, page2, page3].flatMap((p) => p.household.visits.nodes);
    expect(all.map((v: { visitedOn: string }) => v.visitedOn)).toEqual(["2025-06-30", "2025-06-30", "2025-03-31", "2025-01-15", "2024-12-31"]);
    expect(new Set(all.map((v: { id: string }) => v.id))).toEqual(new Set(ids));
  });

  test("a household never visited has lastVisitOn null and no visits", async () => {
    const household = await registerHousehold(server.admin, { allianceId: tree.taipingB.id });
    const data = await server.admin.query(VISITS, { id: household.id });
    expect(data.household).toEqual({ lastVisitOn: null, visits: { totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null }, nodes: [] } });
  });

  test("visits and last visits of a whole page of households cost the same statements as of one", async () => {
    const query = `query ($first: Int) {
      households(allianceId: "${tree.taipingB.id}", first: $first) {
        nodes { lastVisitOn visits(first: 3) { totalCount nodes { visitedOn organization { name } household { id } } } }
      }
    }`;
    const statementsFor = async (first: number) => {
      const before = server.statements();
      const data = await server.admin.query(query, { first });
      expect(data.households.nodes).toHaveLength(first);
      return server.statements() - before;
    };
    expect(await statementsFor(2)).toBe(await statementsFor(1));
  });
});

describe("householdsDueForVisit", () => {
  let coordinator: GraphQLClient;
  let a1: HouseholdNode;
  let a2: HouseholdNode;
  let b1: HouseholdNode;
  let haimen: HouseholdNode;
  let townshipId: string;
  let villageAId: string;

  beforeAll(async () => {
    // a fresh township keeps this block's counts independent of the households made above
    const zeguo = await server.admin.query(
      `mutation ($input: CreateAllianceInput!) { createAlliance(input: $input) { id } }`,
      { input: { name: "泽国镇", level: "TOWNSHIP", regionCode: "331081002", parentId: tree.wenling.id } },
    );
    townshipId = zeguo.createAlliance.id;
    const villageA = await server.admin.query(
      `mutation ($input: CreateAllianceInput!) { createAlliance(input: $input) { id } }`,
      { input: { name: "泽国一村", level: "VILLAGE", regionCode: "331081002001", parentId: townshipId } },
    );
    const villageB = await server.admin.query(
      `mutation ($input: CreateAllianceInput!) { createAlliance(input: $input) { id } }`,
      { input: { name: "泽国二村", level: "VILLAGE", regionCode: "331081002002", parentId: townshipId } },
    );
    villageAId = villageA.createAlliance.id;
    coordinator = await coordinatorOf(server, townshipId);
    // recognized before the quarters asked about, so that they are followed in all of them
    const recognizedOn = "2024-12-01";
    a1 = await registerHousehold(coordinator, { allianceId: villageA.createAlliance.id, recognizedOn });
    a2 = await registerHousehold(coordinator, { allianceId: villageA.createAlliance.id, recognizedOn });
    b1 = await registerHousehold(coordinator, { allianceId: villageB.createAlliance.id, recognizedOn });
    haimen = await registerHousehold(server.admin, { allianceId: tree.haimenA.id, recognizedOn });
    // the last day of Q1 and the first day of Q2
    await recordVisit(coordinator, { householdId: a1.id, visitedOn: "2025-03-31" });
    await recordVisit(coordinator, { householdId: a2.id, visitedOn: "2025-04-01" });
    await recordVisit(server.admin, { householdId: haimen.id, visitedOn: "2025-04-01" });
  });

  const due = async (client: GraphQLClient, allianceId: string, on: string, first?: number, after?: string) =>
    (await client.query(DUE, { allianceId, on, first, after })).householdsDueForVisit;

  test("lists the households with no visit in the quarter of `on`, across the Q1/Q2 boundary", async () => {
    const q1 = await due(coordinator, townshipId, "2025-01-01");
    expect(q1.nodes.map((n: { id: string }) => n.id).sort()).toEqual([a2.id, b1.id].sort());
    expect(q1.totalCount).toBe(2);
    const q1End = await due(coordinator, townshipId, "2025-03-31");
    expect(q1End.nodes.map((n: { id: string }) => n.id).sort()).toEqual([a2.id, b1.id].sort());

    const q2 = await due(coordinator, townshipId, "2025-04-01");
    expect(q2.nodes.map((n: { id: string }) => n.id).sort()).toEqual([a1.id, b1.id].sort());
    const q2End = await due(coordinator, townshipId, "2025-06-30");
    expect(q2End.nodes.map((n: { id: string }) => n.id).sort()).toEqual([a1.id, b1.id].sort());
    expect(q2End.nodes.find((n: { id: string }) => n.id === a1.id).lastVisitOn).toBe("2025-03-31");

    const q3 = await due(coordinator, townshipId, "2025-07-01");
    expect(q3.totalCount).toBe(3);
  });

  test("keeps to the subtree asked for, and pages in a stable order", async () => {
    const onlyA = await due(coordinator, villageAId, "2025-07-01");
    expect(onlyA.nodes.map((n: { id: string }) => n.id).sort()).toEqual([a1.id, a2.id].sort());

    const all = await due(server.admin, tree.city.id, "2025-07-01");
    expect(all.nodes.map((n: { id: string }) => n.id)).toEqual(expect.arrayContaining([a1.id, a2.id, b1.id, haimen.id]));
    const q2 = await due(server.admin, tree.city.id, "2025-05-05");
    expect(q2.nodes.map((n: { id: string }) => n.id)).not.toContain(haimen.id);

    const page1 = await due(coordinator, townshipId, "2025-07-01", 2);
    expect(page1.pageInfo.hasNextPage).toBe(true);
    expect(page1.totalCount).toBe(3);
    const page2 = await due(coordinator, townshipId, "2025-07-01", 2, page1.pageInfo.endCursor);
    expect(page2.pageInfo.hasNextPage).toBe(false);
    const paged = [...page1.nodes, ...page2.nodes].map((n: { id: string }) => n.id);
    const whole = (await due(coordinator, townshipId, "2025-07-01")).nodes.map((n: { id: string }) => n.id);
    expect(paged).toEqual(whole);
    // village A (…002001) before village B (…002002)
    expect(whole[2]).toBe(b1.id);
  });

  test("counts only households followed on some day of the quarter: not those recognized after it nor those exited before it", async () => {
    const villageB = (await prisma().household.findUniqueOrThrow({ where: { id: b1.id } })).allianceId;
    const later = await registerHousehold(coordinator, { allianceId: villageB, recognizedOn: "2025-04-01" });
    const gone = await registerHousehold(coordinator, { allianceId: villageB, recognizedOn: "2024-12-01" });
    await coordinator.query(
      `mutation ($input: ExitHouseholdInput!) { exitHousehold(input: $input) { status } }`,
      { input: { householdId: gone.id, effectiveOn: "2025-04-01", reason: "MOVED_AWAY" } },
    );
    const ids = async (on: string) => (await due(coordinator, townshipId, on)).nodes.map((n: { id: string }) => n.id);
    // Q1: `later` is not recognized yet; `gone` is followed through March 31
    expect(await ids("2025-02-15")).toEqual(expect.arrayContaining([gone.id]));
    expect(await ids("2025-02-15")).not.toContain(later.id);
    // Q2: `later` is recognized on its first day; `gone` exited on it
    expect(await ids("2025-05-15")).toEqual(expect.arrayContaining([later.id]));
    expect(await ids("2025-05-15")).not.toContain(gone.id);
    const q1 = await due(coordinator, townshipId, "2025-01-01");
    expect(q1.totalCount).toBe(q1.nodes.length);
    await coordinator.query(
      `mutation ($input: ExitHouseholdInput!) { exitHousehold(input: $input) { status } }`,
      { input: { householdId: later.id, effectiveOn: "2025-04-02", reason: "OTHER", note: "录入测试" } },
    );
    // followed on April 1 only: still due in Q2, not in Q3
    expect(await ids("2025-06-30")).toContain(later.id);
    expect(await ids("2025-07-01")).not.toContain(later.id);
  });

  test("a voided visit does not count as a visit", async () => {
    const q1 = (await due(coordinator, townshipId, "2025-01-01")).nodes.map((n: { id: string }) => n.id);
    expect(q1).not.toContain(a1.id);
    await prisma().visit.updateMany({ where: { householdId: a1.id, visitedOn: new Date("2025-03-31T00:00:00Z") }, data: { voidedAt: new Date(), voidReason: "录错了户" } });
    try {
      const after = (await due(coordinator, townshipId, "2025-01-01")).nodes.map((n: { id: string }) => n.id);
      expect(after).toContain(a1.id);
    } finally {
      await prisma().visit.updateMany({ where: { householdId: a1.id }, data: { voidedAt: null, voidReason: null } });
    }
  });

  test("outside the caller's scope is FORBIDDEN", async () => {
    const jiaojiangCoordinator = await coordinatorOf(server, tree.jiaojiang.id);
    await jiaojiangCoordinator.expectError("FORBIDDEN", DUE, { allianceId: townshipId, on: "2025-07-01" });
    const organization = await createOrganization(server.admin, { allianceIds: [tree.jiaojiang.id] });
    const partner = await partnerOf(server, organization.id);
    await partner.expectError("FORBIDDEN", DUE, { allianceId: tree.wenling.id, on: "2025-07-01" });
    const own = await due(partner, tree.jiaojiang.id, "2025-07-01");
    expect(own.nodes.map((n: { id: string }) => n.id)).toEqual([haimen.id]);
  });

  test("a bad date or page size is BAD_USER_INPUT", async () => {
    await coordinator.expectError("BAD_USER_INPUT", DUE, { allianceId: townshipId, on: "2025-02-30" });
    await coordinator.expectError("BAD_USER_INPUT", DUE, { allianceId: townshipId, on: "2025-07-01", first: 101 });
  });
});
