import { isoDate, todayInChina } from "../src/common/scalars";
import type { GraphQLClient } from "./helpers/graphql";
import {
  coordinatorOf,
  createOrganization,
  createTaizhouTree,
  partnerOf,
  registerHousehold,
  type HouseholdNode,
} from "./helpers/factories";
import { startTestServer, stopAll } from "./helpers/server";

let server: Awaited<ReturnType<typeof startTestServer>>;
let tree: Awaited<ReturnType<typeof createTaizhouTree>>;

const ASSIGN = `mutation ($input: AssignHouseholdInput!) {
  assignHousehold(input: $input) {
    id from to active createdAt
    household { id }
    organization { id }
    assignedBy { id username }
  }
}`;

const END = `mutation ($id: ID!, $on: Date) { endHouseholdAssignment(id: $id, on: $on) { id from to active } }`;

const ASSIGNMENTS = `query ($organizationId: ID, $active: Boolean, $first: Int, $after: String) {
  assignments(organizationId: $organizationId, active: $active, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id from to active household { id headName idNumber } organization { id } }
  }
}`;

const HOUSEHOLD_ASSIGNMENTS = `query ($id: ID!) { household(id: $id) { id assignments { id organization { id } from to active } } }`;

const VISIT = `mutation ($input: RecordVisitInput!) { recordVisit(input: $input) { id visitedOn } }`;

function daysFromToday(days: number): string {
  const today = todayInChina();
  return isoDate(new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + days)));
}

const prisma = () => server.app.prisma;

async function counts() {
  return {
    assignments: await prisma().householdAssignment.count(),
    visits: await prisma().visit.count(),
    requests: await prisma().serviceRequest.count(),
    audit: await prisma().auditLog.count({ where: { operation: { in: ["assignHousehold", "endHouseholdAssignment", "recordVisit"] } } }),
  };
}

let coordinator: GraphQLClient;
let jiaojiangCoordinator: GraphQLClient;
let taipingOrganization: { id: string };
let cityOrganization: { id: string };
let jiaojiangOrganization: { id: string };
let partner: GraphQLClient;
let cityPartner: GraphQLClient;

beforeAll(async () => {
  server = await startTestServer();
  tree = await createTaizhouTree(server.admin);
  coordinator = await coordinatorOf(server, tree.wenling.id);
  jiaojiangCoordinator = await coordinatorOf(server, tree.jiaojiang.id);
  taipingOrganization = await createOrganization(server.admin, { allianceIds: [tree.taiping.id], serviceCategories: ["ELDERLY_CARE"] });
  cityOrganization = await createOrganization(server.admin, { allianceIds: [tree.city.id] });
  jiaojiangOrganization = await createOrganization(server.admin, { allianceIds: [tree.haimen.id] });
  partner = await partnerOf(server, taipingOrganization.id);
  cityPartner = await partnerOf(server, cityOrganization.id);
});
afterAll(() => stopAll(server));

