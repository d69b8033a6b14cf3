import { inScope, type Scope, type Viewer } from "../../auth";
import { AllianceLevel, AssistanceCategory, FundingSource } from "../../common/enums";
import { requireId } from "../../common/ids";
import { isoDate } from "../../common/scalars";
import type { App } from "../../context";
import { badInput, forbidden } from "../../errors";
import { Prisma } from "../../generated/prisma/client";
import type { AllianceStats } from "./stats.types";

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
 * - the population and open requests are snapshots of now, not limited by the period.
 */
export class StatsService {
  constructor(private readonly app: App) {}

  /**
   * Figures for one alliance and its subtree over [from, to]: NOT_FOUND for an unknown alliance,
   * FORBIDDEN outside the viewer's scope, BAD_USER_INPUT naming `to` when `to` is before `from`.
   */
  async forAlliance(viewer: Viewer | null, allianceId: string, period: StatsPeriod): Promise<AllianceStats> {
    const alliance = await this.app.deps.scopes.requireAlliance(viewer, requireId(allianceId, "allianceId"));
    const [stats] = await this.forAlliances(viewer, [alliance], period);
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
   * Figures for several subtrees at once, in the order of `roots`: three statements whatever their
   * number. Each root must lie in the viewer's scope (FORBIDDEN otherwise); a subtree of a node in
   * scope is in scope as a whole, so nothing below needs filtering.
   */
  async forAlliances(viewer: Viewer | null, roots: readonly StatsRoot[], period: StatsPeriod): Promise<AllianceStats[]> {
    const scope = await this.app.deps.scopes.of(viewer);
    if (period.to.getTime() < period.from.getTime()) {
      throw badInput("to", `the period must not end (${isoDate(period.to)}) before it starts (${isoDate(period.from)})`);
    }
    if (roots.some((root) => !inScope(scope, root.path))) throw forbidden("This alliance is outside your scope");
    if (roots.length === 0) return [];

    const from = isoDate(period.from);
    const to = isoDate(period.to);
    const countedFundings = this.countedFundingsSql(viewer, scope);
    // `within`: every alliance in any of the subtrees (a prefix LIKE the planner can estimate);
    // `tree`: which root each of them counts for. Facts are first summed per alliance of
    // `within`, then per root, so the large tables are read once whatever the number of roots.
    const subtrees = Prisma.sql`
      roots AS (SELECT r.id, r.path FROM unnest(${roots.map((r) => r.id)}::uuid[], ${roots.map((r) => r.path)}::text[]) AS r(id, path)),
      within AS (SELECT a.id, a.path, a.level, a.operating_status FROM alliance a WHERE a.path LIKE ANY(${roots.map((r) => `${r.path}%`)}::text[])),
      tree AS (SELECT r.id AS root_id, w.id AS alliance_id, w.level, w.operating_status FROM roots r JOIN within w ON w.path LIKE r.path || '%')`;

    // Three statements run side by side: the light figures in one, and each of the two large
    // tables (service records, visits) in its own, summed per household first so that counting
    // distinct households needs no sort.
    const [figures, served, visited] = await Promise.all([
      this.app.deps.db.rows<{ root_id: string; kind: string; key: string | null; n1: number; n2: number; n3: number; amount: string | null }>(Prisma.sql`
        WITH ${subtrees},
        population AS (
          SELECT h.alliance_id, h.category, sum(h.size) AS persons
            FROM household h WHERE h.alliance_id IN (SELECT id FROM within)
           GROUP BY h.alliance_id, h.category),
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
             AND f.received_on BETWEEN ${from}::date AND ${to}::date
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
      this.app.deps.db.rows<{ root_id: string; service_records: number; households_served: number; open_requests: number }>(Prisma.sql`
        WITH ${subtrees},
        per_household AS (
          SELECT household_id, count(*) AS records FROM service_record
           WHERE served_on BETWEEN ${from}::date AND ${to}::date GROUP BY household_id),
        served AS (
          SELECT h.alliance_id, sum(r.records) AS records, count(*) AS households
            FROM per_household r JOIN household h ON h.id = r.household_id
           WHERE h.alliance_id IN (SELECT id FROM within)
           GROUP BY h.alliance_id),
        open AS (
          SELECT q.alliance_id, count(*) AS requests
            FROM service_request q
           WHERE q.alliance_id IN (SELECT id FROM within) AND q.status = 'OPEN'
           GROUP BY q.alliance_id)
        SELECT r.id::text AS root_id,
               COALESCE(sum(served.records), 0)::int AS service_records,
               COALESCE(sum(served.households), 0)::int AS households_served,
               COALESCE(sum(open.requests), 0)::int AS open_requests
          FROM roots r
          JOIN tree t ON t.root_id = r.id
          LEFT JOIN served ON served.alliance_id = t.alliance_id
          LEFT JOIN open ON open.alliance_id = t.alliance_id
         GROUP BY r.id`),
      this.app.deps.db.rows<{ root_id: string; visits: number; happiness_lists: number }>(Prisma.sql`
        WITH ${subtrees},
        per_household AS (
          SELECT household_id, count(*) AS visits, count(*) FILTER (WHERE happiness_list_delivered) AS happiness_lists
            FROM visit WHERE visited_on BETWEEN ${from}::date AND ${to}::date GROUP BY household_id),
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
      };
    });
  }
}
