import { DEMO_ALERTS, loadDemoAlerts } from "../prisma/seed/alerts";
import { isoDate, todayInChina } from "../src/common/scalars";
import type { GraphQLClient } from "./helpers/graphql";
import { coordinatorOf, createOrganization, createTaizhouTree, insertHousehold, partnerOf } from "./helpers/factories";
import { startTestServer, stopAll } from "./helpers/server";

let server: Awaited<ReturnType<typeof startTestServer>>;
let tree: Awaited<ReturnType<typeof createTaizhouTree>>;
let taiping: GraphQLClient;
let jiaojiang: GraphQLClient;

const ALERT_FIELDS = `id kind status reason createdAt resolvedAt resolution
  figures { spending income share threshold from to }
  household { id } alliance { id } resolvedBy { username }
  serviceRequest { id title category urgency status household { id } alliance { id } }`;

const RECORD = `mutation ($input: RecordMedicalExpenseInput!) {
  recordMedicalExpense(input: $input) { id amount on note household { id } monitoringAlert { ${ALERT_FIELDS} } }
}`;

const ALERTS = `query ($allianceId: ID, $status: AlertStatus, $first: Int, $after: String) {
  monitoringAlerts(allianceId: $allianceId, status: $status, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { ${ALERT_FIELDS} }
  }
}`;

const RESOLVE = `mutation ($id: ID!, $action: AlertAction!, $reason: String) {
  resolveMonitoringAlert(id: $id, action: $action, reason: $reason) { ${ALERT_FIELDS} }
}`;

const EVENTS = `subscription { serviceRequestEvents { kind request { id title category urgency household { id } } } }`;

const STATS = `query ($id: ID!) { stats(allianceId: $id, from: "2025-01-01", to: "2025-06-30") { openMonitoringAlerts openServiceRequests } }`;

const prisma = () => server.app.prisma;

async function counts() {
  return {
    expenses: await prisma().medicalExpense.count(),
    alerts: await prisma().monitoringAlert.count(),
    requests: await prisma().serviceRequest.count(),
    audit: await prisma().auditLog.count({ where: { operation: { in: ["recordMedicalExpense", "resolveMonitoringAlert"] } } }),
  };
}

/** A household of `size` members in `allianceId`, each earning `monthly` yuan in each of the months given (YYYY-MM). */
async function householdWithIncome(allianceId: string, monthly: string, months: string[], size = 2) {
  const household = await insertHousehold(server, { allianceId, size, headName: "卢大伯" });
  const members = await prisma().householdMember.findMany({ where: { householdId: household.id } });
  for (const member of members) {
    for (const month of months) {
      await prisma().memberIncome.create({
        data: { householdId: household.id, memberId: member.id, month: new Date(`${month}-01T00:00:00Z`), kind: "WAGE", amount: monthly },
      });
    }
  }
  return household;
}

/** The 12 months July 2024 to June 2025. */
const YEAR_TO_JUNE_2025 = Array.from({ length: 12 }, (_, i) => isoDate(new Date(Date.UTC(2024, 6 + i, 1))).slice(0, 7));

function record(client: GraphQLClient, input: Record<string, unknown>) {
  return client.query(RECORD, { input });
}

beforeAll(async () => {
  server = await startTestServer();
  tree = await createTaizhouTree(server.admin);
  taiping = await coordinatorOf(server, tree.taiping.id);
  jiaojiang = await coordinatorOf(server, tree.jiaojiang.id);
});
afterAll(() => stopAll(server));

