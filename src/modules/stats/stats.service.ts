import { inScope, type Scope, type Viewer } from "../../auth";
import { AllianceLevel, AssistanceCategory, FundingSource } from "../../common/enums";
import { requireId } from "../../common/ids";
import { isoDate } from "../../common/scalars";
import type { App } from "../../context";
import { badInput, forbidden, notFound } from "../../errors";
import { Prisma } from "../../generated/prisma/client";
import { memoize } from "../../common/pagination";
import { ReportingService, type StoredLookup } from "../reporting";
import { assessedSql } from "../standard";
import type { AllianceStats, MonthlyPopulation, MonthServed } from "./stats.types";

/** The subtree root a figure is computed for: an alliance already known to be in the viewer's scope or checked here. */
export interface StatsRoot {
  id: string;
  path: string;
  level: AllianceLevel | string;
}

export interface StatsPeriod {
  from: Date;
  to: Date;
}

/** The AllianceStats fields with one row per month of the period. */
export const MONTHLY_FIELDS = ["lowIncomePopulationByMonth", "servedByMonth"] as const;
export type MonthlyField = (typeof MONTHLY_FIELDS)[number];

/** The most calendar months a period may touch when a monthly field is asked for. */
export const MAX_MONTHS = 120;

/** How a `stats` call is asked: which monthly fields are selected (bounded by MAX_MONTHS), and the stored lookup already made. */
export interface StatsOptions {
  monthlyFields?: readonly MonthlyField[];
  known?: ReadonlyMap<string, StoredLookup>;
}

/** The calendar months [from, to] touches, both ends' months included. */
function monthsTouched(period: StatsPeriod): number {
  const index = (date: Date) => date.getUTCFullYear() * 12 + date.getUTCMonth();
  return index(period.to) - index(period.from) + 1;
}

const LEVELS = Object.values(AllianceLevel);
const SOURCES = Object.values(FundingSource);

/**
 * Figures for coordinators, computed by SQL aggregation over whole subtrees (`path LIKE '<path>%'`).
 * Every method takes any number of roots and sends the same three statements, so `Alliance.stats`
 * on a page of alliances costs no more statements than `Query.stats` on one.
 *
 * Definitions (the contract's field descriptions, made precise):
 * - a project is "active in the period" when `start_date <= to` and `end_date` is null or `>= from`,
 *   and it is not CANCELLED (a cancelled project served no one); projects belong to the subtree of
 *   their own alliance, and so do their fundings;
 * - an organization "takes part" in a project as its lead or as a partner;
 * - fundings count by `received_on` in the period, whatever the project's status; for a PARTNER
 *   only those of projects its organization leads or partners in (its own money, not others');
 * - service records and visits count by `served_on` / `visited_on` in the period, and belong to
 *   the subtree of the household's alliance (户次 of the households living there);
 * - voided fundings, service records and visits (`voided_at` set) never count;
 * - the population is as of `to`: the persons of the spans (`household_state`, derived from the
 *   category and member histories) that hold on that day, by their category; a household counts
 *   from its recognition day and no longer from its exit day;
 * - `lowIncomePopulationByMonth`: for each calendar month the period touches, the population as
 *   of the month's last day (or `to`), and the persons of spans starting in the month (and in the
 *   period) that entered or left the low-income categories; computed only when selected, in one
 *   statement for all the roots of a call;
 * - `servedByMonth`: the service records and visits above by the calendar month of their day,
 *   one row per month the period touches (0 when none); computed only when selected, in one
 *   statement for all the roots of a call, and always from the records, closed periods included
 *   (their records change only through ADMIN corrections, which also update the stored
 *   figures, so the months add up to the stored householdTimesServed and visitHouseholdTimes);
 * - a monthly field over a period touching more than MAX_MONTHS months is BAD_USER_INPUT naming it;
 * - alliances by level, the operating rate, open requests and open monitoring alerts are snapshots of now, not limited by the period.
 */
export class StatsService {
  constructor(private readonly app: App) {}

