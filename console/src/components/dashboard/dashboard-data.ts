import { ApiError, request } from "../../api/graphql";
import { t } from "../../i18n";
import type { Period } from "./period";

export interface AllianceRef {
  id: string;
  name: string;
  level: string;
}

export interface ChildAlliance extends AllianceRef {
  operatingStatus: string;
}

export interface MonthServed {
  month: string;
  householdTimes: number;
  visitHouseholdTimes: number;
}

export interface MonthlyPopulation {
  month: string;
  asOf: string;
  total: number;
  dibao: number;
  dibaoMarginal: number;
  extremePoverty: number;
  entered: number;
  exited: number;
}

export interface DashboardStats {
  from: string;
  to: string;
  lowIncomePopulation: { total: number; dibao: number; dibaoMarginal: number; extremePoverty: number; otherMonitored: number };
  projectCount: number;
  fundingTotal: string;
  fundingBySource: { source: string; amount: string }[];
  linkedDepartments: number;
  participatingSocialOrganizations: number;
  householdTimesServed: number;
  householdsServed: number;
  visitHouseholdTimes: number;
  happinessListsDelivered: number;
  standardOperationRate: number;
  alliancesByLevel: { level: string; total: number; standard: number }[];
  openServiceRequests: number;
  openMonitoringAlerts: number;
  servedByMonth: MonthServed[];
  lowIncomePopulationByMonth: MonthlyPopulation[];
}

export interface ProjectRow {
  id: string;
  name: string;
  category: string;
  status: string;
  budget: string;
  fundingTotal: string;
  alliance: { name: string };
}

export interface GrantRow {
  id: string;
  code: string;
  level: string;
  year: number;
  amount: string;
  allocated: string;
  remaining: string;
  alliance: { name: string };
}

export interface DashboardData {
  alliance: AllianceRef & { ancestors: AllianceRef[]; children: { totalCount: number; nodes: ChildAlliance[] } };
  stats: DashboardStats;
  /** The projects active in the period (cancelled ones left out, as projectCount counts them). */
  projects: ProjectRow[];
  /** How many such projects there are; more than `projects.length` when the list was cut at MAX_PROJECTS. */
  projectTotal: number;
  grants: GrantRow[];
}

/** At most this many projects are read to rank them by budget (the API lists them by start date). */
export const MAX_PROJECTS = 1000;
const PROJECT_PAGE = 100;

const PROJECT_FIELDS = "id name category status budget fundingTotal alliance { name }";

const DASHBOARD = `query Dashboard($id: ID!, $from: Date!, $to: Date!, $projects: ServiceProjectFilter!) {
  alliance(id: $id) {
    id name level
    ancestors { id name level }
    children(first: 100) { totalCount nodes { id name level operatingStatus } }
    stats(from: $from, to: $to) {
      from to
      lowIncomePopulation { total dibao dibaoMarginal extremePoverty otherMonitored }
      projectCount fundingTotal fundingBySource { source amount }
      linkedDepartments participatingSocialOrganizations
      householdTimesServed householdsServed visitHouseholdTimes happinessListsDelivered
      standardOperationRate alliancesByLevel { level total standard }
      openServiceRequests openMonitoringAlerts
      servedByMonth { month householdTimes visitHouseholdTimes }
      lowIncomePopulationByMonth { month asOf total dibao dibaoMarginal extremePoverty entered exited }
    }
    projects(filter: $projects, first: ${PROJECT_PAGE}) { totalCount pageInfo { hasNextPage endCursor } nodes { ${PROJECT_FIELDS} } }
  }
  grants(allianceId: $id, first: 100) { id code level year amount allocated remaining alliance { name } }
}`;

const MORE_PROJECTS = `query DashboardProjects($id: ID!, $projects: ServiceProjectFilter!, $after: String) {
  projects(allianceId: $id, filter: $projects, first: ${PROJECT_PAGE}, after: $after) {
    pageInfo { hasNextPage endCursor } nodes { ${PROJECT_FIELDS} }
  }
}`;

interface ProjectPage {
  totalCount?: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  nodes: ProjectRow[];
}

/**
 * Everything the dashboard shows for one alliance and period: one request, plus one per further
 * hundred projects active in the period (the city's half-year has 154: one more).
 */
export async function loadDashboard(allianceId: string, period: Period): Promise<DashboardData> {
  const projectsFilter = { activeFrom: period.from, activeTo: period.to, status: ["PLANNED", "ACTIVE", "COMPLETED"] };
  const data = await request<{
    alliance: (DashboardData["alliance"] & { stats: DashboardStats; projects: ProjectPage & { totalCount: number } }) | null;
    grants: GrantRow[];
  }>(DASHBOARD, { id: allianceId, from: period.from, to: period.to, projects: projectsFilter });
  if (!data.alliance) throw new ApiError("NOT_FOUND", t.dashboard.notFound);
  const { stats, projects: firstPage, ...alliance } = data.alliance;
  const projects = [...firstPage.nodes];
  let page: ProjectPage = firstPage;
  while (page.pageInfo.hasNextPage && projects.length < MAX_PROJECTS) {
    page = (await request<{ projects: ProjectPage }>(MORE_PROJECTS, { id: allianceId, projects: projectsFilter, after: page.pageInfo.endCursor })).projects;
    projects.push(...page.nodes);
  }
  return { alliance, stats, projects, projectTotal: firstPage.totalCount, grants: data.grants };
}

/** The 低保 top-up figures, asked for on their own: they take most of the statistics' time. */
export interface TopUp {
  averageTopUp: string | null;
  topUpRate: number | null;
}

const TOP_UP = `query DashboardTopUp($id: ID!, $from: Date!, $to: Date!) {
  alliance(id: $id) { stats(from: $from, to: $to) { averageTopUp topUpRate } }
}`;

/**
 * The top-up for one alliance and period: asked for after the rest of the dashboard has answered,
 * so the page shows while the database assesses every 低保 household-month of the period.
 */
export async function loadTopUp(allianceId: string, period: Period): Promise<TopUp> {
  const data = await request<{ alliance: { stats: TopUp } | null }>(TOP_UP, { id: allianceId, from: period.from, to: period.to });
  if (!data.alliance) throw new ApiError("NOT_FOUND", t.dashboard.notFound);
  return data.alliance.stats;
}

/** The alliance an ADMIN's dashboard opens on: the first root it may see (the city). */
export async function loadRootAllianceId(): Promise<string | null> {
  const data = await request<{ allianceRoots: { id: string }[] }>("query DashboardRoot { allianceRoots { id } }");
  return data.allianceRoots[0]?.id ?? null;
}

export interface DueHousehold {
  id: string;
  headName: string;
  category: string;
  size: number;
  lastVisitOn: string | null;
  alliance: { name: string; parent: { name: string } | null };
}

export interface DuePage {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  nodes: DueHousehold[];
}

const DUE = `query DashboardDueForVisit($id: ID!, $on: Date!, $first: Int!, $after: String) {
  householdsDueForVisit(allianceId: $id, on: $on, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id headName category size lastVisitOn alliance { name parent { name } } }
  }
}`;

/** One page of the households in the subtree not visited in the quarter containing `on`. */
export async function loadDueForVisit(allianceId: string, on: string, first: number, after: string | null = null): Promise<DuePage> {
  return (await request<{ householdsDueForVisit: DuePage }>(DUE, { id: allianceId, on, first, after })).householdsDueForVisit;
}