describe("recordMedicalExpense and the alert rule", () => {
  test("spending crossing the share of income raises exactly one OPEN alert for the village, with figures and no personal data", async () => {
    // 2 members × 1,000.00 × 12 months = 24,000.00; a month before the window does not count.
    const household = await householdWithIncome(tree.taipingA.id, "1000.00", [...YEAR_TO_JUNE_2025, "2024-06"]);

    const first = (await record(taiping, { householdId: household.id, amount: "8000.00", on: "2025-06-15", note: "住院自付" })).recordMedicalExpense;
    expect(first).toMatchObject({ amount: "8000.00", on: "2025-06-15", note: "住院自付", household: { id: household.id }, monitoringAlert: null });
    expect(await prisma().monitoringAlert.count({ where: { householdId: household.id } })).toBe(0);

    const second = (await record(taiping, { householdId: household.id, amount: "5000.00", on: "2025-06-20" })).recordMedicalExpense;
    const alert = second.monitoringAlert;
    expect(alert).toMatchObject({
      kind: "MEDICAL_EXPENSE",
      status: "OPEN",
      figures: { spending: "13000.00", income: "24000.00", share: 0.5, threshold: "12000.00", from: "2024-06-21", to: "2025-06-20" },
      household: { id: household.id },
      alliance: { id: tree.taipingA.id },
      resolvedAt: null,
      resolvedBy: null,
      serviceRequest: null,
    });
    expect(alert.reason).toContain("13,000.00");
    expect(alert.reason).toContain("50%");
    expect(alert.reason).not.toContain("卢");

    // A further expense updates the open alert's figures; it never raises a second one.
    const third = (await record(taiping, { householdId: household.id, amount: "1000.50", on: "2025-06-25" })).recordMedicalExpense;
    expect(third.monitoringAlert).toMatchObject({ id: alert.id, figures: { spending: "14000.50", to: "2025-06-25" } });
    // A back-dated one leaves the figures of the later day as they are.
    await record(taiping, { householdId: household.id, amount: "100.00", on: "2025-06-01" });
    const alerts = await prisma().monitoringAlert.findMany({ where: { householdId: household.id } });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ id: alert.id, status: "OPEN" });
    expect((alerts[0].figures as { spending: string }).spending).toBe("14000.50");
  });

  test("below the minimum nothing is raised; reaching it exactly raises the alert even without income", async () => {
    const household = await householdWithIncome(tree.taipingB.id, "0.00", []);
    const below = (await record(taiping, { householdId: household.id, amount: "9999.99", on: "2025-05-01" })).recordMedicalExpense;
    expect(below.monitoringAlert).toBeNull();
    expect(await prisma().monitoringAlert.count({ where: { householdId: household.id } })).toBe(0);
    const reached = (await record(taiping, { householdId: household.id, amount: "0.01", on: "2025-05-02" })).recordMedicalExpense;
    expect(reached.monitoringAlert).toMatchObject({ figures: { spending: "10000.00", income: "0.00", threshold: "10000.00" } });
  });

  test("expenses older than 12 months before the day do not count", async () => {
    const household = await householdWithIncome(tree.taipingA.id, "0.00", []);
    await record(taiping, { householdId: household.id, amount: "9000.00", on: "2024-06-20" });
    const later = (await record(taiping, { householdId: household.id, amount: "2000.00", on: "2025-06-20" })).recordMedicalExpense;
    expect(later.monitoringAlert).toBeNull();
  });

  test("a retry with the same idempotency key returns the first record and counts once", async () => {
    const household = await insertHousehold(server, { allianceId: tree.taipingA.id });
    const input = { householdId: household.id, amount: "300.00", on: "2025-03-01", idempotencyKey: "expense-retry-1" };
    const first = (await record(taiping, input)).recordMedicalExpense;
    const again = (await record(taiping, input)).recordMedicalExpense;
    expect(again.id).toBe(first.id);
    expect(await prisma().medicalExpense.count({ where: { householdId: household.id } })).toBe(1);
  });

  test("bad inputs get a clear error naming the field, and nothing is written", async () => {
    const household = await insertHousehold(server, { allianceId: tree.taipingA.id });
    const before = await counts();
    const zero = await taiping.expectError("BAD_USER_INPUT", RECORD, { input: { householdId: household.id, amount: "0.00", on: "2025-03-01" } });
    expect(zero.error.message).toBe("amount: must be above 0");
    const tomorrow = isoDate(new Date(todayInChina().getTime() + 86_400_000));
    const future = await taiping.expectError("BAD_USER_INPUT", RECORD, { input: { householdId: household.id, amount: "10.00", on: tomorrow } });
    expect(future.error.message).toMatch(/^on: must not be in the future \(today is \d{4}-\d{2}-\d{2}, China time\)$/);
    const note = await taiping.expectError("BAD_USER_INPUT", RECORD, {
      input: { householdId: household.id, amount: "10.00", on: "2025-03-01", note: "联系 13812345678" },
    });
    expect(note.error.message).toContain("ID or phone number");
    await taiping.expectError("BAD_USER_INPUT", RECORD, { input: { householdId: household.id, amount: -5, on: "2025-03-01" } });
    const unknown = await taiping.expectError("BAD_USER_INPUT", RECORD, {
      input: { householdId: "00000000-0000-4000-8000-000000000000", amount: "10.00", on: "2025-03-01" },
    });
    expect(unknown.error.message).toBe("householdId: no household has this id");
    expect(await counts()).toEqual(before);
  });

  test("who may record: coordinators in scope, departments of the subtree, assigned partners; others FORBIDDEN with nothing written", async () => {
    const household = await insertHousehold(server, { allianceId: tree.taipingA.id });
    const input = { householdId: household.id, amount: "20.00", on: "2025-03-01" };
    const before = await counts();
    const outside = await jiaojiang.expectError("FORBIDDEN", RECORD, { input });
    expect(outside.error.message).toBe("This household is outside your scope");

    const ngo = await createOrganization(server.admin, { allianceIds: [tree.taiping.id] });
    const ngoPartner = await partnerOf(server, ngo.id);
    await ngoPartner.expectError("FORBIDDEN", RECORD, { input });
    const otherDepartment = await createOrganization(server.admin, { allianceIds: [tree.jiaojiang.id], kind: "GOVERNMENT_DEPARTMENT" });
    await (await partnerOf(server, otherDepartment.id)).expectError("FORBIDDEN", RECORD, { input });
    expect(await counts()).toEqual(before);

    const department = await createOrganization(server.admin, { allianceIds: [tree.wenling.id], kind: "GOVERNMENT_DEPARTMENT" });
    const departmentPartner = await partnerOf(server, department.id);
    const byDepartment = (await record(departmentPartner, input)).recordMedicalExpense;
    expect(byDepartment).toMatchObject({ amount: "20.00", monitoringAlert: null });

    await server.admin.query(`mutation ($input: AssignHouseholdInput!) { assignHousehold(input: $input) { id } }`, {
      input: { householdId: household.id, organizationId: ngo.id, from: "2025-01-01" },
    });
    expect((await record(ngoPartner, input)).recordMedicalExpense.amount).toBe("20.00");
    expect((await record(server.admin, input)).recordMedicalExpense.amount).toBe("20.00");
  });
});