  /**
   * Figures for one alliance and its subtree over [from, to]: NOT_FOUND for an unknown alliance,
   * FORBIDDEN outside the viewer's scope, BAD_USER_INPUT naming `to` when `to` is before `from`
   * and naming the first of `monthlyFields` when the period touches more than MAX_MONTHS months.
   */
  async forAlliance(
    viewer: Viewer | null,
    allianceId: string,
    period: StatsPeriod,
    monthlyFields: readonly MonthlyField[] = [],
  ): Promise<AllianceStats> {
    const scope = await this.app.deps.scopes.of(viewer);
    const id = requireId(allianceId, "allianceId");
    // The alliance and what is stored for it in one statement (what scopes.requireAlliance checks).
    const found = await this.app.get(ReportingService).allianceForFigures(id, period);
    if (!found) throw notFound("Alliance");
    if (!inScope(scope, found.path)) throw forbidden("This alliance is outside your scope");
    const { closed, figures, ...alliance } = found;
    const [stats] = await this.forAlliances(viewer, [alliance], period, { monthlyFields, known: new Map([[alliance.id, { closed, figures }]]) });
    return stats;
  }

  /**
   * SQL over `service_project p`: the projects whose money the viewer's figures count. A
   * PARTNER counts only projects its organization leads or partners in; others count all.
   */
  private countedFundingsSql(viewer: Viewer | null, scope: Scope): Prisma.Sql {
    if (scope.all || viewer?.role !== "PARTNER") return Prisma.sql`TRUE`;
    const organizationId = scope.organizationId;
    if (!organizationId) return Prisma.sql`FALSE`;
    return Prisma.sql`(p.lead_organization_id = ${organizationId}::uuid OR EXISTS (
      SELECT 1 FROM project_partner fpp WHERE fpp.project_id = p.id AND fpp.organization_id = ${organizationId}::uuid))`;
  }

  /**
   * Figures for several subtrees at once, in the order of `roots`. Each root must lie in the
   * viewer's scope (FORBIDDEN otherwise); a subtree of a node in scope is in scope as a whole, so
   * nothing below needs filtering. Periods closed for a root answer their stored figures (see
   * ReportingService.figures; servedByMonth live where they predate its storing); the others are
   * computed (computeFigures).
   * BAD_USER_INPUT, before anything is read or stored, when the period ends before it starts or
   * touches more than MAX_MONTHS months and `options.monthlyFields` asks for a monthly field.
   */
  async forAlliances(
    viewer: Viewer | null,
    roots: readonly StatsRoot[],
    period: StatsPeriod,
    options: StatsOptions = {},
  ): Promise<AllianceStats[]> {
    const scope = await this.app.deps.scopes.of(viewer);
    if (period.to.getTime() < period.from.getTime()) {
      throw badInput("to", `the period must not end (${isoDate(period.to)}) before it starts (${isoDate(period.from)})`);
    }
    const months = monthsTouched(period);
    const [monthlyField] = options.monthlyFields ?? [];
    if (monthlyField && months > MAX_MONTHS) {
      throw badInput(
        monthlyField,
        `gives one row per month, at most ${MAX_MONTHS}; the period ${isoDate(period.from)} to ${isoDate(period.to)} touches ${months} months: ask for a shorter period, or leave ${monthlyField} out`,
        { months, maxMonths: MAX_MONTHS },
      );
    }
    if (roots.some((root) => !inScope(scope, root.path))) throw forbidden("This alliance is outside your scope");
    if (roots.length === 0) return [];
    const byId = new Map(roots.map((root) => [root.id, root]));
    const answers = await this.app.get(ReportingService).figures(
      viewer,
      roots,
      period,
      (asked) => this.computeFigures(viewer, scope, asked.map((root) => byId.get(root.id)!), period),
      options.known,
    );
    // Figures stored before servedByMonth was stored with them carry none: it is computed live for their roots.
    const stored = roots.filter((_, i) => !answers[i].servedByMonth);
    if (stored.length === 0) return answers;
    const servedMonths = memoize(() => this.servedByMonth(this.subtreesSql(stored), period));
    return answers.map((stats, i) =>
      stats.servedByMonth ? stats : { ...stats, servedByMonth: async () => (await servedMonths()).get(roots[i].id) ?? [] },
    );
  }