describe("assignHousehold", () => {
  let household: HouseholdNode;

  beforeAll(async () => {
    household = await registerHousehold(server.admin, { allianceId: tree.taipingA.id, headName: "罗小鹏" });
  });

  test("a coordinator of the subtree assigns a household to a member of its lineage, from today by default; audited", async () => {
    const data = await coordinator.query(ASSIGN, { input: { householdId: household.id, organizationId: taipingOrganization.id } });
    const me = await coordinator.query(`{ me { id username } }`);
    expect(data.assignHousehold).toMatchObject({
      from: daysFromToday(0),
      to: null,
      active: true,
      household: { id: household.id },
      organization: { id: taipingOrganization.id },
      assignedBy: me.me,
    });
    const audit = await prisma().auditLog.findFirst({ where: { operation: "assignHousehold", resultId: data.assignHousehold.id } });
    expect(audit).not.toBeNull();
  });

  test("an organization of an ancestor (the city) may be assigned; a retry with the same key returns the first", async () => {
    const input = { householdId: household.id, organizationId: cityOrganization.id, from: "2025-01-01", to: "2025-03-31", idempotencyKey: "a-1" };
    const first = await server.admin.query(ASSIGN, { input });
    const before = await counts();
    const again = await server.admin.query(ASSIGN, { input });
    expect(again.assignHousehold.id).toBe(first.assignHousehold.id);
    expect(await counts()).toEqual(before);
    expect(first.assignHousehold).toMatchObject({ from: "2025-01-01", to: "2025-03-31", active: false });
  });

  test("an overlapping assignment of the same pair is a CONFLICT, nothing written; adjacent days are fine", async () => {
    const before = await counts();
    const { error } = await coordinator.expectError("CONFLICT", ASSIGN, {
      input: { householdId: household.id, organizationId: cityOrganization.id, from: "2025-03-31" },
    });
    expect(error.message).toContain("from");
    await coordinator.expectError("CONFLICT", ASSIGN, {
      input: { householdId: household.id, organizationId: cityOrganization.id, from: "2024-01-01", to: "2025-01-01" },
    });
    await coordinator.expectError("CONFLICT", ASSIGN, {
      input: { householdId: household.id, organizationId: taipingOrganization.id, from: daysFromToday(30), to: daysFromToday(40) },
    });
    expect(await counts()).toEqual(before);
    const next = await coordinator.query(ASSIGN, {
      input: { householdId: household.id, organizationId: cityOrganization.id, from: "2025-04-01", to: "2025-04-30" },
    });
    expect(next.assignHousehold.from).toBe("2025-04-01");
  });

  test("concurrent overlapping assignments: exactly one is written", async () => {
    const other = await registerHousehold(server.admin, { allianceId: tree.taipingB.id });
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        coordinator.raw(ASSIGN, { input: { householdId: other.id, organizationId: taipingOrganization.id, from: daysFromToday(-i) } }),
      ),
    );
    expect(results.filter((r) => !r.errors).length).toBe(1);
    expect(results.filter((r) => r.errors?.[0]?.extensions?.code === "CONFLICT").length).toBe(4);
    expect(await prisma().householdAssignment.count({ where: { householdId: other.id } })).toBe(1);
  });

  test("refused, writing nothing: partner, outside scope, outside the lineage, unknown ids, `to` before `from`", async () => {
    const before = await counts();
    const input = { householdId: household.id, organizationId: taipingOrganization.id, from: "2020-01-01", to: "2020-02-01" };
    await partner.expectError("FORBIDDEN", ASSIGN, { input });
    await jiaojiangCoordinator.expectError("FORBIDDEN", ASSIGN, { input });
    const outside = await coordinator.expectError("BAD_USER_INPUT", ASSIGN, { input: { ...input, organizationId: jiaojiangOrganization.id } });
    expect(outside.error.extensions?.field).toBe("organizationId");
    const unknown = await coordinator.expectError("BAD_USER_INPUT", ASSIGN, {
      input: { ...input, organizationId: "00000000-0000-4000-8000-000000000000" },
    });
    expect(unknown.error.extensions?.field).toBe("organizationId");
    const noHousehold = await coordinator.expectError("BAD_USER_INPUT", ASSIGN, {
      input: { ...input, householdId: "00000000-0000-4000-8000-000000000000" },
    });
    expect(noHousehold.error.extensions?.field).toBe("householdId");
    const backwards = await coordinator.expectError("BAD_USER_INPUT", ASSIGN, { input: { ...input, to: "2019-12-31" } });
    expect(backwards.error.extensions?.field).toBe("to");
    expect(await counts()).toEqual(before);
  });
});

describe("endHouseholdAssignment", () => {
  test("ends today by default or on a given day; `on` before `from` is BAD_USER_INPUT; after an earlier end it is a CONFLICT", async () => {
    const household = await registerHousehold(server.admin, { allianceId: tree.taipingA.id });
    const made = await coordinator.query(ASSIGN, {
      input: { householdId: household.id, organizationId: taipingOrganization.id, from: "2025-02-01" },
    });
    const id = made.assignHousehold.id;
    const before = await counts();
    const early = await coordinator.expectError("BAD_USER_INPUT", END, { id, on: "2025-01-31" });
    expect(early.error.extensions?.field).toBe("on");
    await partner.expectError("FORBIDDEN", END, { id });
    await jiaojiangCoordinator.expectError("FORBIDDEN", END, { id });
    await coordinator.expectError("NOT_FOUND", END, { id: "00000000-0000-4000-8000-000000000000" });
    expect(await counts()).toEqual(before);

    const ended = await coordinator.query(END, { id });
    expect(ended.endHouseholdAssignment).toMatchObject({ from: "2025-02-01", to: daysFromToday(0), active: true });
    const earlier = await coordinator.query(END, { id, on: "2025-03-01" });
    expect(earlier.endHouseholdAssignment).toMatchObject({ to: "2025-03-01", active: false });
    const beforeLate = await counts();
    const late = await coordinator.expectError("CONFLICT", END, { id, on: "2025-03-02" });
    expect(late.error.message).toContain("2025-03-01");
    expect(await counts()).toEqual(beforeLate);
  });
});

