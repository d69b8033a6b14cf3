import { creditCodeCheckCharacter, residentIdCheckCharacter } from "../../src/common/validators";
import {
  ASSOCIATION_NAMES,
  CHARITY_NAMES,
  CITY,
  CITY_DEPARTMENTS,
  COUNTIES,
  COUNTY_DEPARTMENTS,
  ENTERPRISE_NAMES,
  GIVEN_NAME_CHARS,
  PLACE_SYLLABLES,
  PROJECT_NAMES,
  REQUEST_TITLES,
  SOCIAL_GROUP_NAMES,
  SOCIAL_ORGANIZATION_NAMES,
  SURNAMES,
  VOLUNTEER_TEAM_NAMES,
  WENLING_TOWNSHIPS,
} from "./names";
import { apportion, Random } from "./random";

/**
 * The figures the demo dataset reproduces: `stats(<台州市>, 2025-01-01, 2025-06-30)` answers
 * exactly these (the bureau's published figures, see the reference document), and the
 * welfare-lottery grants of 2024 and 2025 add up to `grants2024And2025`. The population figures
 * are those on `to`: households enter, change category and leave before and after that day, and
 * their history is drawn around the reference sets so that on that day they add up exactly.
 */
export const DEMO_FIGURES = {
  from: "2025-01-01",
  to: "2025-06-30",
  lowIncomePopulation: { total: 72_297, dibao: 57_974, dibaoMarginal: 11_723, extremePoverty: 2_600, otherMonitored: 190_000 },
  projectCount: 154,
  fundingTotal: "11124000.00",
  linkedDepartments: 159,
  participatingSocialOrganizations: 94,
  householdTimesServed: 91_100,
  visitHouseholdTimes: 92_700,
  happinessListsDelivered: 89_300,
  standardOperationRate: 1,
  grants2024And2025: "11980000.00",
} as const;

/** Rows of every table, values in the column order of TABLE_COLUMNS (demo.ts). */
export interface DemoRows {
  alliance: unknown[][];
  organization: unknown[][];
  alliance_membership: unknown[][];
  household: unknown[][];
  household_category_change: unknown[][];
  service_project: unknown[][];
  project_partner: unknown[][];
  welfare_lottery_grant: unknown[][];
  funding: unknown[][];
  visit: unknown[][];
  service_request: unknown[][];
  service_record: unknown[][];
  household_assignment: unknown[][];
  reporting_close: unknown[][];
}

/** Ids of the places and organizations the demo accounts and the documentation refer to. */
export interface DemoLandmarks {
  cityId: string;
  wenlingId: string;
  taipingId: string;
  shiqiaotouId: string;
  /** The 温岭市 social organization the demo PARTNER account belongs to. */
  wenlingPartnerOrganizationId: string;
  /** 温岭市民政局, the department the demo department account belongs to (it handles 临时救助 and more). */
  wenlingCivilAffairsOrganizationId: string;
  /** The ids of the demo accounts, by username. */
  accountIds: Record<string, string>;
}

/** The demo accounts' usernames, in the order their ids are drawn. */
export const DEMO_USERNAMES = ["demo-admin", "wenling-coordinator", "taiping-coordinator", "wenling-partner", "wenling-civil-affairs"] as const;

/** Care assignments of the demo partner's organization: active since 2025-01-01, and some ended in 2024. */
const DEMO_ASSIGNMENTS = { ACTIVE: 40, ENDED: 5 };