  /**
   * SQL common table expressions over the subtrees of `roots`: `roots` (id, path); `within`, every
   * alliance in any of the subtrees (a prefix LIKE the planner can estimate); `tree`, which root
   * each of them counts for. Facts are first summed per alliance of `within`, then per root, so
   * the large tables are read once whatever the number of roots.
   */
  private subtreesSql(roots: readonly StatsRoot[]): Prisma.Sql {
    return Prisma.sql`
      roots AS (SELECT r.id, r.path FROM unnest(${roots.map((r) => r.id)}::uuid[], ${roots.map((r) => r.path)}::text[]) AS r(id, path)),
      within AS (SELECT a.id, a.path, a.level, a.operating_status FROM alliance a WHERE a.path LIKE ANY(${roots.map((r) => `${r.path}%`)}::text[])),
      tree AS (SELECT r.id AS root_id, w.id AS alliance_id, w.level, w.operating_status FROM roots r JOIN within w ON w.path LIKE r.path || '%')`;
  }

  /**
   * Figures computed from the records for several subtrees, in the order of `roots`, as the
   * viewer (with `scope`) sees them: three statements whatever their number, and one more for
   * all their `lowIncomePopulationByMonth`, `servedByMonth` or top-up figures when each is first
   * asked for. No scope check here: the caller's (the viewer only shapes which money counts for
   * a PARTNER).
   */
  async computeFigures(viewer: Viewer | null, scope: Scope, roots: readonly StatsRoot[], period: StatsPeriod): Promise<AllianceStats[]> {
    if (roots.length === 0) return [];
    const from = isoDate(period.from);
    const to = isoDate(period.to);
    const countedFundings = this.countedFundingsSql(viewer, scope);
    const subtrees = this.subtreesSql(roots);

    // Three statements run side by side: the light figures in one, and each of the two large
    // tables (service records, visits) in its own, summed per household first so that counting
    // distinct households needs no sort.
    const [figures, served, visited] = await Promise.all([
      this.app.deps.db.rows<{ root_id: string; kind: string; key: string | null; n1: number; n2: number; n3: number; amount: string | null }>(Prisma.sql`
        WITH ${subtrees},
        population AS (
          SELECT s.alliance_id, s.category, sum(s.persons) AS persons
            FROM household_state s
           WHERE s.alliance_id IN (SELECT id FROM within)
             AND s.valid_from <= ${to}::date AND (s.valid_to IS NULL OR s.valid_to > ${to}::date)
             AND s.category IS NOT NULL
           GROUP BY s.alliance_id, s.category),
        active AS (
          SELECT t.root_id, p.id, p.lead_organization_id
            FROM service_project p JOIN tree t ON t.alliance_id = p.alliance_id
           WHERE p.alliance_id IN (SELECT id FROM within)
             AND p.status <> 'CANCELLED' AND p.start_date <= ${to}::date
             AND (p.end_date IS NULL OR p.end_date >= ${from}::date)),
        taking_part AS (
          SELECT root_id, lead_organization_id AS organization_id FROM active
          UNION
          SELECT a.root_id, pp.organization_id FROM active a JOIN project_partner pp ON pp.project_id = a.id),
        organizations AS (
          SELECT t.root_id,
                 count(*) FILTER (WHERE o.kind = 'GOVERNMENT_DEPARTMENT') AS departments,
                 count(*) FILTER (WHERE o.kind = 'SOCIAL_ORGANIZATION') AS social_organizations
            FROM taking_part t JOIN organization o ON o.id = t.organization_id
           GROUP BY t.root_id),
        counted AS (SELECT root_id, count(*) AS projects FROM active GROUP BY root_id),
        money AS (
          SELECT p.alliance_id, f.source, sum(f.amount) AS amount
            FROM funding f JOIN service_project p ON p.id = f.project_id
           WHERE p.alliance_id IN (SELECT id FROM within)
             AND f.received_on BETWEEN ${from}::date AND ${to}::date AND f.voided_at IS NULL
             AND ${countedFundings}
           GROUP BY p.alliance_id, f.source)
        SELECT root_id::text AS root_id, 'level' AS kind, level::text AS key, count(*)::int AS n1,
               count(*) FILTER (WHERE operating_status = 'STANDARD')::int AS n2, 0 AS n3, NULL AS amount
          FROM tree GROUP BY root_id, level
        UNION ALL
        SELECT t.root_id::text, 'population', p.category::text, sum(p.persons)::int, 0, 0, NULL
          FROM tree t JOIN population p ON p.alliance_id = t.alliance_id
         GROUP BY t.root_id, p.category
        UNION ALL
        SELECT r.id::text, 'projects', NULL, COALESCE(c.projects, 0)::int, COALESCE(o.departments, 0)::int,
               COALESCE(o.social_organizations, 0)::int, NULL
          FROM roots r LEFT JOIN counted c ON c.root_id = r.id LEFT JOIN organizations o ON o.root_id = r.id
        UNION ALL
        SELECT t.root_id::text, 'funding', m.source::text, 0, 0, 0, sum(m.amount)::text
          FROM tree t JOIN money m ON m.alliance_id = t.alliance_id
         GROUP BY GROUPING SETS ((t.root_id, m.source), (t.root_id))`),
      this.app.deps.db.rows<{ root_id: string; service_records: number; households_served: number; open_requests: number; open_alerts: number }>(Prisma.sql`
        WITH ${subtrees},
        per_household AS (
          SELECT household_id, count(*) AS records FROM service_record
           WHERE served_on BETWEEN ${from}::date AND ${to}::date AND voided_at IS NULL GROUP BY household_id),
        served AS (
          SELECT h.alliance_id, sum(r.records) AS records, count(*) AS households
            FROM per_household r JOIN household h ON h.id = r.household_id
           WHERE h.alliance_id IN (SELECT id FROM within)
           GROUP BY h.alliance_id),
        open AS (
          SELECT q.alliance_id, count(*) AS requests
            FROM service_request q
           WHERE q.alliance_id IN (SELECT id FROM within) AND q.status = 'OPEN'
           GROUP BY q.alliance_id),
        alerts AS (
          SELECT ma.alliance_id, count(*) AS alerts
            FROM monitoring_alert ma
           WHERE ma.alliance_id IN (SELECT id FROM within) AND ma.status = 'OPEN'
           GROUP BY ma.alliance_id)
        SELECT r.id::text AS root_id,
               COALESCE(sum(served.records), 0)::int AS service_records,
               COALESCE(sum(served.households), 0)::int AS households_served,
               COALESCE(sum(open.requests), 0)::int AS open_requests,
               COALESCE(sum(alerts.alerts), 0)::int AS open_alerts
          FROM roots r
          JOIN tree t ON t.root_id = r.id
          LEFT JOIN served ON served.alliance_id = t.alliance_id
          LEFT JOIN open ON open.alliance_id = t.alliance_id
          LEFT JOIN alerts ON alerts.alliance_id = t.alliance_id
         GROUP BY r.id`),
      this.app.deps.db.rows<{ root_id: string; visits: number; happiness_lists: number }>(Prisma.sql`
        WITH ${subtrees},
        per_household AS (
          SELECT household_id, count(*) AS visits, count(*) FILTER (WHERE happiness_list_delivered) AS happiness_lists
            FROM visit WHERE visited_on BETWEEN ${from}::date AND ${to}::date AND voided_at IS NULL GROUP BY household_id),
        visited AS (
          SELECT h.alliance_id, sum(v.visits) AS visits, sum(v.happiness_lists) AS happiness_lists
            FROM per_household v JOIN household h ON h.id = v.household_id
           WHERE h.alliance_id IN (SELECT id FROM within)
           GROUP BY h.alliance_id)
        SELECT r.id::text AS root_id,
               COALESCE(sum(visited.visits), 0)::int AS visits,
               COALESCE(sum(visited.happiness_lists), 0)::int AS happiness_lists
          FROM roots r
          JOIN tree t ON t.root_id = r.id
          LEFT JOIN visited ON visited.alliance_id = t.alliance_id
         GROUP BY r.id`),
    ]);

    const monthly = memoize(() => this.monthlyPopulation(subtrees, period));
    const topUps = memoize(() => this.topUps(subtrees, period));
    const servedMonths = memoize(() => this.servedByMonth(subtrees, period));
    return roots.map((root) => {
      const levels = LEVELS.slice(Math.max(0, LEVELS.indexOf(root.level as AllianceLevel)));
      const alliancesByLevel = levels.map((level) => {
        const row = figures.find((f) => f.root_id === root.id && f.kind === "level" && f.key === level);
        return { level, total: row?.n1 ?? 0, standard: row?.n2 ?? 0 };
      });
      const allianceTotal = alliancesByLevel.reduce((sum, l) => sum + l.total, 0);
      const standardTotal = alliancesByLevel.reduce((sum, l) => sum + l.standard, 0);

      const persons = (category: AssistanceCategory) =>
        figures.find((f) => f.root_id === root.id && f.kind === "population" && f.key === category)?.n1 ?? 0;
      const dibao = persons("DIBAO");
      const dibaoMarginal = persons("DIBAO_MARGINAL");
      const extremePoverty = persons("EXTREME_POVERTY");

      const money = (source: FundingSource | null) =>
        new Prisma.Decimal(figures.find((f) => f.root_id === root.id && f.kind === "funding" && f.key === source)?.amount ?? "0");
      const project = figures.find((f) => f.root_id === root.id && f.kind === "projects");
      const service = served.find((row) => row.root_id === root.id);
      const visits = visited.find((row) => row.root_id === root.id);

      return {
        from: period.from,
        to: period.to,
        lowIncomePopulation: {
          total: dibao + dibaoMarginal + extremePoverty,
          dibao,
          dibaoMarginal,
          extremePoverty,
          otherMonitored: persons("OTHER_MONITORED"),
        },
        lowIncomePopulationByMonth: async () => (await monthly()).get(root.id) ?? [],
        servedByMonth: async () => (await servedMonths()).get(root.id) ?? [],
        averageTopUp: async () => (await topUps()).get(root.id)?.average ?? null,
        topUpRate: async () => (await topUps()).get(root.id)?.rate ?? null,
        projectCount: project?.n1 ?? 0,
        fundingTotal: money(null),
        fundingBySource: SOURCES.map((source) => ({ source, amount: money(source) })),
        linkedDepartments: project?.n2 ?? 0,
        participatingSocialOrganizations: project?.n3 ?? 0,
        householdTimesServed: service?.service_records ?? 0,
        householdsServed: service?.households_served ?? 0,
        visitHouseholdTimes: visits?.visits ?? 0,
        happinessListsDelivered: visits?.happiness_lists ?? 0,
        alliancesByLevel,
        standardOperationRate: allianceTotal === 0 ? 0 : standardTotal / allianceTotal,
        openServiceRequests: service?.open_requests ?? 0,
        openMonitoringAlerts: service?.open_alerts ?? 0,
      };
    });
  }