describe("reading assignments", () => {
  let households: HouseholdNode[];

  beforeAll(async () => {
    households = [];
    for (const allianceId of [tree.taipingA.id, tree.taipingB.id, tree.haimenA.id]) {
      households.push(await registerHousehold(server.admin, { allianceId, headName: "司马光" }));
    }
    await server.admin.query(ASSIGN, { input: { householdId: households[0].id, organizationId: cityOrganization.id } });
    await server.admin.query(ASSIGN, { input: { householdId: households[1].id, organizationId: taipingOrganization.id, from: "2024-01-01", to: "2024-06-30" } });
    await server.admin.query(ASSIGN, { input: { householdId: households[2].id, organizationId: cityOrganization.id } });
    await server.admin.query(ASSIGN, { input: { householdId: households[2].id, organizationId: jiaojiangOrganization.id } });
  });

  test("a PARTNER sees its own organization's (\"my households\"), unmasked while active; another organization is FORBIDDEN", async () => {
    const data = await cityPartner.query(ASSIGNMENTS, { active: true, first: 100 });
    const mine = data.assignments.nodes.filter((n: { household: { id: string } }) => households.some((h) => h.id === n.household.id));
    expect(mine.map((n: { household: { id: string } }) => n.household.id).sort()).toEqual([households[0].id, households[2].id].sort());
    expect(data.assignments.nodes.every((n: { organization: { id: string } }) => n.organization.id === cityOrganization.id)).toBe(true);
    expect(mine.every((n: { household: { headName: string } }) => n.household.headName === "司马光")).toBe(true);
    await cityPartner.expectError("FORBIDDEN", ASSIGNMENTS, { organizationId: taipingOrganization.id });
    const own = await cityPartner.query(ASSIGNMENTS, { organizationId: cityOrganization.id, first: 100 });
    expect(own.assignments.totalCount).toBe(data.assignments.totalCount + (await inactiveCount(cityPartner)));
  });

  async function inactiveCount(client: GraphQLClient) {
    return (await client.query(ASSIGNMENTS, { active: false, first: 1 })).assignments.totalCount;
  }

  test("a COORDINATOR sees those of households in its subtree; ADMIN all; filters combine and pages follow cursors", async () => {
    const wenling = await coordinator.query(ASSIGNMENTS, { first: 100 });
    const seen = new Set(wenling.assignments.nodes.map((n: { household: { id: string } }) => n.household.id));
    expect(seen.has(households[0].id)).toBe(true);
    expect(seen.has(households[2].id)).toBe(false);
    const jiaojiang = await jiaojiangCoordinator.query(ASSIGNMENTS, { first: 100 });
    expect(jiaojiang.assignments.nodes.map((n: { household: { id: string } }) => n.household.id)).toEqual([households[2].id, households[2].id]);
    const ended = await server.admin.query(ASSIGNMENTS, { organizationId: taipingOrganization.id, active: false, first: 100 });
    expect(ended.assignments.nodes.map((n: { household: { id: string } }) => n.household.id)).toContain(households[1].id);
    expect(ended.assignments.nodes.every((n: { active: boolean }) => !n.active)).toBe(true);

    const all = await server.admin.query(ASSIGNMENTS, { first: 100 });
    const paged: string[] = [];
    let after: string | null = null;
    do {
      const page: any = await server.admin.query(ASSIGNMENTS, { first: 3, after });
      paged.push(...page.assignments.nodes.map((n: { id: string }) => n.id));
      after = page.assignments.pageInfo.hasNextPage ? page.assignments.pageInfo.endCursor : null;
    } while (after);
    expect(paged).toEqual(all.assignments.nodes.map((n: { id: string }) => n.id));
    expect(all.assignments.totalCount).toBe(await prisma().householdAssignment.count());
    await server.admin.expectError("BAD_USER_INPUT", ASSIGNMENTS, { after: "not-a-cursor" });
  });

  test("Household.assignments: a PARTNER sees its own organization's only, a coordinator all, in one statement for a page", async () => {
    const asCoordinator = await jiaojiangCoordinator.query(HOUSEHOLD_ASSIGNMENTS, { id: households[2].id });
    expect(asCoordinator.household.assignments.map((a: { organization: { id: string } }) => a.organization.id).sort()).toEqual(
      [cityOrganization.id, jiaojiangOrganization.id].sort(),
    );
    const asPartner = await cityPartner.query(HOUSEHOLD_ASSIGNMENTS, { id: households[2].id });
    expect(asPartner.household.assignments.map((a: { organization: { id: string } }) => a.organization.id)).toEqual([cityOrganization.id]);

    const query = `query ($first: Int) { households(first: $first) { nodes { assignments { id organization { id } } } } }`;
    // The fewer of two runs: a run may also re-check the token (at most every TOKEN_CHECK_SECONDS).
    const statementsFor = async (first: number) => {
      const runs: number[] = [];
      for (let run = 0; run < 2; run += 1) {
        const before = server.statements();
        await server.admin.query(query, { first });
        runs.push(server.statements() - before);
      }
      return Math.min(...runs);
    };
    expect(await statementsFor(10)).toBe(await statementsFor(2));
  });
});

