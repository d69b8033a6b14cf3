import { createHash } from "node:crypto";
import { DEMO_ACCOUNTS, DEMO_FIGURES, DEMO_SEED, generateDemoDataset, loadDemoDataset, type LoadDemoResult } from "../prisma/seed";
import { DEMO_TOP_UP } from "../prisma/seed/standards";
import { isCreditCode, isResidentId } from "../src/common/validators";
import { Prisma } from "../src/generated/prisma/client";
import { startTestServer, stopAll } from "./helpers/server";

/**
 * The demo dataset, loaded into this file's fresh database the way start-up loads it, answers
 * the bureau's published figures through the API, and is a well-formed city: valid codes and ID
 * numbers, a consistent tree, every reference resolvable, the same rows for the same seed.
 */
let server: Awaited<ReturnType<typeof startTestServer>>;
let loaded: LoadDemoResult;

const STATS = `query ($id: ID!, $from: Date!, $to: Date!) { stats(allianceId: $id, from: $from, to: $to) {
  lowIncomePopulation { total dibao dibaoMarginal extremePoverty otherMonitored }
  projectCount fundingTotal linkedDepartments participatingSocialOrganizations
  householdTimesServed householdsServed visitHouseholdTimes happinessListsDelivered
  alliancesByLevel { level total standard } standardOperationRate openServiceRequests } }`;
const PERIOD = { from: DEMO_FIGURES.from, to: DEMO_FIGURES.to };
const LOAD_TIMEOUT = 600_000;

async function sql<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
  return server.app.deps.db.withConnection((runner) => runner.query<T>(text, params));
}

async function idOf(name: string): Promise<string> {
  const [row] = await sql<{ id: string }>("SELECT id FROM alliance WHERE name = $1 AND level IN ('CITY', 'COUNTY', 'TOWNSHIP')", [name]);
  return row.id;
}