const DAY = 86_400_000;
const day = (iso: string) => Math.round(Date.parse(`${iso}T00:00:00Z`) / DAY);
const isoDays = new Map<number, string>();
/** "2025-06-30" for a day number (days since 1970-01-01). */
const isoDay = (d: number) => {
  let text = isoDays.get(d);
  if (text === undefined) {
    text = new Date(d * DAY).toISOString().slice(0, 10);
    isoDays.set(d, text);
  }
  return text;
};
const two = (n: number) => (n < 10 ? `0${n}` : String(n));
/** A timestamp on day `d` at `hour` (8 to 23) China time, as an ISO instant in UTC. */
const instant = (d: number, hour: number, minute = 0) => `${isoDay(d)}T${two(hour - 8)}:${two(minute)}:00.000Z`;
const yuan = (cents: number) => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`;

const PERIOD = { from: day(DEMO_FIGURES.from), to: day(DEMO_FIGURES.to) };
const H2_2024 = { from: day("2024-07-01"), to: day("2024-12-31") };
const H1_2024 = { from: day("2024-01-01"), to: day("2024-06-30") };
const H2_2025 = { from: day("2025-07-01"), to: day("2025-12-31") };
const Q4_2024 = { from: day("2024-10-01"), to: day("2024-12-31") };
const LAST_BIRTH = day("2024-12-31");

type Level = "CITY" | "COUNTY" | "TOWNSHIP" | "VILLAGE";
type Category = "DIBAO" | "DIBAO_MARGINAL" | "EXTREME_POVERTY" | "OTHER_MONITORED";

interface AllianceNode {
  id: string;
  name: string;
  level: Level;
  regionCode: string;
  path: string;
  county: number;
  parent?: AllianceNode;
  children: AllianceNode[];
  /** Household indices in the subtree: low-income, and other monitored. */
  low: number[];
  other: number[];
  weight: number;
}

interface Org {
  id: string;
  kind: string;
  county: number;
  name: string;
}

interface Project {
  id: string;
  node: AllianceNode;
  county: number;
  category: string;
  status: string;
  start: number;
  end: number | null;
  lead: Org;
  partners: Org[];
}

interface HouseholdHead {
  id: string;
  surname: string;
  headName: string;
  headBirth: number;
  recognized: number;
  /** Members from the recognition day on (the head first). */
  founding: number;
  /** Days on which a child was born into the household (an extra member from that day). */
  births: number[];
  /** Days on which a founding member (the last ones, never the head) died: their left_on. */
  deaths: number[];
  /** Who recorded the member changes. */
  recordedBy: string;
}

/** A household's history: its category changes from its recognition day on, its exit, its members' days. */
interface HistoryPlan {
  recognized: number;
  /** In day order, the first on `recognized`; the last is the household's current category. */
  changes: { on: number; category: Category }[];
  exited: number | null;
  exitReason: string | null;
  founding: number;
  births: number[];
  deaths: number[];
}

/**
 * The members of every household (household_member rows), made on demand a slice of
 * households at a time so that the ~274,000 rows never sit in memory together. Each household's
 * members come from a generator seeded by the dataset's seed and the household's position, so
 * any slicing gives the same rows.
 */
export interface HouseholdMembers {
  /** Rows in all: the sum of the households' sizes. */
  readonly total: number;
  /** The rows of about `rows` members at a time, households kept whole, in household order. */
  chunks(rows: number): Generator<unknown[][]>;
  /** The household_member_change rows of the births and deaths (ADDED and REMOVED), a few thousand. */
  changes(): unknown[][];
}

interface HouseholdInfo {
  id: string;
  /** The current category (after all changes). */
  category: Category;
  village: AllianceNode;
  recognized: number;
  /** The exit day (the first day it is no longer followed), or null. */
  exited: number | null;
  changes: { on: number; category: Category }[];
  /** Registered before and never changed since: no category change, no exit, no member change. */
  stable: boolean;
}

const LOW_CATEGORIES: Category[] = ["DIBAO", "DIBAO_MARGINAL", "EXTREME_POVERTY"];
const ALL_CATEGORIES: Category[] = [...LOW_CATEGORIES, "OTHER_MONITORED"];
/** How likely a household changing category moves from or to each one (特困 rarely changes). */
const CHANGE_WEIGHTS: Record<Category, number> = { DIBAO: 60, DIBAO_MARGINAL: 30, EXTREME_POVERTY: 4, OTHER_MONITORED: 30 };
const CHANGE_REASONS = ["家庭收入变化，重新认定", "年度复核调整类别", "家庭成员就业情况变化", "因病支出增加，申请调整", "动态监测核查后调整"];
const EXIT_REASONS = ["NO_LONGER_ELIGIBLE", "MOVED_AWAY", "DECEASED", "MERGED"];
const EXIT_NOTES: Record<string, string> = {
  NO_LONGER_ELIGIBLE: "家庭收入超过标准，不再符合条件",
  MOVED_AWAY: "户籍迁出本市",
  DECEASED: "户主去世",
  MERGED: "并入子女家庭",
};
/** Exit reasons by the category a household leaves from, weights in EXIT_REASONS order. */
const EXIT_WEIGHTS: Record<Category, number[]> = {
  DIBAO: [55, 15, 20, 10],
  DIBAO_MARGINAL: [65, 20, 10, 5],
  EXTREME_POVERTY: [5, 5, 80, 10],
  OTHER_MONITORED: [60, 25, 10, 5],
};
/** Extra households (beyond the reference sets) that left before 2025-06-30: [count, low-income, exit days]. */
const EXTRA_EXITED: [number, boolean, { from: number; to: number }][] = [
  [650, true, { from: day("2025-01-01"), to: day("2025-06-30") }],
  [150, true, { from: day("2024-07-01"), to: day("2024-12-31") }],
  [1_200, false, { from: day("2025-01-01"), to: day("2025-06-30") }],
  [300, false, { from: day("2024-07-01"), to: day("2024-12-31") }],
];
/** Extra households recognized in July–December 2025: [count, low-income]. */
const EXTRA_LATER: [number, boolean][] = [
  [500, true],
  [900, false],
];
/** The demo city's half-year closed by the demo admin, and when. */
const CLOSED_THROUGH = "2025-06-30";
const CLOSED_ON = "2025-07-15";
/** The grant whose one allocation in the half-year was voided (its `allocated` leaves it out). */
const VOIDED_ALLOCATION = "浙财社〔2025〕19号";
const VOID_REASONS = {
  visit: ["重复录入：同一次探访登记了两次", "录错户：实际探访的是邻户", "探访日期有误，已按实际日期重新登记"],
  serviceRecord: ["重复登记", "服务未实际开展", "录错服务对象"],
};

const isLow = (category: Category) => category !== "OTHER_MONITORED";
/** The household's last followed day (the day before its exit), or Infinity. */
const lastDay = (h: HouseholdInfo) => (h.exited === null ? Infinity : h.exited - 1);
/** The days of `window` on which `h` is followed and of a category `want` accepts, as inclusive ranges. */
function rangesIn(h: HouseholdInfo, window: { from: number; to: number }, want: (category: Category) => boolean) {
  const out: { from: number; to: number }[] = [];
  h.changes.forEach((change, i) => {
    if (!want(change.category)) return;
    const next = i + 1 < h.changes.length ? h.changes[i + 1].on - 1 : Infinity;
    const from = Math.max(change.on, window.from);
    const to = Math.min(next, lastDay(h), window.to);
    if (from <= to) out.push({ from, to });
  });
  return out;
}
/** A day drawn uniformly from inclusive ranges. */
function dayIn(rng: Random, ranges: readonly { from: number; to: number }[]): number {
  let k = rng.int(0, ranges.reduce((sum, r) => sum + r.to - r.from + 1, 0) - 1);
  for (const r of ranges) {
    if (k <= r.to - r.from) return r.from + k;
    k -= r.to - r.from + 1;
  }
  throw new Error("no day to draw from");
}

const SERVICE_CATEGORIES = [
  "PRECISION_ASSISTANCE",
  "PSYCHOLOGICAL_SUPPORT",
  "SKILLS_TRAINING",
  "COMMUNITY_INTEGRATION",
  "EMPLOYMENT",
  "MINOR_CARE",
  "ELDERLY_CARE",
  "MEDICAL_SUPPORT",
];
/** The four kinds of lottery-funded help come first and weigh most. */
const CATEGORY_WEIGHTS = [6, 3, 3, 3, 1, 2, 2, 1];

/** Household sizes by category: [size, weight]. */
const SIZES: Record<Category, [number, number][]> = {
  EXTREME_POVERTY: [[1, 95], [2, 5]],
  DIBAO: [[1, 45], [2, 25], [3, 15], [4, 10], [5, 5]],
  DIBAO_MARGINAL: [[1, 30], [2, 30], [3, 20], [4, 15], [5, 5]],
  OTHER_MONITORED: [[1, 10], [2, 20], [3, 30], [4, 25], [5, 10], [6, 5]],
};
const HEAD_BIRTH: Record<Category, [string, string]> = {
  EXTREME_POVERTY: ["1930-01-01", "1965-12-31"],
  DIBAO: ["1940-01-01", "1992-12-31"],
  DIBAO_MARGINAL: ["1945-01-01", "1995-12-31"],
  OTHER_MONITORED: ["1950-01-01", "1998-12-31"],
};

/** Welfare-lottery grants and how much of each was allocated before, in and after the period (yuan). */
const GRANTS: { code: string; level: string; year: number; to: "city" | number; amount: number; before: number; during: number; after: number }[] = [
  { code: "浙财社〔2023〕41号", level: "PROVINCIAL", year: 2023, to: "city", amount: 1_200_000, before: 1_200_000, during: 0, after: 0 },
  { code: "浙财社〔2024〕27号", level: "PROVINCIAL", year: 2024, to: "city", amount: 2_400_000, before: 1_600_000, during: 800_000, after: 0 },
  { code: "台财社〔2024〕15号", level: "MUNICIPAL", year: 2024, to: "city", amount: 1_500_000, before: 900_000, during: 560_000, after: 0 },
  { code: "浙财社〔2024〕64号", level: "PROVINCIAL", year: 2024, to: 0, amount: 580_000, before: 380_000, during: 200_000, after: 0 },
  { code: "浙财社〔2024〕65号", level: "PROVINCIAL", year: 2024, to: 7, amount: 620_000, before: 400_000, during: 220_000, after: 0 },
  { code: "浙财社〔2024〕66号", level: "PROVINCIAL", year: 2024, to: 6, amount: 530_000, before: 330_000, during: 200_000, after: 0 },
  { code: "浙财社〔2025〕19号", level: "PROVINCIAL", year: 2025, to: "city", amount: 2_800_000, before: 0, during: 1_200_000, after: 600_000 },
  { code: "台财社〔2025〕8号", level: "MUNICIPAL", year: 2025, to: "city", amount: 1_650_000, before: 0, during: 520_000, after: 300_000 },
  { code: "浙财社〔2025〕52号", level: "PROVINCIAL", year: 2025, to: 0, amount: 600_000, before: 0, during: 210_000, after: 0 },
  { code: "浙财社〔2025〕53号", level: "PROVINCIAL", year: 2025, to: 7, amount: 650_000, before: 0, during: 236_000, after: 100_000 },
  { code: "浙财社〔2025〕54号", level: "PROVINCIAL", year: 2025, to: 6, amount: 650_000, before: 0, during: 240_000, after: 120_000 },
];

/** Fundings from other sources received in the period (yuan.fen); with the grants' `during` they make 11,124,000.00. */
const OTHER_FUNDING_IN_PERIOD: [string, number][] = [
  ["GOVERNMENT_BUDGET", 391_200_000],
  ["CHARITY", 120_600_000],
  ["ENTERPRISE", 86_850_000],
  ["SOCIAL_DONATION", 51_234_560],
  ["OTHER", 23_915_440],
];
const OTHER_FUNDING_OUTSIDE: [string, number, { from: number; to: number }][] = [
  ["GOVERNMENT_BUDGET", 186_000_000, H2_2024],
  ["CHARITY", 42_000_000, H2_2024],
  ["GOVERNMENT_BUDGET", 98_000_000, H2_2025],
];

const DISTINCT_DEPARTMENTS = DEMO_FIGURES.linkedDepartments;
const DISTINCT_SOCIAL_ORGANIZATIONS = DEMO_FIGURES.participatingSocialOrganizations;
const Q2_UNVISITED = 500;
const OUT_OF_PERIOD_VISITS = 6_000;
const OUT_OF_PERIOD_SERVICE_RECORDS = 4_000;
const REQUESTS = { OPEN: 130, OPEN_WITHOUT_HOUSEHOLD: 10, OPEN_IN_TAIPING: 8, CLAIMED: 60, CLAIMED_BY_DEMO_PARTNER: 6, FULFILLED: 180, CANCELLED: 20 };

/**
 * Builds the whole demo city in memory: same seed, same rows. Throws if a rule of the dataset
 * cannot be met (it is then a bug here, caught by the demo-dataset test).
 */
export function generateDemoRows(seed: number): { rows: DemoRows; members: HouseholdMembers; landmarks: DemoLandmarks } {
  const rng = new Random(seed);
  const rows: DemoRows = {
    alliance: [],
    organization: [],
    alliance_membership: [],
    household: [],
    household_category_change: [],
    service_project: [],
    project_partner: [],
    welfare_lottery_grant: [],
    funding: [],
    visit: [],
    service_request: [],
    service_record: [],
    household_assignment: [],
    reporting_close: [],
  };
  const between = (window: { from: number; to: number }) => rng.int(window.from, window.to);
  const placeName = (taken: Set<string>, suffix: string) => {
    for (;;) {
      const name = rng.pick(PLACE_SYLLABLES) + rng.pick(PLACE_SYLLABLES);
      if (name[0] !== name[1] && !taken.has(name + suffix)) {
        taken.add(name + suffix);
        return name + suffix;
      }
    }
  };

  // ---------------------------------------------------------------- the alliance tree
  const created = instant(day("2023-03-01"), 9);
  const allNodes: AllianceNode[] = [];
  const addNode = (name: string, level: Level, regionCode: string, county: number, parent?: AllianceNode): AllianceNode => {
    const id = rng.uuid();
    const node: AllianceNode = {
      id, name, level, regionCode, county, parent, children: [], low: [], other: [], weight: 0.5 + rng.next(),
      path: `${parent?.path ?? "/"}${id}/`,
    };
    parent?.children.push(node);
    allNodes.push(node);
    rows.alliance.push([id, name, level, regionCode, "STANDARD", parent?.id ?? null, node.path, created]);
    return node;
  };
  const city = addNode(CITY.name, "CITY", CITY.regionCode, -1);
  const counties = COUNTIES.map((spec, c) => {
    const county = addNode(spec.name, "COUNTY", spec.regionCode, c, city);
    const isDistrict = spec.name.endsWith("区");
    const isCounty = spec.name.endsWith("县");
    const taken = new Set<string>();
    const townshipNames: string[] =
      spec.name === "温岭市"
        ? [...WENLING_TOWNSHIPS]
        : Array.from({ length: spec.townships }, (_, i) => {
            const streets = isDistrict ? Math.round(spec.townships * 0.6) : 3;
            const suffix = i < streets ? "街道" : isCounty && i >= spec.townships - 2 ? "乡" : "镇";
            return placeName(taken, suffix);
          });
    const serial = { 街道: 0, 镇: 100, 乡: 200 };
    for (const name of townshipNames) {
      const kind = name.endsWith("街道") ? "街道" : name.endsWith("乡") ? "乡" : "镇";
      serial[kind] += 1;
      const township = addNode(name, "TOWNSHIP", `${spec.regionCode}${String(serial[kind]).padStart(3, "0")}`, c, county);
      const villageNames = new Set<string>();
      const villages = rng.int(6, 12);
      const communities = kind === "街道" ? villages : rng.int(1, 2);
      for (let v = 0; v < villages; v += 1) {
        const community = v < communities;
        const code = community ? v + 1 : 200 + v - communities + 1;
        addNode(placeName(villageNames, community ? "社区" : "村"), "VILLAGE", `${township.regionCode}${String(code).padStart(3, "0")}`, c, township);
      }
    }
    return county;
  });
  const wenling = counties[COUNTIES.findIndex((c) => c.name === "温岭市")];
  const taiping = wenling.children.find((t) => t.name === "太平街道")!;
  const shiqiaotou = wenling.children.find((t) => t.name === "石桥头镇")!;
  const villagesOf = (county: AllianceNode) => county.children.flatMap((t) => t.children);

  // ---------------------------------------------------------------- organizations
  const creditCodes = new Set<string>();
  const creditCode = (prefix: string, region: string) => {
    for (;;) {
      const body = Array.from({ length: 8 }, () => rng.int(0, 9)).join("");
      const weights = [3, 7, 9, 10, 5, 8, 4, 2];
      const check = 11 - (weights.reduce((s, w, i) => s + w * Number(body[i]), 0) % 11);
      const first17 = `${prefix}${region}${body}${check === 10 ? "X" : check === 11 ? "0" : String(check)}`;
      const code = first17 + creditCodeCheckCharacter(first17);
      if (!creditCodes.has(code)) {
        creditCodes.add(code);
        return code;
      }
    }
  };
  const orgCreated = instant(day("2023-04-01"), 10);
  const addOrg = (name: string, kind: string, county: number, code: string | null, categories: string[], memberOf: AllianceNode[]): Org => {
    const org: Org = { id: rng.uuid(), kind, county, name };
    rows.organization.push([org.id, name, kind, code, `{${categories.join(",")}}`, orgCreated]);
    for (const node of memberOf) rows.alliance_membership.push([org.id, node.id, orgCreated]);
    return org;
  };
  const someCategories = () => {
    const picked = new Set<string>();
    const count = rng.int(1, 3);
    while (picked.size < count) picked.add(SERVICE_CATEGORIES[rng.weighted(CATEGORY_WEIGHTS)]);
    return [...picked];
  };
  const departmentCategories = (name: string) =>
    name.includes("人力") ? ["EMPLOYMENT", "SKILLS_TRAINING"]
    : name.includes("卫生") || name.includes("医疗") ? ["MEDICAL_SUPPORT"]
    : name.includes("教育") || name.includes("团") || name.includes("妇") ? ["MINOR_CARE"]
    : ["PRECISION_ASSISTANCE"];

  for (const dept of CITY_DEPARTMENTS) {
    addOrg(`台州市${dept}`, "GOVERNMENT_DEPARTMENT", -1, creditCode("11", CITY.regionCode), departmentCategories(dept), [city]);
  }
  for (const name of SOCIAL_ORGANIZATION_NAMES.slice(0, 6)) {
    addOrg(`台州市${name}`, "SOCIAL_ORGANIZATION", -1, creditCode("52", CITY.regionCode), someCategories(), [city]);
  }
  for (const name of ASSOCIATION_NAMES) {
    addOrg(`台州市${name}`, "INDUSTRY_ASSOCIATION", -1, creditCode("51", CITY.regionCode), someCategories(), [city]);
  }
  addOrg("台州市慈善总会", "CHARITY", -1, creditCode("51", CITY.regionCode), ["PRECISION_ASSISTANCE"], [city]);
  addOrg("台州市慈善基金会", "CHARITY", -1, creditCode("53", CITY.regionCode), ["PRECISION_ASSISTANCE", "MEDICAL_SUPPORT"], [city]);

  const departments: Org[][] = [];
  const socialOrganizations: Org[][] = [];
  const providers: Org[][] = [];
  const enterprises: Org[][] = [];
  const charities: Org[][] = [];
  counties.forEach((county, c) => {
    const region = county.regionCode;
    const townships = county.children;
    departments[c] = COUNTY_DEPARTMENTS.map((dept) =>
      addOrg(dept === "团委" ? `共青团${county.name}委员会` : `${county.name}${dept}`, "GOVERNMENT_DEPARTMENT", c, creditCode("11", region), departmentCategories(dept), [county]),
    );
    for (const township of townships) {
      addOrg(`${township.name}社会事务综合服务中心`, "GOVERNMENT_DEPARTMENT", c, creditCode("12", region), ["PRECISION_ASSISTANCE"], [township]);
    }
    const socialNames = rng.shuffle([...SOCIAL_ORGANIZATION_NAMES]).slice(0, 14);
    if (county === wenling) socialNames.unshift(...socialNames.splice(socialNames.indexOf("阳光社会工作服务中心"), 1));
    socialOrganizations[c] = socialNames.map((name, i) => {
      const joins = i === 0 && county === wenling ? [taiping, shiqiaotou] : rng.shuffle([...townships]).slice(0, rng.int(1, 3));
      return addOrg(`${county.name}${name}`, "SOCIAL_ORGANIZATION", c, creditCode("52", region), someCategories(), [county, ...joins]);
    });
    const teams = VOLUNTEER_TEAM_NAMES.map((name) =>
      addOrg(`${county.name}${name}`, "VOLUNTEER_TEAM", c, rng.chance(0.5) ? creditCode("51", region) : null, someCategories(), [county, rng.pick(townships)]),
    );
    providers[c] = [...socialOrganizations[c], ...teams];
    enterprises[c] = Array.from({ length: rng.int(3, 6) }, () => {
      const name = `${county.name}${placeName(new Set(), "")}${rng.pick(ENTERPRISE_NAMES)}`;
      return addOrg(name, "ENTERPRISE", c, creditCode("91", region), someCategories(), [county]);
    });
    if (rng.chance(0.6)) addOrg(`${county.name}${rng.pick(ASSOCIATION_NAMES)}`, "INDUSTRY_ASSOCIATION", c, creditCode("51", region), someCategories(), [county]);
    for (const name of SOCIAL_GROUP_NAMES.slice(0, 2)) {
      addOrg(`${county.name}${name}`, "SOCIAL_GROUP", c, creditCode("51", region), someCategories(), [county]);
    }
    charities[c] = CHARITY_NAMES.slice(0, 1).map((name) =>
      addOrg(`${county.name}${name}`, "CHARITY", c, creditCode("51", region), ["PRECISION_ASSISTANCE"], [county]),
    );
  });

  // ---------------------------------------------------------------- households and members
  const households: HouseholdInfo[] = [];
  const heads: HouseholdHead[] = [];
  const idNumbers = new Set<string>();
  const countyWeights = COUNTIES.map((c) => c.weight);
  const villageTables = counties.map((county) => {
    const villages = villagesOf(county);
    let total = 0;
    const cumulative = villages.map((v) => (total += v.weight));
    return { villages, cumulative, total };
  });
  const pickVillage = (c: number) => {
    const { villages, cumulative, total } = villageTables[c];
    const r = rng.next() * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] > r) hi = mid;
      else lo = mid + 1;
    }
    return villages[lo];
  };
  const householdCreated = { from: day("2023-01-01"), to: day("2024-12-31") };
  const categories: [Category, number][] = [
    ["DIBAO", DEMO_FIGURES.lowIncomePopulation.dibao],
    ["DIBAO_MARGINAL", DEMO_FIGURES.lowIncomePopulation.dibaoMarginal],
    ["EXTREME_POVERTY", DEMO_FIGURES.lowIncomePopulation.extremePoverty],
    ["OTHER_MONITORED", DEMO_FIGURES.lowIncomePopulation.otherMonitored],
  ];
  // The demo accounts' ids (their own generator) record the history of 2025.
  const accountRng = new Random(`${seed}/accounts`);
  const accountIds = Object.fromEntries(DEMO_USERNAMES.map((username) => [username, accountRng.uuid()]));
  // History decisions and the extra households have their own generator, so that the households
  // of the reference sets are the same draws as without history.
  const hrng = new Random(`${seed}/history`);
  const recorder = (c: number) => (c === wenling.county ? accountIds["wenling-coordinator"] : accountIds["demo-admin"]);
  /** A head of household: id, names, birth day and a unique 身份证号 under the county's code. */
  const makeHead = (r: Random, category: Category, c: number) => {
    const [birthFrom, birthTo] = HEAD_BIRTH[category].map(day);
    const id = r.uuid();
    const surname = r.pick(SURNAMES);
    const headName = surname + r.pick(GIVEN_NAME_CHARS) + (r.chance(0.7) ? r.pick(GIVEN_NAME_CHARS) : "");
    const headBirth = r.int(birthFrom, birthTo);
    let idNumber: string;
    do {
      const first17 = `${COUNTIES[c].regionCode}${isoDay(headBirth).replaceAll("-", "")}${String(r.int(0, 999)).padStart(3, "0")}`;
      idNumber = first17 + residentIdCheckCharacter(first17);
    } while (idNumbers.has(idNumber));
    idNumbers.add(idNumber);
    return { id, surname, headName, headBirth, idNumber };
  };
  const addHousehold = (
    head: { id: string; surname: string; headName: string; headBirth: number; idNumber: string },
    village: AllianceNode,
    plan: HistoryPlan,
  ) => {
    const { changes, exited } = plan;
    const category = changes[changes.length - 1].category;
    const size = plan.founding + plan.births.length - plan.deaths.length;
    const index = households.length;
    const stable = changes.length === 1 && exited === null && plan.births.length + plan.deaths.length === 0;
    households.push({ id: head.id, category, village, recognized: plan.recognized, exited, changes, stable });
    (changes.some((ch) => ch.category !== "OTHER_MONITORED") ? village.low : village.other).push(index);
    rows.household.push([
      head.id, village.id, category, head.headName, head.idNumber, size, instant(plan.recognized, 9),
      isoDay(plan.recognized), exited === null ? "ACTIVE" : "EXITED", exited === null ? null : isoDay(exited), plan.exitReason,
    ]);
    const by = recorder(village.county);
    changes.forEach((change, i) => {
      const recordedOn = change.on + (i === 0 ? 0 : hrng.int(0, 4));
      rows.household_category_change.push([
        hrng.uuid(), head.id, i === 0 ? "REGISTERED" : "CATEGORY_CHANGED", change.category, isoDay(change.on),
        i === 0 ? null : hrng.pick(CHANGE_REASONS), null, change.on >= PERIOD.from ? by : null,
        i === 0 ? instant(change.on, 9) : instant(recordedOn, 10, hrng.int(0, 59)),
      ]);
    });
    if (exited !== null) {
      rows.household_category_change.push([
        hrng.uuid(), head.id, "EXITED", null, isoDay(exited), EXIT_NOTES[plan.exitReason!], plan.exitReason,
        exited >= PERIOD.from ? by : null, instant(exited + hrng.int(0, 4), 10, hrng.int(0, 59)),
      ]);
    }
    heads.push({ id: head.id, surname: head.surname, headName: head.headName, headBirth: head.headBirth, recognized: plan.recognized, founding: plan.founding, births: plan.births, deaths: plan.deaths, recordedBy: by });
  };
  /** Another category than `category`: among the low-income ones, or any. */
  const otherThan = (category: Category, lowOnly: boolean) => {
    const options = (lowOnly ? LOW_CATEGORIES : ALL_CATEGORIES).filter((c) => c !== category);
    return options[hrng.weighted(options.map((c) => CHANGE_WEIGHTS[c]))];
  };
  const exitReason = (category: Category) => EXIT_REASONS[hrng.weighted(EXIT_WEIGHTS[category])];

  // The reference households: on 2025-06-30 each is of its category with its size, so the persons
  // add up to the reference figures; before and after that day their history may differ.
  for (const [category, persons] of categories) {
    const sizes = SIZES[category];
    const weights = sizes.map(([, w]) => w);
    const low = category !== "OTHER_MONITORED";
    let left = persons;
    while (left > 0) {
      const size = Math.min(left, sizes[rng.weighted(weights)][0]);
      left -= size;
      const c = rng.weighted(countyWeights);
      const village = pickVillage(c);
      const head = makeHead(rng, category, c);
      let recognized = between(householdCreated);
      // Entries of 2025: recognized in January–June.
      if (hrng.chance(low ? 0.035 : 0.015)) recognized = hrng.int(PERIOD.from, PERIOD.to);
      const changes: { on: number; category: Category }[] = [{ on: recognized, category }];
      if (recognized < PERIOD.from) {
        const r = hrng.next();
        const lastOf2024 = day("2024-12-31");
        const in2024 = Math.max(recognized + 30, day("2024-01-01"));
        if (low && r < 0.012) changes.unshift({ on: recognized, category: "OTHER_MONITORED" });
        else if (low && r < 0.032) changes.unshift({ on: recognized, category: otherThan(category, true) });
        else if (!low && r < 0.004) changes.unshift({ on: recognized, category: otherThan(category, true) });
        if (changes.length === 2) changes[1] = { on: hrng.int(PERIOD.from, PERIOD.to), category };
        else if (r < (low ? 0.06 : 0.014) && in2024 <= lastOf2024) {
          changes.unshift({ on: recognized, category: otherThan(category, !low || hrng.chance(0.7)) });
          changes[1] = { on: hrng.int(in2024, lastOf2024), category };
        }
      }
      // After the half-year: some change category or leave in July–December.
      let exited: number | null = null;
      let reason: string | null = null;
      const r2 = hrng.next();
      if (r2 < (low ? 0.015 : 0.008)) {
        exited = hrng.int(H2_2025.from, H2_2025.to);
        reason = exitReason(category);
      } else if (r2 < (low ? 0.035 : 0.013)) {
        changes.push({ on: hrng.int(H2_2025.from, H2_2025.to), category: otherThan(category, low && hrng.chance(0.6)) });
      }
      // Members: births and deaths around the half-year; the persons on 2025-06-30 stay `size`.
      const births: number[] = [];
      const deaths: number[] = [];
      let founding = size;
      if (recognized < PERIOD.from && size >= 2 && hrng.chance(0.006)) {
        births.push(hrng.int(PERIOD.from, PERIOD.to));
        founding -= 1;
      }
      if (recognized < PERIOD.from && hrng.chance(0.008)) {
        deaths.push(hrng.int(PERIOD.from, PERIOD.to));
        founding += 1;
      }
      if (exited === null && founding - deaths.length >= 2 && hrng.chance(0.006)) deaths.push(hrng.int(H2_2025.from, H2_2025.to));
      if (exited === null && size <= 5 && hrng.chance(0.005)) births.push(hrng.int(H2_2025.from, H2_2025.to));
      addHousehold(head, village, { recognized, changes, exited, exitReason: reason, founding, births, deaths });
    }
  }
  // Extra households beyond the reference sets: those that left before 2025-06-30 (most in
  // January–June 2025, some in late 2024), and those recognized in July–December 2025.
  const extraHousehold = (category: Category, recognized: number, exited: number | null) => {
    const c = hrng.weighted(countyWeights);
    const sizes = SIZES[category];
    const founding = sizes[hrng.weighted(sizes.map(([, w]) => w))][0];
    const changes = [{ on: recognized, category }];
    addHousehold(makeHead(hrng, category, c), pickVillage(c), {
      recognized, changes, exited, exitReason: exited === null ? null : exitReason(category), founding, births: [], deaths: [],
    });
  };
  const lowCategory = () => LOW_CATEGORIES[hrng.weighted([70, 20, 10])];
  for (const [count, low, window] of EXTRA_EXITED) {
    for (let i = 0; i < count; i += 1) {
      const exited = hrng.int(window.from, window.to);
      extraHousehold(low ? lowCategory() : "OTHER_MONITORED", hrng.int(householdCreated.from, Math.min(householdCreated.to, exited - 60)), exited);
    }
  }
  for (const [count, low] of EXTRA_LATER) {
    for (let i = 0; i < count; i += 1) extraHousehold(low ? lowCategory() : "OTHER_MONITORED", hrng.int(H2_2025.from, H2_2025.to), null);
  }
  for (const node of [...allNodes].reverse()) {
    if (node.parent) {
      node.parent.low.push(...node.low);
      node.parent.other.push(...node.other);
    }
  }

  // ---------------------------------------------------------------- service projects
  const projects: Project[] = [];
  const projectCreated = (start: number) => instant(start - rng.int(10, 40), 10);
  const addProject = (node: AllianceNode, county: number, start: number, end: number | null, status: string, lead: Org, partners: Org[]) => {
    const category = SERVICE_CATEGORIES[rng.weighted(CATEGORY_WEIGHTS)];
    const project: Project = { id: rng.uuid(), node, county, category, status, start, end, lead, partners };
    projects.push(project);
    const name = `${node.name}${rng.pick(PROJECT_NAMES[category])}`;
    const budget = yuan(rng.int(50, 800) * 100_000);
    rows.service_project.push([project.id, name, node.id, category, status, lead.id, isoDay(start), end === null ? null : isoDay(end), budget, projectCreated(start)]);
    return project;
  };
  const hasHouseholds = (node: AllianceNode) => node.low.length + node.other.length > 0;
  const departmentTargets = apportion(DISTINCT_DEPARTMENTS, COUNTIES.map((c) => c.projects), COUNTIES.map(() => COUNTY_DEPARTMENTS.length));
  const socialTargets = apportion(DISTINCT_SOCIAL_ORGANIZATIONS, COUNTIES.map((c) => c.projects), COUNTIES.map(() => 14));
  const active: Project[] = [];
  counties.forEach((county, c) => {
    const count = COUNTIES[c].projects;
    const places = Array.from({ length: count }, (_, i) => {
      if (i < 2) return county;
      if (county === wenling && i < 5) return i < 4 ? taiping : shiqiaotou;
      const township = rng.pick(county.children);
      if (rng.chance(0.2)) {
        const villages = township.children.filter(hasHouseholds);
        if (villages.length) return rng.pick(villages);
      }
      return township;
    });
    const taking = places.map(() => ({ lead: undefined as Org | undefined, partners: new Set<Org>() }));
    const deptPool = departments[c].slice(0, departmentTargets[c]);
    for (let i = 0; i < Math.max(deptPool.length, count); i += 1) taking[i % count].partners.add(deptPool[i % deptPool.length]);
    const socialPool = rng.shuffle(socialOrganizations[c].slice(1)).slice(0, socialTargets[c] - 1);
    socialPool.unshift(socialOrganizations[c][0]);
    for (let i = 0; i < Math.max(socialPool.length, count); i += 1) {
      const t = taking[i % count];
      const org = socialPool[i % socialPool.length];
      if (!t.lead) t.lead = org;
      else if (t.lead !== org) t.partners.add(org);
    }
    places.forEach((node, i) => {
      const partners = taking[i].partners;
      if (rng.chance(0.5)) partners.add(rng.pick(enterprises[c]));
      if (rng.chance(0.4)) partners.add(rng.pick(providers[c].filter((o) => o.kind === "VOLUNTEER_TEAM")));
      if (rng.chance(0.2)) partners.add(rng.pick(charities[c]));
      const start = rng.chance(0.1) ? between(H1_2024) : between({ from: H2_2024.from, to: PERIOD.to - 15 });
      const end = rng.chance(0.3) ? null : rng.int(Math.max(start + 60, PERIOD.from), day("2026-06-30"));
      const status = end !== null && end < H2_2025.from ? "COMPLETED" : "ACTIVE";
      active.push(addProject(node, c, start, end, status, taking[i].lead!, [...partners]));
    });
  });
  const otherProjects: Project[] = [];
  const someTownship = (c: number) => rng.pick(counties[c].children);
  for (let i = 0; i < 24; i += 1) {
    const c = rng.int(0, counties.length - 1);
    const start = rng.int(H1_2024.from, day("2024-04-30"));
    otherProjects.push(addProject(someTownship(c), c, start, rng.int(day("2024-06-01"), H2_2024.to), "COMPLETED", rng.pick(socialOrganizations[c]), [rng.pick(departments[c])]));
  }
  for (let i = 0; i < 10; i += 1) {
    const c = rng.int(0, counties.length - 1);
    const start = rng.int(H2_2025.from, day("2025-10-31"));
    otherProjects.push(addProject(someTownship(c), c, start, rng.chance(0.5) ? null : start + 365, "PLANNED", rng.pick(socialOrganizations[c]), [rng.pick(departments[c])]));
  }
  for (let i = 0; i < 3; i += 1) {
    const base = rng.pick(active);
    const start = rng.int(day("2025-02-01"), day("2025-05-31"));
    addProject(base.node, base.county, start, null, "CANCELLED", base.lead, base.partners.slice(0, 1));
  }
  for (const project of projects) {
    for (const partner of project.partners) rows.project_partner.push([project.id, partner.id]);
  }

  // ---------------------------------------------------------------- grants and fundings
  const window = (project: Project, period: { from: number; to: number }) => ({
    from: Math.max(project.start, period.from),
    to: Math.min(project.end ?? Infinity, period.to),
  });
  const fundable = (candidates: Project[], period: { from: number; to: number }) =>
    candidates.filter((p) => p.status !== "CANCELLED" && p.start <= period.to && (p.end === null || p.end >= period.from));
  /** Splits `cents` into pieces of about `piece` yuan, whole hundreds of yuan but for the last. */
  const split = (cents: number, piece: number) => {
    const n = Math.max(1, Math.round(cents / (piece * 100)));
    const weights = Array.from({ length: n }, () => 0.6 + rng.next() * 0.8);
    const total = weights.reduce((s, w) => s + w, 0);
    const parts = weights.slice(0, -1).map((w) => Math.floor((cents * w) / total / 10_000) * 10_000);
    parts.push(cents - parts.reduce((s, p) => s + p, 0));
    return parts.filter((p) => p > 0);
  };
  const addFunding = (project: Project, source: string, cents: number, received: number, grantId: string | null, note: string | null) => {
    rows.funding.push([rng.uuid(), project.id, source, yuan(cents), isoDay(received), grantId, note, instant(received, 11)]);
  };
  const fund = (candidates: Project[], period: { from: number; to: number }, source: string, cents: number, grantId: string | null, note: string | null) => {
    const eligible = fundable(candidates, period);
    if (eligible.length === 0) throw new Error(`no project can receive ${source} funding in ${isoDay(period.from)}..${isoDay(period.to)}`);
    for (const part of split(cents, 80_000)) {
      const project = rng.pick(eligible);
      addFunding(project, source, part, between(window(project, period)), grantId, note);
    }
  };
  const grantIds = new Map<string, string>();
  for (const grant of GRANTS) {
    const node = grant.to === "city" ? city : counties[grant.to];
    const id = rng.uuid();
    grantIds.set(grant.code, id);
    const inSubtree = projects.filter((p) => p.node.path.startsWith(node.path));
    const before = grant.year === 2023 ? H1_2024 : H2_2024;
    const note = `福彩公益金 ${grant.code}`;
    if (grant.before) fund(inSubtree, before, "WELFARE_LOTTERY", grant.before * 100, id, note);
    if (grant.during) fund(inSubtree, PERIOD, "WELFARE_LOTTERY", grant.during * 100, id, note);
    if (grant.after) fund(inSubtree, H2_2025, "WELFARE_LOTTERY", grant.after * 100, id, note);
    const allocated = grant.before + grant.during + grant.after;
    if (allocated > grant.amount) throw new Error(`grant ${grant.code} over-allocated`);
    rows.welfare_lottery_grant.push([id, grant.code, grant.level, grant.year, node.id, yuan(grant.amount * 100), yuan(allocated * 100), instant(day(`${grant.year}-03-15`), 10)]);
  }
  for (const [source, cents] of OTHER_FUNDING_IN_PERIOD) fund(active, PERIOD, source, cents, null, null);
  for (const [source, cents, period] of OTHER_FUNDING_OUTSIDE) fund(projects, period, source, cents, null, null);

  // ---------------------------------------------------------------- visits
  const Q1 = { from: PERIOD.from, to: day("2025-03-31") };
  const Q2 = { from: day("2025-04-01"), to: PERIOD.to };
  // Households that are low-income on some day of a quarter (followed, between recognition and
  // exit) are visited that quarter, on one of those days.
  const lowIn = (window: { from: number; to: number }) =>
    households.flatMap((h, i) => {
      const ranges = rangesIn(h, window, isLow);
      return ranges.length ? [{ household: i, ranges }] : [];
    });
  const inPeriodVisits: { household: number; on: number }[] = [];
  for (const h of lowIn(Q1)) inPeriodVisits.push({ household: h.household, on: dayIn(rng, h.ranges) });
  for (const h of rng.shuffle(lowIn(Q2)).slice(Q2_UNVISITED)) inPeriodVisits.push({ household: h.household, on: dayIn(rng, h.ranges) });
  const extra = DEMO_FIGURES.visitHouseholdTimes - inPeriodVisits.length;
  if (extra < 0) throw new Error("more low-income households than quarterly visits allow");
  const monitored = households.flatMap((h, i) => {
    const ranges = rangesIn(h, PERIOD, (c) => !isLow(c));
    return ranges.length ? [{ household: i, ranges }] : [];
  });
  for (let i = 0; i < extra; i += 1) {
    const m = rng.pick(monitored);
    inPeriodVisits.push({ household: m.household, on: dayIn(rng, m.ranges) });
  }
  const withoutList = new Set(
    rng.shuffle(Array.from(inPeriodVisits.keys())).slice(0, DEMO_FIGURES.visitHouseholdTimes - DEMO_FIGURES.happinessListsDelivered),
  );
  const visitor = (h: number) => (rng.chance(0.45) ? rng.pick(providers[households[h].village.county]).id : null);
  const visitIds: string[] = [];
  inPeriodVisits.forEach((visit, i) => {
    const id = rng.uuid();
    visitIds.push(id);
    rows.visit.push([id, households[visit.household].id, isoDay(visit.on), visitor(visit.household), !withoutList.has(i), null, instant(visit.on, rng.int(9, 17), rng.int(0, 59))]);
  });
  const lowInQ4 = lowIn(Q4_2024);
  for (let i = 0; i < OUT_OF_PERIOD_VISITS; i += 1) {
    const { household: h, ranges } = rng.pick(lowInQ4);
    const on = dayIn(rng, ranges);
    rows.visit.push([rng.uuid(), households[h].id, isoDay(on), visitor(h), rng.chance(0.95), null, instant(on, rng.int(9, 17), rng.int(0, 59))]);
  }

  // ---------------------------------------------------------------- service requests
  const covering = (village: AllianceNode) =>
    active.filter((p) => p.node === village || p.node === village.parent || p.node === village.parent?.parent);
  const fulfilledRecords: { project: Project; household: number; org: Org; on: number; requestId: string }[] = [];
  const usedVisits = new Set<number>();
  const pickVisit = (filter: (v: { household: number; on: number }) => boolean) => {
    for (;;) {
      const i = rng.int(0, inPeriodVisits.length - 1);
      if (!usedVisits.has(i) && filter(inPeriodVisits[i])) {
        usedVisits.add(i);
        return i;
      }
    }
  };
  const urgency = () => ["LOW", "NORMAL", "HIGH", "URGENT"][rng.weighted([2, 6, 2, 1])];
  const requestCategories = Object.keys(REQUEST_TITLES);
  const addRequest = (
    alliance: AllianceNode,
    visitIndex: number | null,
    status: string,
    extraFields: { claimedBy?: Org; claimedAt?: string; fulfilledAt?: string; cancelledAt?: string; cancelReason?: string; category?: string; title?: string },
    createdAt: string,
  ) => {
    const id = rng.uuid();
    const category = extraFields.category ?? rng.pick(requestCategories);
    const title = extraFields.title ?? rng.pick(REQUEST_TITLES[category]);
    const household = visitIndex === null ? null : households[inPeriodVisits[visitIndex].household].id;
    const raisedByOrganization = visitIndex === null ? null : rows.visit[visitIndex][3];
    rows.service_request.push([
      id, alliance.id, household, visitIndex === null ? null : visitIds[visitIndex], category, urgency(), title, null, status, createdAt,
      extraFields.claimedBy?.id ?? null, extraFields.claimedAt ?? null, extraFields.fulfilledAt ?? null, extraFields.cancelledAt ?? null, extraFields.cancelReason ?? null,
      null, raisedByOrganization,
    ]);
    return id;
  };
  const june = (v: { on: number }) => v.on >= day("2025-06-01");
  const inTaiping = (v: { household: number }) => households[v.household].village.parent === taiping;
  const visitCreated = (i: number) => instant(inPeriodVisits[i].on, 18, rng.int(0, 59));
  for (let i = 0; i < REQUESTS.OPEN; i += 1) {
    const v = pickVisit(i < REQUESTS.OPEN_IN_TAIPING ? (x) => june(x) && inTaiping(x) : june);
    addRequest(households[inPeriodVisits[v].household].village, v, "OPEN", {}, visitCreated(v));
  }
  for (let i = 0; i < REQUESTS.OPEN_WITHOUT_HOUSEHOLD; i += 1) {
    const township = i < 2 ? taiping : rng.pick(rng.pick(counties).children);
    addRequest(township, null, "OPEN", { category: "COMMUNITY_INTEGRATION", title: "社区活动室需要志愿者" }, instant(rng.int(day("2025-06-01"), PERIOD.to), 10));
  }
  const demoPartner = socialOrganizations[counties.indexOf(wenling)][0];
  for (let i = 0; i < REQUESTS.CLAIMED; i += 1) {
    const forDemoPartner = i < REQUESTS.CLAIMED_BY_DEMO_PARTNER;
    const v = pickVisit(forDemoPartner ? (x) => june(x) && households[x.household].village.county === wenling.county : june);
    const village = households[inPeriodVisits[v].household].village;
    const claimedBy = forDemoPartner ? demoPartner : rng.pick(providers[village.county]);
    addRequest(village, v, "CLAIMED", { claimedBy, claimedAt: instant(inPeriodVisits[v].on + rng.int(1, 3), 10) }, visitCreated(v));
  }
  for (let i = 0; i < REQUESTS.FULFILLED; ) {
    const v = pickVisit(() => true);
    const visit = inPeriodVisits[v];
    const village = households[visit.household].village;
    const until = Math.min(PERIOD.to, lastDay(households[visit.household]));
    const options = covering(village).filter((p) => window(p, { from: visit.on + 1, to: until }).from <= window(p, { from: visit.on + 1, to: until }).to);
    if (options.length === 0) continue;
    const project = rng.pick(options);
    const claimedOn = visit.on + 1;
    const servedOn = between(window(project, { from: claimedOn, to: until }));
    const requestId = addRequest(village, v, "FULFILLED", { claimedBy: project.lead, claimedAt: instant(claimedOn, 9), fulfilledAt: instant(servedOn, 16) }, visitCreated(v));
    fulfilledRecords.push({ project, household: visit.household, org: project.lead, on: servedOn, requestId });
    i += 1;
  }
  for (let i = 0; i < REQUESTS.CANCELLED; i += 1) {
    const v = pickVisit(() => true);
    const cancelled = instant(inPeriodVisits[v].on + rng.int(1, 10), 15);
    addRequest(households[inPeriodVisits[v].household].village, v, "CANCELLED", { cancelledAt: cancelled, cancelReason: "家庭情况已变化，不再需要" }, visitCreated(v));
  }

  // ---------------------------------------------------------------- service records
  const recordRow = (project: Project, household: number, org: Org, on: number, requestId: string | null) => [
    rng.uuid(), project.id, households[household].id, org.id, isoDay(on), requestId, null, instant(on, 15, rng.int(0, 59)),
  ];
  for (const r of fulfilledRecords) rows.service_record.push(recordRow(r.project, r.household, r.org, r.on, r.requestId));
  const servers = new Map(projects.map((p) => [p, [p.lead, ...p.partners.filter((o) => o.kind !== "GOVERNMENT_DEPARTMENT")]]));
  /** A service record of `project` in `period` for a household of its subtree followed on that day. */
  const serve = (project: Project, period: { from: number; to: number }) => {
    const { low, other } = project.node;
    const w = window(project, period);
    for (let attempt = 0; attempt < 1_000; attempt += 1) {
      const pool = low.length && (other.length === 0 || rng.chance(0.8)) ? low : other;
      const h = rng.pick(pool);
      const from = Math.max(w.from, households[h].recognized);
      const to = Math.min(w.to, lastDay(households[h]));
      if (from <= to) {
        rows.service_record.push(recordRow(project, h, rng.pick(servers.get(project)!), rng.int(from, to), null));
        return;
      }
    }
    throw new Error(`no household of ${project.node.regionCode} is followed in ${isoDay(w.from)}..${isoDay(w.to)}`);
  };
  const levelWeight = { CITY: 0, COUNTY: 2, TOWNSHIP: 1, VILLAGE: 0.4 };
  const recordCounts = apportion(
    DEMO_FIGURES.householdTimesServed - fulfilledRecords.length,
    active.map((p) => levelWeight[p.node.level] * (0.5 + rng.next())),
  );
  active.forEach((project, i) => {
    if (!hasHouseholds(project.node)) throw new Error(`project alliance ${project.node.regionCode} has no households`);
    for (let n = 0; n < recordCounts[i]; n += 1) serve(project, PERIOD);
  });
  const before = fundable([...active, ...otherProjects], H2_2024);
  for (let i = 0; i < OUT_OF_PERIOD_SERVICE_RECORDS; i += 1) serve(rng.pick(before), H2_2024);

  // ---------------------------------------------------------------- corrections: voided records
  // A few records of the half-year were voided (before it was closed): they stay, with who voided
  // them, when and why, and no figure counts them. They are extra rows beyond the reference counts.
  const voidRng = new Random(`${seed}/voided`);
  const lastVoidable = { from: PERIOD.from, to: PERIOD.to - 20 };
  const voided = (on: number, by: string, reason: string) => [instant(on + voidRng.int(2, 9), 16, voidRng.int(0, 59)), by, reason];
  const voidedFunding = (source: string, cents: number, grantId: string | null, note: string | null, reason: string) => {
    for (;;) {
      const project = voidRng.pick(fundable(active, PERIOD));
      const w = window(project, lastVoidable);
      if (w.from > w.to) continue;
      const received = voidRng.int(w.from, w.to);
      rows.funding.push([voidRng.uuid(), project.id, source, yuan(cents), isoDay(received), grantId, note, instant(received, 11), ...voided(received, accountIds["demo-admin"], reason)]);
      return;
    }
  };
  voidedFunding("WELFARE_LOTTERY", 5_000_000, grantIds.get(VOIDED_ALLOCATION)!, `福彩公益金 ${VOIDED_ALLOCATION}`, "误用福彩公益金，撤销分配，资金退回指标");
  voidedFunding("CHARITY", 3_000_000, null, null, "录入金额有误，已按到账凭证重新登记");
  const voidableVisits = lowIn(lastVoidable);
  for (const reason of VOID_REASONS.visit) {
    const { household, ranges } = voidRng.pick(voidableVisits);
    const on = dayIn(voidRng, ranges);
    const by = recorder(households[household].village.county);
    rows.visit.push([voidRng.uuid(), households[household].id, isoDay(on), null, true, null, instant(on, 14, voidRng.int(0, 59)), ...voided(on, by, reason)]);
  }
  for (const reason of VOID_REASONS.serviceRecord) {
    serve(voidRng.pick(active.filter((p) => p.node.level !== "VILLAGE" && window(p, lastVoidable).from <= window(p, lastVoidable).to)), lastVoidable);
    const row = rows.service_record[rows.service_record.length - 1];
    const household = households.find((h) => h.id === row[2])!;
    row.push(...voided(day(row[4] as string), recorder(household.village.county), reason));
  }

  // ---------------------------------------------------------------- the closed half-year
  rows.alliance[0].push(CLOSED_THROUGH);
  rows.reporting_close.push([voidRng.uuid(), city.id, CLOSED_THROUGH, accountIds["demo-admin"], instant(day(CLOSED_ON), 17)]);

  // ---------------------------------------------------------------- care assignments
  const assignmentRng = new Random(`${seed}/assignments`);
  const partnerHouseholds = assignmentRng.shuffle(
    households.flatMap((h, i) => (h.stable && isLow(h.category) && h.recognized < day("2024-07-01") && (h.village.parent === taiping || h.village.parent === shiqiaotou) ? [i] : [])),
  );
  const assigned = partnerHouseholds.slice(0, DEMO_ASSIGNMENTS.ACTIVE + DEMO_ASSIGNMENTS.ENDED);
  assigned.forEach((h, i) => {
    const ended = i >= DEMO_ASSIGNMENTS.ACTIVE;
    const from = ended ? day("2024-07-01") : day("2025-01-01");
    rows.household_assignment.push([
      assignmentRng.uuid(), households[h].id, demoPartner.id, isoDay(from), ended ? "2024-12-31" : null,
      accountIds["wenling-coordinator"], ended ? accountIds["wenling-coordinator"] : null, instant(from - 1, 10),
    ]);
  });

  return {
    rows,
    members: householdMembers(seed, heads),
    landmarks: {
      cityId: city.id,
      wenlingId: wenling.id,
      taipingId: taiping.id,
      shiqiaotouId: shiqiaotou.id,
      wenlingPartnerOrganizationId: demoPartner.id,
      wenlingCivilAffairsOrganizationId: departments[counties.indexOf(wenling)].find((org) => org.name === `${wenling.name}民政局`)!.id,
      accountIds,
    },
  };
}

function householdMembers(seed: number, heads: readonly HouseholdHead[]): HouseholdMembers {
  const total = heads.reduce((sum, h) => sum + h.founding + h.births.length, 0);
  /** The household's members (and, into `changes`, the member changes of its births and deaths). */
  const membersOf = (index: number, out: unknown[][], changes?: unknown[][]) => {
    const head = heads[index];
    const rng = new Random((Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0);
    const personName = (surname: string) =>
      surname + rng.pick(GIVEN_NAME_CHARS) + (rng.chance(0.7) ? rng.pick(GIVEN_NAME_CHARS) : "");
    const joined = isoDay(head.recognized);
    const first = out.length;
    out.push([rng.uuid(), head.id, head.headName, isoDay(head.headBirth), joined, null]);
    for (let m = 1; m < head.founding; m += 1) {
      let name: string;
      let birth: number;
      if (m === 1) {
        name = personName(rng.pick(SURNAMES));
        birth = head.headBirth + rng.int(-6 * 365, 6 * 365);
      } else if (m === 4) {
        name = personName(head.surname);
        birth = Math.max(day("1920-01-01"), head.headBirth - rng.int(22 * 365, 30 * 365));
      } else {
        name = personName(head.surname);
        birth = head.headBirth + rng.int(20 * 365, 38 * 365);
        if (birth > LAST_BIRTH) birth = rng.int(day("2010-01-01"), LAST_BIRTH);
      }
      out.push([rng.uuid(), head.id, name, isoDay(Math.min(birth, LAST_BIRTH, head.recognized)), joined, null]);
    }
    if (head.births.length + head.deaths.length === 0) return;
    // Deaths: the last founding members, never the head.
    head.deaths.forEach((on, i) => {
      const member = out[first + head.founding - 1 - i];
      member[5] = isoDay(on);
      // drawn whether or not the changes are wanted, so that the members are the same either way
      const change = [rng.uuid(), head.id, member[0], "REMOVED", isoDay(on), "成员去世，注销", head.recordedBy, instant(on + rng.int(1, 10), 10, rng.int(0, 59))];
      changes?.push(change);
    });
    for (const on of head.births) {
      const id = rng.uuid();
      out.push([id, head.id, personName(head.surname), isoDay(on), isoDay(on), null]);
      const change = [rng.uuid(), head.id, id, "ADDED", isoDay(on), "新生儿出生登记", head.recordedBy, instant(on + rng.int(5, 30), 10, rng.int(0, 59))];
      changes?.push(change);
    }
  };
  return {
    total,
    *chunks(rows: number) {
      let chunk: unknown[][] = [];
      for (let i = 0; i < heads.length; i += 1) {
        membersOf(i, chunk);
        if (chunk.length >= rows) {
          yield chunk;
          chunk = [];
        }
      }
      if (chunk.length) yield chunk;
    },
    changes() {
      const changes: unknown[][] = [];
      heads.forEach((head, i) => {
        if (head.births.length + head.deaths.length > 0) membersOf(i, [], changes);
      });
      return changes;
    },
  };
}