  /**
   * The monthly population rows of every root of `subtrees` (see `lowIncomePopulationByMonth`)
   * over the period, by root id, in one statement. The spans that overlap the period are read
   * once, each as at most two changes of persons (+ in the month it starts, or the first month
   * when it started before the period; − in the month it ends), and a running sum over the
   * months gives the population as of each month's last day.
   */
  private async monthlyPopulation(subtrees: Prisma.Sql, period: StatsPeriod): Promise<Map<string, MonthlyPopulation[]>> {
    const from = isoDate(period.from);
    const to = isoDate(period.to);
    const rows = await this.app.deps.db.rows<{
      root_id: string; month: string; as_of: Date; dibao: number; dibao_marginal: number; extreme_poverty: number; entered: number; exited: number;
    }>(Prisma.sql`
      WITH ${subtrees},
      months AS (
        SELECT to_char(m, 'YYYY-MM') AS month, LEAST((m + interval '1 month')::date - 1, ${to}::date) AS as_of
          FROM generate_series(date_trunc('month', ${from}::date::timestamp), ${to}::date::timestamp, interval '1 month') AS m),
      changes AS (
        SELECT s.alliance_id, e.month, s.category, sum(e.persons) AS persons, sum(e.entered) AS entered, sum(e.exited) AS exited
          FROM household_state s
         CROSS JOIN LATERAL (VALUES
           (to_char(GREATEST(s.valid_from, ${from}::date), 'YYYY-MM'), s.persons,
            CASE WHEN s.valid_from >= ${from}::date THEN s.entered_persons ELSE 0 END,
            CASE WHEN s.valid_from >= ${from}::date THEN s.exited_persons ELSE 0 END),
           (CASE WHEN s.valid_to <= ${to}::date THEN to_char(s.valid_to, 'YYYY-MM') END, -s.persons, 0, 0)
         ) AS e(month, persons, entered, exited)
         WHERE s.alliance_id IN (SELECT id FROM within)
           AND s.valid_from <= ${to}::date AND (s.valid_to IS NULL OR s.valid_to > ${from}::date)
           AND e.month IS NOT NULL
         GROUP BY s.alliance_id, e.month, s.category),
      per_root AS (
        SELECT t.root_id, c.month,
               sum(c.persons) FILTER (WHERE c.category = 'DIBAO') AS dibao,
               sum(c.persons) FILTER (WHERE c.category = 'DIBAO_MARGINAL') AS dibao_marginal,
               sum(c.persons) FILTER (WHERE c.category = 'EXTREME_POVERTY') AS extreme_poverty,
               sum(c.entered) AS entered, sum(c.exited) AS exited
          FROM tree t JOIN changes c ON c.alliance_id = t.alliance_id
         GROUP BY t.root_id, c.month)
      SELECT r.id::text AS root_id, mo.month, mo.as_of,
             (sum(COALESCE(pr.dibao, 0)) OVER w)::int AS dibao,
             (sum(COALESCE(pr.dibao_marginal, 0)) OVER w)::int AS dibao_marginal,
             (sum(COALESCE(pr.extreme_poverty, 0)) OVER w)::int AS extreme_poverty,
             COALESCE(pr.entered, 0)::int AS entered, COALESCE(pr.exited, 0)::int AS exited
        FROM roots r CROSS JOIN months mo
        LEFT JOIN per_root pr ON pr.root_id = r.id AND pr.month = mo.month
      WINDOW w AS (PARTITION BY r.id ORDER BY mo.month)
       ORDER BY r.id, mo.month`);
    const byRoot = new Map<string, MonthlyPopulation[]>();
    for (const row of rows) {
      const list = byRoot.get(row.root_id) ?? [];
      list.push({
        month: row.month,
        asOf: row.as_of,
        total: row.dibao + row.dibao_marginal + row.extreme_poverty,
        dibao: row.dibao,
        dibaoMarginal: row.dibao_marginal,
        extremePoverty: row.extreme_poverty,
        entered: row.entered,
        exited: row.exited,
      });
      byRoot.set(row.root_id, list);
    }
    return byRoot;
  }