describe("monitoringAlerts and resolveMonitoringAlert", () => {
  let alertId: string;
  let householdId: string;

  beforeAll(async () => {
    const household = await householdWithIncome(tree.taipingB.id, "500.00", YEAR_TO_JUNE_2025, 1);
    householdId = household.id;
    alertId = (await record(taiping, { householdId, amount: "12000.00", on: "2025-06-30" })).recordMedicalExpense.monitoringAlert.id;
  });

  test("coordinators list the alerts of their subtree; another subtree's and partners are FORBIDDEN", async () => {
    const open = (await taiping.query(ALERTS, { allianceId: tree.taipingB.id, status: "OPEN" })).monitoringAlerts;
    expect(open.nodes.map((n: { id: string }) => n.id)).toContain(alertId);
    expect(open.nodes.every((n: { status: string; alliance: { id: string } }) => n.status === "OPEN" && n.alliance.id === tree.taipingB.id)).toBe(true);

    const paged = (await server.admin.query(ALERTS, { first: 1 })).monitoringAlerts;
    expect(paged.nodes).toHaveLength(1);
    expect(paged.pageInfo.hasNextPage).toBe(true);
    const next = (await server.admin.query(ALERTS, { first: 1, after: paged.pageInfo.endCursor })).monitoringAlerts;
    expect(next.nodes[0].id).not.toBe(paged.nodes[0].id);

    expect((await jiaojiang.query(ALERTS, {})).monitoringAlerts.totalCount).toBe(0);
    const forbidden = await jiaojiang.expectError("FORBIDDEN", ALERTS, { allianceId: tree.taiping.id });
    expect(forbidden.error.message).toBe("This alliance is outside your scope");
    const department = await createOrganization(server.admin, { allianceIds: [tree.wenling.id], kind: "GOVERNMENT_DEPARTMENT" });
    await (await partnerOf(server, department.id)).expectError("FORBIDDEN", ALERTS, {});
  });

  test("stats count the alerts OPEN in the subtree now", async () => {
    const open = await prisma().monitoringAlert.count({ where: { status: "OPEN" } });
    expect((await server.admin.query(STATS, { id: tree.city.id })).stats.openMonitoringAlerts).toBe(open);
    expect((await jiaojiang.query(STATS, { id: tree.jiaojiang.id })).stats.openMonitoringAlerts).toBe(0);
    const inTaipingB = await prisma().monitoringAlert.count({ where: { status: "OPEN", allianceId: tree.taipingB.id } });
    expect((await taiping.query(STATS, { id: tree.taipingB.id })).stats.openMonitoringAlerts).toBe(inTaipingB);
  });

  test("dismissing needs a reason; outside the subtree or as a partner it is FORBIDDEN; nothing is written", async () => {
    const before = await counts();
    const missing = await taiping.expectError("BAD_USER_INPUT", RESOLVE, { id: alertId, action: "DISMISS" });
    expect(missing.error.message).toBe("reason: is required to dismiss an alert: say why no visit is needed");
    await taiping.expectError("BAD_USER_INPUT", RESOLVE, { id: alertId, action: "DISMISS", reason: "   " });
    await jiaojiang.expectError("FORBIDDEN", RESOLVE, { id: alertId, action: "VISIT" });
    const department = await createOrganization(server.admin, { allianceIds: [tree.wenling.id], kind: "GOVERNMENT_DEPARTMENT" });
    await (await partnerOf(server, department.id)).expectError("FORBIDDEN", RESOLVE, { id: alertId, action: "VISIT" });
    await taiping.expectError("NOT_FOUND", RESOLVE, { id: "00000000-0000-4000-8000-000000000000", action: "VISIT" });
    expect(await counts()).toEqual(before);
    expect((await prisma().monitoringAlert.findUniqueOrThrow({ where: { id: alertId } })).status).toBe("OPEN");
  });

  test("resolving by a visit raises a HIGH precision-assistance request for the household, seen live by subscribers", async () => {
    const events = taiping.subscribe<{ serviceRequestEvents: { kind: string; request: Record<string, any> } }>(EVENTS);
    await events.ready();
    try {
      const resolved = (await taiping.query(RESOLVE, { id: alertId, action: "VISIT" })).resolveMonitoringAlert;
      expect(resolved).toMatchObject({
        id: alertId,
        status: "VISIT_SCHEDULED",
        resolution: null,
        serviceRequest: {
          title: "政策找人：医疗支出较大，请上门探访",
          category: "PRECISION_ASSISTANCE",
          urgency: "HIGH",
          status: "OPEN",
          household: { id: householdId },
          alliance: { id: tree.taipingB.id },
        },
      });
      expect(resolved.resolvedAt).not.toBeNull();
      expect(resolved.resolvedBy.username).toMatch(/^coordinator-/);
      const event = await events.next(5000);
      expect(event.data?.serviceRequestEvents).toMatchObject({
        kind: "CREATED",
        request: { id: resolved.serviceRequest.id, category: "PRECISION_ASSISTANCE", urgency: "HIGH", household: { id: householdId } },
      });
    } finally {
      events.close();
    }

    const before = await counts();
    const again = await taiping.expectError("CONFLICT", RESOLVE, { id: alertId, action: "DISMISS", reason: "重复" });
    expect(again.error.message).toBe("This alert is VISIT_SCHEDULED already; only an OPEN alert can be resolved");
    expect(await counts()).toEqual(before);
  });

  test("dismissing keeps the reason; a later expense crossing the threshold raises a new alert", async () => {
    const household = await householdWithIncome(tree.taipingA.id, "0.00", []);
    const alert = (await record(taiping, { householdId: household.id, amount: "15000.00", on: "2025-04-01" })).recordMedicalExpense.monitoringAlert;
    const dismissed = (await server.admin.query(RESOLVE, { id: alert.id, action: "DISMISS", reason: "已享受医疗救助，无需探访" })).resolveMonitoringAlert;
    expect(dismissed).toMatchObject({ status: "DISMISSED", resolution: "已享受医疗救助，无需探访", serviceRequest: null });
    await taiping.expectError("CONFLICT", RESOLVE, { id: alert.id, action: "VISIT" });

    const after = (await record(taiping, { householdId: household.id, amount: "100.00", on: "2025-04-02" })).recordMedicalExpense;
    expect(after.monitoringAlert).toMatchObject({ status: "OPEN", figures: { spending: "15100.00" } });
    expect(after.monitoringAlert.id).not.toBe(alert.id);
  });
});

