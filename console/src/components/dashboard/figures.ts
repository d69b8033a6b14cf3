import { label, t } from "../../i18n";
import type { DashboardStats, GrantRow, TopUp } from "./dashboard-data";
import { formatCount, formatMoney, formatRate, sumMoney } from "./format";
import type { Period } from "./period";

/** One figure card: `text` as shown, `value` as exported (the API's own number or string). */
export interface Figure {
  key: string;
  name: string;
  text: string;
  value: string | number;
  unit: string;
  detail?: string;
  /** A figure read on its own (the top-up): `loading` until it answers, `error` when it failed. */
  state?: "loading" | "ready" | "error";
}

/** The top-up figures as the page has them: computing, answered, or failed. */
export interface TopUpFigures extends TopUp {
  state: "loading" | "ready" | "error";
}

export interface FigureGroup {
  key: string;
  title: string;
  figures: Figure[];
}

const words = t.dashboard.figures;
const units = t.dashboard.units;

function count(key: string, name: string, value: number, unit: string, detail?: string): Figure {
  return { key, name, text: formatCount(value), value, unit, detail };
}

function money(key: string, name: string, value: string, unit: string = units.yuan): Figure {
  return { key, name, text: formatMoney(value), value, unit };
}

/** The welfare-lottery grant years shown with a period: its own years and the year before (grants are spent over two years). */
export function grantYears(period: Period): { first: number; last: number } {
  return { first: Number(period.from.slice(0, 4)) - 1, last: Number(period.to.slice(0, 4)) };
}

/** The grants of those years, in the API's order (newest year first). */
export function grantsOfYears(grants: readonly GrantRow[], years: { first: number; last: number }): GrantRow[] {
  return grants.filter((grant) => grant.year >= years.first && grant.year <= years.last);
}

/** The dashboard's figure cards, grouped, from `stats` and the period's grants. */
export function dashboardFigures(stats: DashboardStats, topUp: TopUpFigures, grants: readonly GrantRow[], years: { first: number; last: number }): FigureGroup[] {
  const population = stats.lowIncomePopulation;
  const none = t.dashboard.none;
  const pending = topUp.state === "loading" ? t.dashboard.computing : topUp.state === "error" ? t.dashboard.topUpFailed : none;
  const state = topUp.state;
  return [
    {
      key: "population",
      title: t.dashboard.groups.population,
      figures: [
        count("lowIncomePopulation.total", words.populationTotal, population.total, units.persons),
        count("lowIncomePopulation.dibao", words.dibao, population.dibao, units.persons),
        count("lowIncomePopulation.dibaoMarginal", words.dibaoMarginal, population.dibaoMarginal, units.persons),
        count("lowIncomePopulation.extremePoverty", words.extremePoverty, population.extremePoverty, units.persons),
        count("lowIncomePopulation.otherMonitored", words.otherMonitored, population.otherMonitored, units.persons),
      ],
    },
    {
      key: "projects",
      title: t.dashboard.groups.projects,
      figures: [
        count("projectCount", words.projectCount, stats.projectCount, units.projects),
        money("fundingTotal", words.fundingTotal, stats.fundingTotal),
        count("linkedDepartments", words.linkedDepartments, stats.linkedDepartments, units.organizations),
        count("participatingSocialOrganizations", words.participatingSocialOrganizations, stats.participatingSocialOrganizations, units.organizations),
      ],
    },
    {
      key: "service",
      title: t.dashboard.groups.service,
      figures: [
        count("householdTimesServed", words.householdTimesServed, stats.householdTimesServed, units.householdTimes),
        count("householdsServed", words.householdsServed, stats.householdsServed, units.households),
        count("visitHouseholdTimes", words.visitHouseholdTimes, stats.visitHouseholdTimes, units.householdTimes),
        count("happinessListsDelivered", words.happinessListsDelivered, stats.happinessListsDelivered, units.lists),
      ],
    },
    {
      key: "topUp",
      title: t.dashboard.groups.topUp,
      figures: [
        state !== "ready" || topUp.averageTopUp === null
          ? { key: "averageTopUp", name: words.averageTopUp, text: pending, value: "", unit: "", state }
          : { ...money("averageTopUp", words.averageTopUp, topUp.averageTopUp, units.perPersonMonth), state },
        state !== "ready" || topUp.topUpRate === null
          ? { key: "topUpRate", name: words.topUpRate, text: pending, value: "", unit: "", state }
          : { key: "topUpRate", name: words.topUpRate, text: formatRate(topUp.topUpRate), value: topUp.topUpRate, unit: "", state },
      ],
    },
    {
      key: "operation",
      title: t.dashboard.groups.operation,
      figures: [
        { key: "standardOperationRate", name: words.standardOperationRate, text: formatRate(stats.standardOperationRate), value: stats.standardOperationRate, unit: "" },
        ...stats.alliancesByLevel.map((row) =>
          count(`alliancesByLevel.${row.level}`, words.alliancesAtLevel(label("AllianceLevel", row.level)), row.total, units.alliances, words.standardOf(formatCount(row.standard))),
        ),
      ],
    },
    {
      key: "grants",
      title: `${t.dashboard.groups.grants}（${words.grantYears(years.first, years.last)}）`,
      figures: [
        money("grants.amount", words.grantAmount, sumMoney(grants.map((grant) => grant.amount))),
        money("grants.allocated", words.grantAllocated, sumMoney(grants.map((grant) => grant.allocated))),
        money("grants.remaining", words.grantRemaining, sumMoney(grants.map((grant) => grant.remaining))),
      ],
    },
    {
      key: "now",
      title: t.dashboard.groups.now,
      figures: [
        count("openServiceRequests", words.openServiceRequests, stats.openServiceRequests, units.requests),
        count("openMonitoringAlerts", words.openMonitoringAlerts, stats.openMonitoringAlerts, units.alerts),
      ],
    },
  ];
}