  /**
   * The 户次 by month of every root of `subtrees` (see `servedByMonth`) over the period, by root
   * id, in one statement: the service records and visits not voided, dated in the period, by
   * household and month first (the same rows householdTimesServed and visitHouseholdTimes
   * count), then by the alliance of the household and by root, with a row for every month.
   */
  private async servedByMonth(subtrees: Prisma.Sql, period: StatsPeriod): Promise<Map<string, MonthServed[]>> {
    const from = isoDate(period.from);
    const to = isoDate(period.to);
    const rows = await this.app.deps.db.rows<{ root_id: string; month: string; household_times: number; visit_household_times: number }>(Prisma.sql`
      WITH ${subtrees},
      months AS (
        SELECT to_char(m, 'YYYY-MM') AS month
          FROM generate_series(date_trunc('month', ${from}::date::timestamp), ${to}::date::timestamp, interval '1 month') AS m),
      per_household AS (
        SELECT household_id, to_char(served_on, 'YYYY-MM') AS month, count(*) AS records, 0 AS visits
          FROM service_record
         WHERE served_on BETWEEN ${from}::date AND ${to}::date AND voided_at IS NULL
         GROUP BY household_id, to_char(served_on, 'YYYY-MM')
        UNION ALL
        SELECT household_id, to_char(visited_on, 'YYYY-MM'), 0, count(*)
          FROM visit
         WHERE visited_on BETWEEN ${from}::date AND ${to}::date AND voided_at IS NULL
         GROUP BY household_id, to_char(visited_on, 'YYYY-MM')),
      per_alliance AS (
        SELECT h.alliance_id, p.month, sum(p.records) AS records, sum(p.visits) AS visits
          FROM per_household p JOIN household h ON h.id = p.household_id
         WHERE h.alliance_id IN (SELECT id FROM within)
         GROUP BY h.alliance_id, p.month),
      per_root AS (
        SELECT t.root_id, a.month, sum(a.records) AS records, sum(a.visits) AS visits
          FROM tree t JOIN per_alliance a ON a.alliance_id = t.alliance_id
         GROUP BY t.root_id, a.month)
      SELECT r.id::text AS root_id, mo.month,
             COALESCE(pr.records, 0)::int AS household_times, COALESCE(pr.visits, 0)::int AS visit_household_times
        FROM roots r CROSS JOIN months mo
        LEFT JOIN per_root pr ON pr.root_id = r.id AND pr.month = mo.month
       ORDER BY r.id, mo.month`);
    const byRoot = new Map<string, MonthServed[]>();
    for (const row of rows) {
      const list = byRoot.get(row.root_id) ?? [];
      list.push({ month: row.month, householdTimes: row.household_times, visitHouseholdTimes: row.visit_household_times });
      byRoot.set(row.root_id, list);
    }
    return byRoot;
  }