describe("demo alerts (prisma/seed/alerts.ts)", () => {
  test("open alerts in 温岭市 and dismissed ones elsewhere, each with figures the rule raises on", async () => {
    for (let i = 0; i < 6; i++) {
      await householdWithIncome(i % 2 ? tree.taipingA.id : tree.haimenA.id, String(1500 * i), YEAR_TO_JUNE_2025, 1);
    }
    const before = await prisma().monitoringAlert.findMany({ select: { id: true } });
    const runner = {
      query: async (query: string, params: unknown[] = []) => (await prisma().$queryRawUnsafe(query, ...params)) as never[],
      exec: async (query: string) => void (await prisma().$executeRawUnsafe(query)),
    };
    await loadDemoAlerts(runner, tree.wenling.id);
    const added = await prisma().monitoringAlert.findMany({ where: { id: { notIn: before.map((a) => a.id) } } });
    const wenling = added.filter((a) => a.allianceId !== tree.haimenA.id);
    const elsewhere = added.filter((a) => a.allianceId === tree.haimenA.id);
    expect(wenling.length).toBeGreaterThan(0);
    expect(wenling.every((a) => a.status === "OPEN")).toBe(true);
    expect(elsewhere).toHaveLength(DEMO_ALERTS.dismissedPerCounty);
    expect(elsewhere.every((a) => a.status === "DISMISSED" && a.resolution && a.resolvedAt)).toBe(true);
    for (const alert of added) {
      const figures = alert.figures as { spending: string; income: string; share: number; threshold: string };
      const threshold = Math.max(10000, figures.share * Number(figures.income));
      expect(figures.share).toBe(0.5);
      expect(Number(figures.threshold)).toBeCloseTo(threshold, 2);
      expect(Number(figures.spending)).toBeGreaterThanOrEqual(threshold);
    }
    // The next expense of a demo household with an OPEN alert updates that alert, as the rule would.
    const open = wenling[0];
    const next = (await record(taiping, { householdId: open.householdId, amount: "1.00", on: "2025-06-30" })).recordMedicalExpense;
    expect(next.monitoringAlert.id).toBe(open.id);
  });
});