beforeAll(async () => {
  server = await startTestServer({
    async prepare(app) {
      const started = Date.now();
      loaded = await app.deps.db.withConnection((runner) => loadDemoDataset(runner));
      const rows = Object.values(loaded.rows).reduce((sum, n) => sum + n, 0);
      process.stdout.write(`demo dataset: ${rows} rows loaded into ${app.deps.db.kind} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    },
  });
}, LOAD_TIMEOUT);
afterAll(() => stopAll(server));

describe("the demo dataset answers the reference figures", () => {
  test("stats(台州市, 2025-01-01, 2025-06-30) returns every value of the reference table", async () => {
    const city = await idOf("台州市");
    const { stats } = await server.admin.query(STATS, { id: city, ...PERIOD });
    expect(stats).toMatchObject({
      lowIncomePopulation: DEMO_FIGURES.lowIncomePopulation,
      projectCount: DEMO_FIGURES.projectCount,
      fundingTotal: DEMO_FIGURES.fundingTotal,
      linkedDepartments: DEMO_FIGURES.linkedDepartments,
      participatingSocialOrganizations: DEMO_FIGURES.participatingSocialOrganizations,
      householdTimesServed: DEMO_FIGURES.householdTimesServed,
      visitHouseholdTimes: DEMO_FIGURES.visitHouseholdTimes,
      happinessListsDelivered: DEMO_FIGURES.happinessListsDelivered,
      standardOperationRate: DEMO_FIGURES.standardOperationRate,
    });
    expect(stats.lowIncomePopulation).toEqual({ total: 72297, dibao: 57974, dibaoMarginal: 11723, extremePoverty: 2600, otherMonitored: 190000 });
    expect(stats.fundingTotal).toBe("11124000.00");
    expect(stats.openServiceRequests).toBeGreaterThan(0);
  });

  test("servedByMonth for 2025 H1 (a closed period, its months computed from the records) adds up to the reference 户次", async () => {
    const { stats } = await server.admin.query(
      `query ($id: ID!, $from: Date!, $to: Date!) { stats(allianceId: $id, from: $from, to: $to) {
        householdTimesServed servedByMonth { month householdTimes visitHouseholdTimes } } }`,
      { id: await idOf("台州市"), ...PERIOD },
    );
    const months: { month: string; householdTimes: number; visitHouseholdTimes: number }[] = stats.servedByMonth;
    expect(months.map((row) => row.month)).toEqual(["2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06"]);
    expect(months.reduce((total, row) => total + row.householdTimes, 0)).toBe(DEMO_FIGURES.householdTimesServed);
    expect(months.reduce((total, row) => total + row.visitHouseholdTimes, 0)).toBe(DEMO_FIGURES.visitHouseholdTimes);
    expect(stats.householdTimesServed).toBe(DEMO_FIGURES.householdTimesServed);
    expect(months.every((row) => row.householdTimes > 0)).toBe(true);
  });

  test("the welfare-lottery grants of 2024 and 2025 add up to 11,980,000.00", async () => {
    let total = new Prisma.Decimal(0);
    for (const year of [2024, 2025]) {
      const { grants } = await server.admin.query(`query ($year: Int!) { grants(year: $year) { year amount allocated } }`, { year });
      expect(grants.length).toBeGreaterThan(0);
      for (const grant of grants) {
        expect(grant.year).toBe(year);
        expect(new Prisma.Decimal(grant.allocated).lte(grant.amount)).toBe(true);
        total = total.plus(grant.amount);
      }
    }
    expect(total.toFixed(2)).toBe(DEMO_FIGURES.grants2024And2025);
  });

  test.each(["温岭市", "太平街道"])("%s: the API's figures equal those computed independently in SQL", async (name) => {
    const id = await idOf(name);
    const [expected] = await sql<Record<string, number | string>>(
      `WITH RECURSIVE sub(id) AS (
         SELECT id FROM alliance WHERE id = $1
         UNION ALL SELECT a.id FROM alliance a JOIN sub ON a.parent_id = sub.id),
       homes AS (SELECT id FROM household WHERE alliance_id IN (SELECT id FROM sub)),
       -- the category of each household on $3 (from its history) and its members on that day
       on_to AS (
         SELECT h.id, (SELECT c.category FROM household_category_change c
                        WHERE c.household_id = h.id AND c.effective_on <= $3::date
                        ORDER BY c.effective_on DESC, c.recorded_at DESC, c.id DESC LIMIT 1) AS category,
                (SELECT count(*) FROM household_member m WHERE m.household_id = h.id AND m.joined_on <= $3::date
                    AND (m.left_on IS NULL OR m.left_on > $3::date)) AS persons
           FROM household h WHERE h.id IN (SELECT id FROM homes) AND h.recognized_on <= $3::date),
       running AS (
         SELECT id, lead_organization_id FROM service_project
          WHERE alliance_id IN (SELECT id FROM sub) AND status <> 'CANCELLED'
            AND NOT (start_date > $3::date OR COALESCE(end_date, 'infinity'::date) < $2::date))
       SELECT
         (SELECT COALESCE(sum(persons), 0) FROM on_to WHERE category = 'DIBAO')::int AS dibao,
         (SELECT COALESCE(sum(persons), 0) FROM on_to WHERE category = 'DIBAO_MARGINAL')::int AS "dibaoMarginal",
         (SELECT COALESCE(sum(persons), 0) FROM on_to WHERE category = 'EXTREME_POVERTY')::int AS "extremePoverty",
         (SELECT COALESCE(sum(persons), 0) FROM on_to WHERE category = 'OTHER_MONITORED')::int AS "otherMonitored",
         (SELECT count(*) FROM running)::int AS "projectCount",
         (SELECT COALESCE(sum(amount), 0)::numeric(14, 2)::text FROM funding
           WHERE received_on >= $2::date AND received_on <= $3::date AND voided_at IS NULL
             AND project_id IN (SELECT id FROM service_project WHERE alliance_id IN (SELECT id FROM sub))) AS "fundingTotal",
         (SELECT count(*) FROM organization o WHERE o.kind = 'GOVERNMENT_DEPARTMENT' AND (
            o.id IN (SELECT lead_organization_id FROM running)
            OR o.id IN (SELECT organization_id FROM project_partner WHERE project_id IN (SELECT id FROM running))))::int AS "linkedDepartments",
         (SELECT count(*) FROM organization o WHERE o.kind = 'SOCIAL_ORGANIZATION' AND (
            o.id IN (SELECT lead_organization_id FROM running)
            OR o.id IN (SELECT organization_id FROM project_partner WHERE project_id IN (SELECT id FROM running))))::int AS "participatingSocialOrganizations",
         (SELECT count(*) FROM service_record WHERE served_on >= $2::date AND served_on <= $3::date AND voided_at IS NULL
             AND household_id IN (SELECT id FROM homes))::int AS "householdTimesServed",
         (SELECT count(*) FROM homes h WHERE EXISTS (SELECT 1 FROM service_record r
             WHERE r.household_id = h.id AND r.served_on >= $2::date AND r.served_on <= $3::date AND r.voided_at IS NULL))::int AS "householdsServed",
         (SELECT count(*) FROM visit WHERE visited_on >= $2::date AND visited_on <= $3::date AND voided_at IS NULL
             AND household_id IN (SELECT id FROM homes))::int AS "visitHouseholdTimes",
         (SELECT count(*) FROM visit WHERE visited_on >= $2::date AND visited_on <= $3::date AND happiness_list_delivered
             AND voided_at IS NULL AND household_id IN (SELECT id FROM homes))::int AS "happinessListsDelivered",
         (SELECT count(*) FROM service_request WHERE status = 'OPEN' AND alliance_id IN (SELECT id FROM sub))::int AS "openServiceRequests",
         (SELECT count(*) FROM alliance WHERE id IN (SELECT id FROM sub))::int AS alliances,
         (SELECT count(*) FROM alliance WHERE id IN (SELECT id FROM sub) AND operating_status = 'STANDARD')::int AS standard`,
      [id, PERIOD.from, PERIOD.to],
    );
    const { stats } = await server.admin.query(STATS, { id, ...PERIOD });
    expect(stats).toMatchObject({
      lowIncomePopulation: {
        total: Number(expected.dibao) + Number(expected.dibaoMarginal) + Number(expected.extremePoverty),
        dibao: expected.dibao,
        dibaoMarginal: expected.dibaoMarginal,
        extremePoverty: expected.extremePoverty,
        otherMonitored: expected.otherMonitored,
      },
      projectCount: expected.projectCount,
      fundingTotal: expected.fundingTotal,
      linkedDepartments: expected.linkedDepartments,
      participatingSocialOrganizations: expected.participatingSocialOrganizations,
      householdTimesServed: expected.householdTimesServed,
      householdsServed: expected.householdsServed,
      visitHouseholdTimes: expected.visitHouseholdTimes,
      happinessListsDelivered: expected.happinessListsDelivered,
      openServiceRequests: expected.openServiceRequests,
      standardOperationRate: Number(expected.standard) / Number(expected.alliances),
    });
    expect(stats.alliancesByLevel.reduce((sum: number, level: { total: number }) => sum + level.total, 0)).toBe(expected.alliances);
    for (const figure of ["projectCount", "linkedDepartments", "participatingSocialOrganizations", "householdTimesServed", "visitHouseholdTimes"]) {
      expect(expected[figure]).toBeGreaterThan(0);
    }
  });
});

describe("the demo city's standards and top-up", () => {
  const TOP_UP = `query ($id: ID!, $from: Date!, $to: Date!, $on: Date!) {
    stats(allianceId: $id, from: $from, to: $to) { averageTopUp topUpRate }
    standardOn(allianceId: $id, category: DIBAO, date: $on) { monthlyAmount }
    extreme: standardOn(allianceId: $id, category: EXTREME_POVERTY, date: $on) { monthlyAmount } }`;

  test("stats(台州市, May 2025) answers the letter's average top-up 992.21 and rate 0.8666, against the 1,145 standard", async () => {
    const city = await idOf("台州市");
    const may = await server.admin.query(TOP_UP, { id: city, from: DEMO_TOP_UP.from, to: DEMO_TOP_UP.to, on: "2025-05-31" });
    expect(may).toEqual({
      stats: { averageTopUp: DEMO_TOP_UP.averageTopUp, topUpRate: DEMO_TOP_UP.topUpRate },
      standardOn: { monthlyAmount: "1145.00" },
      extreme: { monthlyAmount: "2058.00" },
    });
    const june = await server.admin.query(TOP_UP, { id: city, from: "2025-06-01", to: "2025-06-30", on: "2025-06-01" });
    expect(june.standardOn).toEqual({ monthlyAmount: "1190.00" });
    expect(june.stats).toEqual({ averageTopUp: "1037.21", topUpRate: 0.8716 });
  });

  test("温岭市's supported-job wages are below the minimum wage and left out by its rule; other counties have no such wages", async () => {
    const [row] = await sql<{ wenling: number; elsewhere: number; above: number }>(
      `SELECT count(*) FILTER (WHERE a.path LIKE w.path || '%')::int AS wenling,
              count(*) FILTER (WHERE a.path NOT LIKE w.path || '%')::int AS elsewhere,
              count(*) FILTER (WHERE i.amount > 2490)::int AS above
         FROM member_income i JOIN household h ON h.id = i.household_id JOIN alliance a ON a.id = h.alliance_id
         CROSS JOIN (SELECT path FROM alliance WHERE name = '温岭市') w
        WHERE i.kind = 'SUPPORTED_JOB_WAGE'`,
    );
    expect(row.wenling).toBeGreaterThan(100);
    expect(row).toMatchObject({ elsewhere: 0, above: 0 });
  });
});

describe("the demo city has a history through 2025", () => {
  const MONTHLY = `query ($id: ID!, $from: Date!, $to: Date!) { stats(allianceId: $id, from: $from, to: $to) {
    lowIncomePopulationByMonth { month total dibao dibaoMarginal extremePoverty entered exited } } }`;

  test("lowIncomePopulationByMonth for 2025 H1 equals the month-end figures computed from the category and member histories", async () => {
    // Independently of household_state: each household's category on a day is its latest change
    // on or before it (none before recognition, null from the exit), its persons the members
    // who joined on or before it and had not left.
    const expected = await sql<{ month: string; dibao: number; dibaoMarginal: number; extremePoverty: number; entered: number; exited: number }>(
      `WITH months AS (
         SELECT to_char(m, 'YYYY-MM') AS month, m::date AS starts, ((m + interval '1 month')::date - 1) AS as_of
           FROM generate_series($1::date::timestamp, $2::date::timestamp, interval '1 month') AS m),
       history AS (
         SELECT c.household_id, c.category, c.effective_on AS since,
                lead(c.effective_on) OVER w AS until, lag(c.category) OVER w AS before
           FROM household_category_change c
         WINDOW w AS (PARTITION BY c.household_id ORDER BY c.effective_on, c.recorded_at, c.id)),
       held AS (
         SELECT mo.month, mo.as_of, hi.household_id, hi.category
           FROM months mo JOIN history hi ON hi.since <= mo.as_of AND (hi.until IS NULL OR hi.until > mo.as_of)
          WHERE hi.category IN ('DIBAO', 'DIBAO_MARGINAL', 'EXTREME_POVERTY')),
       counted AS (
         SELECT held.month, held.category, count(*) AS persons
           FROM held JOIN household_member m ON m.household_id = held.household_id
            AND m.joined_on <= held.as_of AND (m.left_on IS NULL OR m.left_on > held.as_of)
          GROUP BY held.month, held.category),
       moves AS (
         SELECT mo.month, hi.household_id, hi.since,
                COALESCE(hi.category IN ('DIBAO', 'DIBAO_MARGINAL', 'EXTREME_POVERTY'), false) AS low,
                COALESCE(hi.before IN ('DIBAO', 'DIBAO_MARGINAL', 'EXTREME_POVERTY'), false) AS was_low
           FROM history hi JOIN months mo ON hi.since BETWEEN mo.starts AND mo.as_of),
       moved AS (
         SELECT mv.month,
                sum((SELECT count(*) FROM household_member m WHERE m.household_id = mv.household_id
                        AND m.joined_on <= mv.since AND (m.left_on IS NULL OR m.left_on > mv.since))) FILTER (WHERE mv.low AND NOT mv.was_low) AS entered,
                sum((SELECT count(*) FROM household_member m WHERE m.household_id = mv.household_id
                        AND m.joined_on <= mv.since - 1 AND (m.left_on IS NULL OR m.left_on > mv.since - 1))) FILTER (WHERE mv.was_low AND NOT mv.low) AS exited
           FROM moves mv GROUP BY mv.month)
       SELECT mo.month,
              COALESCE((SELECT persons FROM counted c WHERE c.month = mo.month AND c.category = 'DIBAO'), 0)::int AS dibao,
              COALESCE((SELECT persons FROM counted c WHERE c.month = mo.month AND c.category = 'DIBAO_MARGINAL'), 0)::int AS "dibaoMarginal",
              COALESCE((SELECT persons FROM counted c WHERE c.month = mo.month AND c.category = 'EXTREME_POVERTY'), 0)::int AS "extremePoverty",
              COALESCE((SELECT entered FROM moved WHERE moved.month = mo.month), 0)::int AS entered,
              COALESCE((SELECT exited FROM moved WHERE moved.month = mo.month), 0)::int AS exited
         FROM months mo ORDER BY mo.month`,
      [PERIOD.from, PERIOD.to],
    );
    const rows = expected.map((r) => ({ ...r, total: r.dibao + r.dibaoMarginal + r.extremePoverty }));
    expect(rows.map((r) => r.month)).toEqual(["2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06"]);
    expect(rows[5]).toMatchObject({ total: 72297, dibao: 57974, dibaoMarginal: 11723, extremePoverty: 2600 });

    const { stats } = await server.admin.query(MONTHLY, { id: await idOf("台州市"), ...PERIOD });
    expect(stats.lowIncomePopulationByMonth).toEqual(rows);
    const totals = rows.map((r) => r.total);
    expect(new Set(totals).size).toBeGreaterThan(1);
    for (const row of rows) {
      // a few hundred persons enter and leave every month
      expect(row.entered).toBeGreaterThan(100);
      expect(row.exited).toBeGreaterThan(50);
      expect(Math.abs(row.total - 72297)).toBeLessThan(3000);
    }
  });

  test("every household's history starts with its registration; records fall between its recognition and its exit", async () => {
    const [broken] = await sql<Record<string, number>>(
      `SELECT
         (SELECT count(*) FROM household h WHERE (SELECT count(*) FROM household_category_change c
             WHERE c.household_id = h.id AND c.kind = 'REGISTERED' AND c.effective_on = h.recognized_on) <> 1)::int AS unregistered,
         (SELECT count(*) FROM household_category_change c JOIN household h ON h.id = c.household_id
           WHERE c.effective_on < h.recognized_on OR c.effective_on > COALESCE(h.exited_on, 'infinity'::date))::int AS "changesOutside",
         (SELECT count(*) FROM household WHERE (created_at AT TIME ZONE 'Asia/Shanghai')::date <> recognized_on)::int AS "createdOtherDay",
         (SELECT count(*) FROM household_member m JOIN household h ON h.id = m.household_id
           WHERE m.joined_on < h.recognized_on OR m.birth_date > m.joined_on)::int AS "membersBefore",
         (SELECT count(*) FROM household h WHERE (h.status = 'EXITED') <> EXISTS (SELECT 1 FROM household_category_change c
             WHERE c.household_id = h.id AND c.kind = 'EXITED' AND c.effective_on = h.exited_on AND c.exit_reason = h.exit_reason))::int AS exits,
         (SELECT count(*) FROM household h WHERE h.category IS DISTINCT FROM (SELECT c.category FROM household_category_change c
             WHERE c.household_id = h.id AND c.kind <> 'EXITED' ORDER BY c.effective_on DESC, c.recorded_at DESC, c.id DESC LIMIT 1))::int AS "notCurrent",
         (SELECT count(*) FROM visit v JOIN household h ON h.id = v.household_id
           WHERE v.visited_on < h.recognized_on OR v.visited_on >= COALESCE(h.exited_on, 'infinity'::date))::int AS visits,
         (SELECT count(*) FROM service_record r JOIN household h ON h.id = r.household_id
           WHERE r.served_on < h.recognized_on OR r.served_on >= COALESCE(h.exited_on, 'infinity'::date))::int AS records,
         (SELECT count(*) FROM household h WHERE NOT EXISTS (SELECT 1 FROM household_state s WHERE s.household_id = h.id))::int AS "withoutState",
         (SELECT count(*) FROM household_assignment a JOIN household h ON h.id = a.household_id
           WHERE a.to_date IS NULL AND (h.status <> 'ACTIVE' OR h.category = 'OTHER_MONITORED'))::int AS "assignedNotLowIncome"`,
    );
    expect(broken).toEqual({
      unregistered: 0, changesOutside: 0, createdOtherDay: 0, membersBefore: 0, exits: 0, notCurrent: 0,
      visits: 0, records: 0, withoutState: 0, assignedNotLowIncome: 0,
    });
    // The history has some of everything: entries in each month of 2025, changes and exits
    // before and after June, each exit reason, births and deaths.
    const [seen] = await sql<Record<string, number>>(
      `SELECT
         (SELECT count(DISTINCT date_trunc('month', recognized_on)) FROM household WHERE recognized_on >= '2025-01-01' AND recognized_on <= '2025-12-31')::int AS "entryMonths",
         (SELECT count(DISTINCT date_trunc('month', effective_on)) FROM household_category_change
           WHERE kind = 'CATEGORY_CHANGED' AND effective_on >= '2025-01-01' AND effective_on <= '2025-12-31')::int AS "changeMonths",
         (SELECT count(DISTINCT date_trunc('month', exited_on)) FROM household WHERE exited_on >= '2025-01-01' AND exited_on <= '2025-12-31')::int AS "exitMonths",
         (SELECT count(DISTINCT exit_reason) FROM household WHERE status = 'EXITED')::int AS "exitReasons",
         (SELECT count(*) FROM household_member_change WHERE kind = 'ADDED')::int AS births,
         (SELECT count(*) FROM household_member_change WHERE kind = 'REMOVED')::int AS deaths,
         (SELECT count(*) FROM household_member WHERE left_on IS NOT NULL)::int AS "membersLeft"`,
    );
    expect(seen).toMatchObject({ entryMonths: 12, changeMonths: 12, exitMonths: 12, exitReasons: 4 });
    expect(seen.births).toBeGreaterThan(100);
    expect(seen.deaths).toBeGreaterThan(100);
    expect(seen.membersLeft).toBe(seen.deaths);
  });

  test("a few visits, service records and fundings of the half-year are voided, and the figures leave them out", async () => {
    const voided = await sql<{ kind: string; n: number; complete: number; in_period: number; lottery: number }>(
      `SELECT 'visit' AS kind, count(*)::int AS n, count(*) FILTER (WHERE voided_by_id IS NOT NULL AND void_reason <> '')::int AS complete,
              count(*) FILTER (WHERE visited_on BETWEEN $1::date AND $2::date)::int AS in_period, 0 AS lottery
         FROM visit WHERE voided_at IS NOT NULL
       UNION ALL
       SELECT 'service_record', count(*)::int, count(*) FILTER (WHERE voided_by_id IS NOT NULL AND void_reason <> '')::int,
              count(*) FILTER (WHERE served_on BETWEEN $1::date AND $2::date)::int, 0
         FROM service_record WHERE voided_at IS NOT NULL
       UNION ALL
       SELECT 'funding', count(*)::int, count(*) FILTER (WHERE voided_by_id IS NOT NULL AND void_reason <> '')::int,
              count(*) FILTER (WHERE received_on BETWEEN $1::date AND $2::date)::int, count(*) FILTER (WHERE source = 'WELFARE_LOTTERY')::int
         FROM funding WHERE voided_at IS NOT NULL`,
      [PERIOD.from, PERIOD.to],
    );
    expect(voided.sort((a, b) => a.kind.localeCompare(b.kind))).toEqual([
      { kind: "funding", n: 2, complete: 2, in_period: 2, lottery: 1 },
      { kind: "service_record", n: 3, complete: 3, in_period: 3, lottery: 0 },
      { kind: "visit", n: 3, complete: 3, in_period: 3, lottery: 0 },
    ]);
    const [all] = await sql<{ visits: number; records: number; funding: string }>(
      `SELECT (SELECT count(*) FROM visit WHERE visited_on BETWEEN $1::date AND $2::date)::int AS visits,
              (SELECT count(*) FROM service_record WHERE served_on BETWEEN $1::date AND $2::date)::int AS records,
              (SELECT sum(amount)::numeric(14, 2)::text FROM funding WHERE received_on BETWEEN $1::date AND $2::date) AS funding`,
      [PERIOD.from, PERIOD.to],
    );
    expect(all.visits).toBe(DEMO_FIGURES.visitHouseholdTimes + 3);
    expect(all.records).toBe(DEMO_FIGURES.householdTimesServed + 3);
    expect(all.funding).not.toBe(DEMO_FIGURES.fundingTotal);
    const { stats } = await server.admin.query(STATS, { id: await idOf("台州市"), ...PERIOD });
    expect(stats).toMatchObject({
      visitHouseholdTimes: DEMO_FIGURES.visitHouseholdTimes,
      householdTimesServed: DEMO_FIGURES.householdTimesServed,
      fundingTotal: DEMO_FIGURES.fundingTotal,
    });
  });

  test("H1 2025 is closed in the demo city: closedThrough 2025-06-30, closed by the demo admin", async () => {
    const city = await idOf("台州市");
    const { alliance } = await server.admin.query(`query ($id: ID!) { alliance(id: $id) { name closedThrough } }`, { id: city });
    expect(alliance).toEqual({ name: "台州市", closedThrough: "2025-06-30" });
    const closes = await sql<{ through: string; username: string }>(
      `SELECT r.through::text AS through, a.username FROM reporting_close r JOIN account a ON a.id = r.closed_by_id WHERE r.alliance_id = $1`,
      [city],
    );
    expect(closes).toEqual([{ through: "2025-06-30", username: "demo-admin" }]);
  });
});

describe("the demo accounts", () => {
  const account = (username: string) => DEMO_ACCOUNTS.find((a) => a.username === username)!;
  const login = (username: string) => server.login(username, account(username).password);

  test("the 温岭市 coordinator gets FORBIDDEN city-wide and its county's figures for 温岭市", async () => {
    const coordinator = await login("wenling-coordinator");
    const [city, wenling] = [await idOf("台州市"), await idOf("温岭市")];
    await coordinator.expectError("FORBIDDEN", STATS, { id: city, ...PERIOD });
    const own = await coordinator.query(STATS, { id: wenling, ...PERIOD });
    expect(own).toEqual(await server.admin.query(STATS, { id: wenling, ...PERIOD }));
    expect(own.stats.projectCount).toBeGreaterThan(0);
  });

  test("the ADMIN, the 太平街道 coordinator and the partner sign in, each with their own reach", async () => {
    const admin = await login("demo-admin");
    expect((await admin.query(STATS, { id: await idOf("台州市"), ...PERIOD })).stats.projectCount).toBe(DEMO_FIGURES.projectCount);
    const taiping = await login("taiping-coordinator");
    expect((await taiping.query(STATS, { id: await idOf("太平街道"), ...PERIOD })).stats.openServiceRequests).toBeGreaterThan(0);
    await taiping.expectError("FORBIDDEN", STATS, { id: await idOf("温岭市"), ...PERIOD });
    const partner = await login("wenling-partner");
    const { me } = await partner.query(`{ me { role organization { name kind } } }`);
    expect(me).toEqual({ role: "PARTNER", organization: { name: "温岭市阳光社会工作服务中心", kind: "SOCIAL_ORGANIZATION" } });
  });

  test("the department account (温岭市民政局) sees its own joint-handling tasks, of its items, and no one else's", async () => {
    const department = await login("wenling-civil-affairs");
    const { me } = await department.query(`{ me { role organization { name kind } } }`);
    expect(me).toEqual({ role: "PARTNER", organization: { name: "温岭市民政局", kind: "GOVERNMENT_DEPARTMENT" } });
    const { jointHandlingTasks } = await department.query(`{ jointHandlingTasks(first: 100) {
      totalCount nodes { status item { code } department { name } } } }`);
    expect(jointHandlingTasks.totalCount).toBeGreaterThan(0);
    for (const task of jointHandlingTasks.nodes) {
      expect(task.department.name).toBe("温岭市民政局");
      expect(["CHARITY_AID", "ELECTRICITY_RELIEF", "TEMPORARY_AID"]).toContain(task.item.code);
    }
    // Other counties' tasks, and other departments' in 温岭市, are not its to see.
    const admin = await login("demo-admin");
    const all = await admin.query(`{ jointHandlingTasks(first: 1) { totalCount } }`);
    expect(all.jointHandlingTasks.totalCount).toBeGreaterThan(jointHandlingTasks.totalCount);
  });

  test("the partner's organization holds about 40 active assignments made by the 温岭市 coordinator (unmasked) and some ended ones", async () => {
    const partner = await login("wenling-partner");
    const coordinator = await login("wenling-coordinator");
    const coordinatorId = (await coordinator.query(`{ me { id } }`)).me.id;
    const active = await partner.query(`{ assignments(active: true, first: 100) {
      totalCount nodes { from to assignedBy { id username } household { id headName idNumber } } } }`);
    expect(active.assignments.totalCount).toBe(40);
    for (const node of active.assignments.nodes) {
      expect(node).toMatchObject({ from: "2025-01-01", to: null, assignedBy: { id: coordinatorId, username: "wenling-coordinator" } });
      expect(node.household.headName).not.toContain("*");
      expect(isResidentId(node.household.idNumber)).toBe(true);
    }
    const ended = await partner.query(`{ assignments(active: false, first: 100) { totalCount nodes { to household { headName idNumber } } } }`);
    expect(ended.assignments.totalCount).toBe(5);
    expect(ended.assignments.nodes.every((n: { household: { headName: string } }) => n.household.headName.endsWith("**"))).toBe(true);
    const first = await partner.query(`{ households(first: 3) { nodes { id headName idNumber } } }`);
    const assigned = new Set(active.assignments.nodes.map((n: { household: { id: string } }) => n.household.id));
    for (const node of first.households.nodes) {
      if (!assigned.has(node.id)) expect(node.headName).toMatch(/^\p{Script=Han}{1,2}\*\*$/u);
    }
  });
});

describe("the benchmark's reads cost a fixed number of SQL statements on the demo city", () => {
  const FEED = `query ($first: Int!) { serviceRequests(first: $first, filter: { status: [OPEN] }) {
    nodes { id title category urgency createdAt alliance { name } household { headName } } } }`;
  const TREE = `{ allianceRoots { name children(first: 20) { nodes { name children(first: 20) { nodes {
    name children(first: 20) { nodes { name } } } } } } } }`;
  const PROJECTS = `{ projects(first: 50) { nodes { id name status startDate budget leadOrganization { name } fundings { source amount receivedOn } } } }`;

  /** Statements of the second of two identical requests (the first warms the token's account check). */
  async function statementsOf(client: typeof server.admin, query: string, variables?: Record<string, unknown>) {
    await client.query(query, variables);
    const before = server.statements();
    const data = await client.query(query, variables);
    return { statements: server.statements() - before, data };
  }

  test("ADMIN: the feed 2 (the page with its alliances and households, the access record), the tree 4, projects 3, city stats 2 closed (stored) and 5 open", async () => {
    const admin = await server.login("demo-admin", DEMO_ACCOUNTS.find((a) => a.username === "demo-admin")!.password);
    const feed = await statementsOf(admin, FEED, { first: 50 });
    expect(feed.data.serviceRequests.nodes).toHaveLength(50);
    expect(feed.statements).toBe(2);
    const tree = await statementsOf(admin, TREE);
    expect(tree.data.allianceRoots[0].children.nodes.length).toBe(9);
    expect(tree.statements).toBe(4);
    const projects = await statementsOf(admin, PROJECTS);
    expect(projects.data.projects.nodes).toHaveLength(50);
    expect(projects.statements).toBe(3);
    // H1 2025 is closed in the demo city: its figures are the stored ones (computed on the first ask).
    const stats = await statementsOf(admin, STATS, { id: await idOf("台州市"), ...PERIOD });
    expect(stats.data.stats.projectCount).toBe(DEMO_FIGURES.projectCount);
    expect(stats.statements).toBe(1);
    // A period that ends after the closed date is computed live: the alliance (with its closed
    // date and any stored figures), and the three statements of the figures.
    const open = await statementsOf(admin, STATS, { id: await idOf("台州市"), from: "2025-01-01", to: "2025-09-30" });
    expect(open.data.stats.lowIncomePopulation.total).toBeGreaterThan(0);
    expect(open.statements).toBe(4);
  });

  test("PARTNER: the feed 3 (scope, the page with its alliances and households, their grounds) and the access record when something shows unmasked", async () => {
    const partner = await server.login("wenling-partner", DEMO_ACCOUNTS.find((a) => a.username === "wenling-partner")!.password);
    const feed = await statementsOf(partner, FEED, { first: 50 });
    expect(feed.data.serviceRequests.nodes.length).toBeGreaterThan(0);
    expect(feed.data.serviceRequests.nodes.some((n: any) => n.household && /\*/.test(n.household.headName))).toBe(true);
    expect(feed.statements).toBeLessThanOrEqual(4);
  });
});

describe("the demo dataset is a well-formed city", () => {
  test("the nine real counties with their codes; 温岭市 has 太平街道 and 石桥头镇; codes and paths follow the tree", async () => {
    const counties = await sql<{ name: string; region_code: string }>("SELECT name, region_code FROM alliance WHERE level = 'COUNTY' ORDER BY region_code");
    expect(counties.map((c) => `${c.name} ${c.region_code}`)).toEqual([
      "椒江区 331002", "黄岩区 331003", "路桥区 331004", "三门县 331022", "天台县 331023", "仙居县 331024", "温岭市 331081", "临海市 331082", "玉环市 331083",
    ]);
    const wenlingTownships = await sql<{ name: string }>(
      "SELECT t.name FROM alliance t JOIN alliance c ON c.id = t.parent_id WHERE c.name = '温岭市' AND t.name IN ('太平街道', '石桥头镇')",
    );
    expect(wenlingTownships.map((t) => t.name).sort()).toEqual(["太平街道", "石桥头镇"]);
    const [broken] = await sql<{ codes: number; paths: number; roots: number }>(
      `SELECT count(*) FILTER (WHERE length(a.region_code) <> CASE a.level WHEN 'CITY' THEN 6 WHEN 'COUNTY' THEN 6 WHEN 'TOWNSHIP' THEN 9 ELSE 12 END
                                 OR (a.level = 'COUNTY' AND left(a.region_code, 4) <> left(p.region_code, 4))
                                 OR (a.level IN ('TOWNSHIP', 'VILLAGE') AND left(a.region_code, length(p.region_code)) <> p.region_code))::int AS codes,
              count(*) FILTER (WHERE a.path <> COALESCE(p.path, '/') || a.id || '/')::int AS paths,
              count(*) FILTER (WHERE p.id IS NULL)::int AS roots
         FROM alliance a LEFT JOIN alliance p ON p.id = a.parent_id`,
    );
    expect(broken).toEqual({ codes: 0, paths: 0, roots: 1 });
  });

  test("credit codes and ID numbers carry valid check characters; every household has its size in current members", async () => {
    const codes = await sql<{ credit_code: string }>("SELECT credit_code FROM organization WHERE credit_code IS NOT NULL");
    expect(codes.length).toBeGreaterThan(400);
    expect(codes.filter((c) => !isCreditCode(c.credit_code))).toEqual([]);
    const kinds = await sql<{ kind: string }>("SELECT DISTINCT kind::text AS kind FROM organization ORDER BY 1");
    expect(kinds).toHaveLength(7);
    const ids = await sql<{ id_number: string }>("SELECT id_number FROM household");
    expect(ids.filter((h) => !isResidentId(h.id_number))).toEqual([]);
    const [sizes] = await sql<{ wrong: number }>(
      `SELECT count(*)::int AS wrong FROM household h
         LEFT JOIN (SELECT household_id, count(*) AS members FROM household_member WHERE left_on IS NULL GROUP BY household_id) m
           ON m.household_id = h.id
        WHERE m.members IS DISTINCT FROM h.size`,
    );
    expect(sizes.wrong).toBe(0);
  });

  test("every reference resolves (the loader skips foreign-key triggers where it may), grants' allocated matches their non-voided fundings", async () => {
    const references: [string, string, string][] = [
      ["alliance", "parent_id", "alliance"],
      ["alliance_membership", "organization_id", "organization"],
      ["alliance_membership", "alliance_id", "alliance"],
      ["account", "alliance_id", "alliance"],
      ["account", "organization_id", "organization"],
      ["service_project", "alliance_id", "alliance"],
      ["service_project", "lead_organization_id", "organization"],
      ["project_partner", "project_id", "service_project"],
      ["project_partner", "organization_id", "organization"],
      ["funding", "project_id", "service_project"],
      ["funding", "grant_id", "welfare_lottery_grant"],
      ["welfare_lottery_grant", "alliance_id", "alliance"],
      ["household", "alliance_id", "alliance"],
      ["household_member", "household_id", "household"],
      ["household_category_change", "household_id", "household"],
      ["household_category_change", "recorded_by_id", "account"],
      ["household_member_change", "household_id", "household"],
      ["household_member_change", "member_id", "household_member"],
      ["household_member_change", "recorded_by_id", "account"],
      ["household_state", "household_id", "household"],
      ["visit", "voided_by_id", "account"],
      ["service_record", "voided_by_id", "account"],
      ["funding", "voided_by_id", "account"],
      ["reporting_close", "alliance_id", "alliance"],
      ["reporting_close", "closed_by_id", "account"],
      ["visit", "household_id", "household"],
      ["visit", "organization_id", "organization"],
      ["service_record", "project_id", "service_project"],
      ["service_record", "household_id", "household"],
      ["service_record", "organization_id", "organization"],
      ["service_record", "service_request_id", "service_request"],
      ["service_request", "alliance_id", "alliance"],
      ["service_request", "household_id", "household"],
      ["service_request", "visit_id", "visit"],
      ["service_request", "claimed_by_id", "organization"],
      ["service_request", "raised_by_organization_id", "organization"],
      ["household_assignment", "household_id", "household"],
      ["household_assignment", "organization_id", "organization"],
      ["household_assignment", "assigned_by_id", "account"],
    ];
    const dangling = await sql<{ reference: string; missing: number }>(
      references
        .map(([table, column, target]) =>
          `SELECT '${table}.${column}' AS reference, count(*)::int AS missing FROM "${table}" t
            WHERE t.${column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "${target}" x WHERE x.id = t.${column})`,
        )
        .join(" UNION ALL "),
    );
    expect(dangling.filter((d) => d.missing > 0)).toEqual([]);
    const [grants] = await sql<{ mismatched: number; outside: number; not_lottery: number }>(
      `SELECT
         (SELECT count(*) FROM welfare_lottery_grant g
           WHERE g.allocated <> (SELECT COALESCE(sum(amount), 0) FROM funding f WHERE f.grant_id = g.id AND f.voided_at IS NULL))::int AS mismatched,
         (SELECT count(*) FROM funding f JOIN welfare_lottery_grant g ON g.id = f.grant_id
            JOIN service_project p ON p.id = f.project_id JOIN alliance pa ON pa.id = p.alliance_id
            JOIN alliance ga ON ga.id = g.alliance_id
           WHERE pa.path NOT LIKE ga.path || '%')::int AS outside,
         (SELECT count(*) FROM funding WHERE (grant_id IS NULL) = (source = 'WELFARE_LOTTERY'))::int AS not_lottery`,
    );
    expect(grants).toEqual({ mismatched: 0, outside: 0, not_lottery: 0 });
  });

  test("the same seed gives the same rows", async () => {
    const { rows } = generateDemoDataset(DEMO_SEED);
    const digest = (values: string[]) => createHash("sha256").update(values.sort().join("\n")).digest("hex");
    const households = await sql<{ line: string }>("SELECT id || ' ' || id_number || ' ' || size AS line FROM household");
    expect(digest(households.map((h) => h.line))).toBe(digest(rows.household.map((h) => `${h[0]} ${h[4]} ${h[5]}`)));
    const records = await sql<{ line: string }>("SELECT id || ' ' || household_id || ' ' || served_on::text AS line FROM service_record");
    expect(digest(records.map((r) => r.line))).toBe(digest(rows.service_record.map((r) => `${r[0]} ${r[2]} ${r[4]}`)));
    const changes = await sql<{ line: string }>("SELECT id || ' ' || household_id || ' ' || kind || ' ' || effective_on::text AS line FROM household_category_change");
    expect(digest(changes.map((c) => c.line))).toBe(digest(rows.household_category_change.map((c) => `${c[0]} ${c[1]} ${c[2]} ${c[4]}`)));
    expect(loaded.landmarks?.cityId).toBe(await idOf("台州市"));
  });

  test("loading again into a database that has data writes nothing", async () => {
    const [before] = await sql<{ n: number }>("SELECT count(*)::int AS n FROM household");
    const again = await server.app.deps.db.withConnection((runner) => loadDemoDataset(runner));
    expect(again.loaded).toBe(false);
    const [after] = await sql<{ n: number }>("SELECT count(*)::int AS n FROM household");
    expect(after.n).toBe(before.n);
  }, LOAD_TIMEOUT);
});