  /**
   * The 低保 top-ups of every root of `subtrees` over the period (see `averageTopUp`), by root
   * id, in one statement: the households DIBAO on each month's last day (or `to`), assessed
   * for that month by the rules in force that day (assessedSql).
   */
  private async topUps(subtrees: Prisma.Sql, period: StatsPeriod): Promise<Map<string, { average: Prisma.Decimal; rate: number }>> {
    const from = isoDate(period.from);
    const to = isoDate(period.to);
    const rows = await this.app.deps.db.rows<{ root_id: string; average: string; rate: string }>(Prisma.sql`
      WITH ${subtrees},
      months AS (
        SELECT m::date AS month, LEAST((m + interval '1 month')::date - 1, ${to}::date) AS as_of
          FROM generate_series(date_trunc('month', ${from}::date::timestamp), ${to}::date::timestamp, interval '1 month') AS m),
      ${assessedSql(Prisma.sql`
        SELECT s.household_id, s.alliance_id, mo.month, mo.as_of AS rules_on, s.persons
          FROM months mo
          JOIN household_state s ON s.valid_from <= mo.as_of AND (s.valid_to IS NULL OR s.valid_to > mo.as_of)
         WHERE s.alliance_id IN (SELECT id FROM within) AND s.category = 'DIBAO'`)},
      per_root AS (
        SELECT t.root_id, sum(a.top_up) AS top_ups, sum(a.persons) AS person_months, sum(a.standard * a.persons) AS standards
          FROM tree t JOIN assessed a ON a.alliance_id = t.alliance_id
         WHERE a.standard IS NOT NULL
         GROUP BY t.root_id)
      SELECT root_id::text AS root_id, round(top_ups / person_months, 2)::text AS average,
             round(round(top_ups / person_months, 2) / (standards / person_months), 4)::text AS rate
        FROM per_root WHERE person_months > 0`);
    return new Map(rows.map((row) => [row.root_id, { average: new Prisma.Decimal(row.average), rate: Number(row.rate) }]));
  }
}