describe("visits by partners follow assignments", () => {
  test("with an assignment: visit allowed (needs raised by the organization); after it ends: FORBIDDEN, nothing written", async () => {
    const household = await registerHousehold(server.admin, { allianceId: tree.taipingB.id });
    const visit = (visitedOn: string, needs?: string[]) => ({ input: { householdId: household.id, visitedOn, happinessListDelivered: true, needs } });
    let before = await counts();
    await partner.expectError("FORBIDDEN", VISIT, visit(daysFromToday(0), ["ELDERLY_CARE"]));
    expect(await counts()).toEqual(before);

    const made = await coordinator.query(ASSIGN, {
      input: { householdId: household.id, organizationId: taipingOrganization.id, from: daysFromToday(-20) },
    });
    const recorded = await partner.query(VISIT, visit(daysFromToday(-14), ["ELDERLY_CARE"]));
    expect(recorded.recordVisit.visitedOn).toBe(daysFromToday(-14));
    const raised = await server.admin.query(
      `query ($id: ID!) { household(id: $id) { id } serviceRequests(filter: { status: [OPEN] }, first: 100) { nodes { household { id } raisedBy { account { id } organization { id } } } } }`,
      { id: household.id },
    );
    const need = raised.serviceRequests.nodes.find((n: { household: { id: string } | null }) => n.household?.id === household.id);
    const me = await partner.query(`{ me { id } }`);
    expect(need.raisedBy).toEqual({ account: { id: me.me.id }, organization: { id: taipingOrganization.id } });

    before = await counts();
    const tooOld = await partner.expectError("FORBIDDEN", VISIT, visit(daysFromToday(-15), ["ELDERLY_CARE"]));
    expect(tooOld.error.extensions?.field).toBe("visitedOn");
    expect(await counts()).toEqual(before);

    await coordinator.query(END, { id: made.assignHousehold.id, on: daysFromToday(-5) });
    before = await counts();
    await partner.expectError("FORBIDDEN", VISIT, visit(daysFromToday(0), ["ELDERLY_CARE"]));
    await partner.expectError("FORBIDDEN", VISIT, visit(daysFromToday(-4)));
    expect(await counts()).toEqual(before);
    const inAssignedDays = await partner.query(VISIT, visit(daysFromToday(-6)));
    expect(inAssignedDays.recordVisit.visitedOn).toBe(daysFromToday(-6));
    const coordinatorVisit = await coordinator.query(VISIT, visit(daysFromToday(0)));
    expect(coordinatorVisit.recordVisit.visitedOn).toBe(daysFromToday(0));
  });
});
