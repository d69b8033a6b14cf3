import fs from "node:fs";
import Papa from "papaparse";
import type { Browser, Page } from "playwright-core";
import { DEMO_ACCOUNTS } from "../prisma/seed";
import { Prisma } from "../src/generated/prisma/client";
import { describeInBrowser, launchBrowser, openConsole, originOf, PHONE, screenshot, signIn, type ConsolePage } from "./helpers/browser";
import type { GraphQLClient } from "./helpers/graphql";
import { startTestServer, stopAll } from "./helpers/server";

/**
 * The 数据看板 in Chromium on the demo city: the bureau's 2025 H1 figures as text, every chart's
 * data equal to the API's answer for the same query, drilling down the alliance tree and back up
 * (never above a coordinator's own alliance), the CSV exports, the households due for a visit,
 * and a phone-sized screen; nothing fetched from another origin.
 */
const LOAD_TIMEOUT = 600_000;
const VIEW_TIMEOUT = 120_000;
const H1 = { from: "2025-01-01", to: "2025-06-30" };

const STATS = `query ($id: ID!, $from: Date!, $to: Date!) { stats(allianceId: $id, from: $from, to: $to) {
  from to
  lowIncomePopulation { total dibao dibaoMarginal extremePoverty otherMonitored }
  projectCount fundingTotal fundingBySource { source amount }
  linkedDepartments participatingSocialOrganizations
  householdTimesServed householdsServed visitHouseholdTimes happinessListsDelivered
  averageTopUp topUpRate standardOperationRate alliancesByLevel { level total standard }
  openServiceRequests openMonitoringAlerts
  servedByMonth { month householdTimes visitHouseholdTimes }
  lowIncomePopulationByMonth { month asOf total dibao dibaoMarginal extremePoverty entered exited } } }`;

const PROJECTS = `query ($id: ID!, $filter: ServiceProjectFilter!, $after: String) {
  projects(allianceId: $id, filter: $filter, first: 100, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id name budget fundingTotal } } }`;

const GRANTS = `query ($id: ID!) { grants(allianceId: $id, first: 100) { code year amount allocated remaining } }`;

const DUE = `query ($id: ID!, $on: Date!) { householdsDueForVisit(allianceId: $id, on: $on, first: 20) { totalCount nodes { headName } } }`;

interface Stats {
  from: string;
  to: string;
  lowIncomePopulation: Record<"total" | "dibao" | "dibaoMarginal" | "extremePoverty" | "otherMonitored", number>;
  projectCount: number;
  fundingTotal: string;
  fundingBySource: { source: string; amount: string }[];
  linkedDepartments: number;
  participatingSocialOrganizations: number;
  householdTimesServed: number;
  householdsServed: number;
  visitHouseholdTimes: number;
  happinessListsDelivered: number;
  averageTopUp: string | null;
  topUpRate: number | null;
  standardOperationRate: number;
  alliancesByLevel: { level: string; total: number; standard: number }[];
  openServiceRequests: number;
  openMonitoringAlerts: number;
  servedByMonth: { month: string; householdTimes: number; visitHouseholdTimes: number }[];
  lowIncomePopulationByMonth: { month: string; asOf: string; total: number; dibao: number; dibaoMarginal: number; extremePoverty: number; entered: number; exited: number }[];
}

interface ChartData {
  xAxis: unknown[][];
  yAxis: unknown[][];
  series: { name: string; type: string; data: unknown[] }[];
}

const FUNDING_SOURCE_LABELS: Record<string, string> = {
  GOVERNMENT_BUDGET: "财政资金",
  WELFARE_LOTTERY: "福彩公益金",
  CHARITY: "慈善资金",
  SOCIAL_DONATION: "社会捐赠",
  ENTERPRISE: "企业资金",
  OTHER: "其他",
};

function passwordOf(username: string): string {
  const account = DEMO_ACCOUNTS.find((candidate) => candidate.username === username);
  if (!account) throw new Error(`no demo account ${username}`);
  return account.password;
}

/** 72297 → "72,297"; "11124000.00" → "11,124,000.00". */
function grouped(value: number | string): string {
  const [whole, fraction] = String(value).split(".");
  return `${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",")}${fraction === undefined ? "" : `.${fraction}`}`;
}

/** Today in China, as the page computes "this quarter". */
function todayInChina(): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
}

describeInBrowser("the 数据看板 (coordinator dashboard) on the demo city, in Chromium", () => {
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let base: string;
  let browser: Browser;
  let admin: GraphQLClient;
  const ids: Record<"city" | "wenling" | "taiping", string> = { city: "", wenling: "", taiping: "" };

  async function idOf(name: string): Promise<string> {
    const rows = await server.app.deps.db.withConnection((runner) =>
      runner.query<{ id: string }>("SELECT id FROM alliance WHERE name = $1 AND level IN ('CITY', 'COUNTY', 'TOWNSHIP')", [name]),
    );
    return rows[0].id;
  }

  async function statsOf(client: GraphQLClient, id: string, period: { from: string; to: string }): Promise<Stats> {
    return (await client.query<{ stats: Stats }>(STATS, { id, ...period })).stats;
  }

  beforeAll(async () => {
    // The demo city is loaded at start-up, as `SEED=demo` does, before the server takes requests.
    server = await startTestServer({ env: { SEED: "demo", ALLOW_DEMO_ACCOUNTS: "true" } });
    base = originOf(server.url);
    admin = await server.login("demo-admin", passwordOf("demo-admin"));
    ids.city = await idOf("台州市");
    ids.wenling = await idOf("温岭市");
    ids.taiping = await idOf("太平街道");
    browser = await launchBrowser();
  }, LOAD_TIMEOUT);

  afterAll(async () => {
    await browser?.close();
    if (server) await stopAll(server);
  });

  /**
   * Waits until the dashboard shows `allianceId` for `period` (after any loading), the top-up
   * too: it is asked for after the rest and says 计算中… until it answers.
   */
  async function shown(page: Page, allianceId: string, period: { from: string; to: string }): Promise<void> {
    const dashboard = `[data-test="dashboard"][data-state="ready"][data-alliance-id="${allianceId}"][data-period="${period.from}..${period.to}"]`;
    await page.waitForSelector(dashboard, { timeout: VIEW_TIMEOUT });
    await page.waitForSelector(`${dashboard} [data-test="figure-averageTopUp"][data-state="ready"]`, { timeout: VIEW_TIMEOUT });
  }

  async function figureText(page: Page, key: string): Promise<string> {
    return (await page.locator(`[data-test="figure-${key}"] [data-test="figure-value"]`).textContent())?.trim() ?? "";
  }

  /** The data of the page's charts, read from their ECharts instances once all six are drawn. */
  async function chartsOf(page: Page): Promise<Record<string, ChartData>> {
    // Charts are drawn when near the screen or when the browser is idle: wait for all six by
    // selector (the content policy forbids the evaluated predicates waitForFunction polls with).
    for (const name of ["fundingBySource", "servedByMonth", "populationByCategory", "populationByMonth", "projectFunding", "grants"]) {
      await page.waitForSelector(`[data-test="chart-${name}"] canvas`, { state: "attached", timeout: VIEW_TIMEOUT });
    }
    return page.evaluate<Record<string, ChartData>>(`(() => {
      const list = (value) => (Array.isArray(value) ? value : value ? [value] : []);
      return Object.fromEntries(Object.entries(window.__zhulianCharts ?? {}).map(([name, chart]) => {
        const option = chart.getOption();
        return [name, {
          xAxis: list(option.xAxis).map((axis) => axis.data ?? []),
          yAxis: list(option.yAxis).map((axis) => axis.data ?? []),
          series: list(option.series).map((series) => ({ name: series.name, type: series.type, data: series.data })),
        }];
      }));
    })()`);
  }

  async function signedIn(username: string, viewport?: { width: number; height: number }): Promise<ConsolePage> {
    const console_ = await openConsole(browser, base, viewport ? { viewport } : {});
    await signIn(console_.page, base, username, passwordOf(username));
    return console_;
  }

  async function download(page: Page, selector: string): Promise<string> {
    const [file] = await Promise.all([page.waitForEvent("download"), page.click(selector)]);
    const path = await file.path();
    const bytes = fs.readFileSync(path);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    return bytes.subarray(3).toString("utf8");
  }

  /** CSV text as rows of cells. */
  function rowsOf(csv: string): string[][] {
    return Papa.parse<string[]>(csv, { skipEmptyLines: true }).data;
  }

  test(
    "ADMIN, 2025 H1 picked in the period form: the reference figures as text, and each chart's data equal to the API's",
    async () => {
      const console_ = await signedIn("demo-admin");
      const { page } = console_;
      try {
        await page.waitForURL(/#\/dashboard\//);
        const today = todayInChina();
        await shown(page, ids.city, { from: `${today.slice(0, 4)}-01-01`, to: today });
        expect(await page.locator('[data-test="dashboard-alliance"]').textContent()).toBe("台州市");

        const before = console_.requests.filter((url) => url.endsWith("/graphql")).length;
        await page.fill('[data-test="period"] input[name="from"]', H1.from);
        await page.fill('[data-test="period"] input[name="to"]', H1.to);
        await page.click('[data-test="period"] button[type="submit"]');
        await shown(page, ids.city, H1);
        // One request for the figures, charts and lists, one for the city's second hundred projects,
        // one for the top-up (asked for after the rest).
        expect(console_.requests.filter((url) => url.endsWith("/graphql")).length - before).toBeLessThanOrEqual(3);
        expect(page.url()).toContain("from=2025-01-01");

        const stats = await statsOf(admin, ids.city, H1);
        // The bureau's published figures (reference/taizhou-2025.md), as the page writes them.
        const reference: Record<string, string> = {
          "lowIncomePopulation.total": "72,297",
          "lowIncomePopulation.dibao": "57,974",
          "lowIncomePopulation.dibaoMarginal": "11,723",
          "lowIncomePopulation.extremePoverty": "2,600",
          "lowIncomePopulation.otherMonitored": "190,000",
          projectCount: "154",
          fundingTotal: "11,124,000.00",
          linkedDepartments: "159",
          participatingSocialOrganizations: "94",
          householdTimesServed: "91,100",
          visitHouseholdTimes: "92,700",
          happinessListsDelivered: "89,300",
          standardOperationRate: "100%",
          "grants.amount": "11,980,000.00",
        };
        for (const [key, text] of Object.entries(reference)) expect([key, await figureText(page, key)]).toEqual([key, text]);
        // Every other figure is the API's number, only grouped.
        const fromApi: Record<string, string> = {
          "lowIncomePopulation.total": grouped(stats.lowIncomePopulation.total),
          "lowIncomePopulation.dibao": grouped(stats.lowIncomePopulation.dibao),
          projectCount: grouped(stats.projectCount),
          fundingTotal: grouped(stats.fundingTotal),
          householdsServed: grouped(stats.householdsServed),
          averageTopUp: grouped(stats.averageTopUp ?? ""),
          openServiceRequests: grouped(stats.openServiceRequests),
          openMonitoringAlerts: grouped(stats.openMonitoringAlerts),
          ...Object.fromEntries(stats.alliancesByLevel.map((row) => [`alliancesByLevel.${row.level}`, grouped(row.total)])),
        };
        for (const [key, text] of Object.entries(fromApi)) expect([key, await figureText(page, key)]).toEqual([key, text]);

        const charts = await chartsOf(page);
        expect(Object.keys(charts).sort()).toEqual(["fundingBySource", "grants", "populationByCategory", "populationByMonth", "projectFunding", "servedByMonth"]);

        expect(charts.fundingBySource.series[0].data).toEqual(stats.fundingBySource.map((row) => ({ name: FUNDING_SOURCE_LABELS[row.source], value: row.amount })));

        expect(charts.servedByMonth.xAxis[0]).toEqual(stats.servedByMonth.map((row) => row.month));
        expect(charts.servedByMonth.series.map((series) => series.data)).toEqual([
          stats.servedByMonth.map((row) => row.householdTimes),
          stats.servedByMonth.map((row) => row.visitHouseholdTimes),
        ]);
        expect(stats.servedByMonth.reduce((sum, row) => sum + row.householdTimes, 0)).toBe(91100);

        expect(charts.populationByCategory.series[0].data).toEqual([
          { name: "低保", value: stats.lowIncomePopulation.dibao },
          { name: "低保边缘", value: stats.lowIncomePopulation.dibaoMarginal },
          { name: "特困供养", value: stats.lowIncomePopulation.extremePoverty },
        ]);

        const months = stats.lowIncomePopulationByMonth;
        expect(charts.populationByMonth.xAxis[0]).toEqual(months.map((row) => row.month));
        expect(charts.populationByMonth.series.map((series) => series.data)).toEqual([
          months.map((row) => row.dibao),
          months.map((row) => row.dibaoMarginal),
          months.map((row) => row.extremePoverty),
          months.map((row) => row.entered),
          months.map((row) => row.exited),
        ]);
        expect(months[months.length - 1].total).toBe(72297);

        // The projects active in the period, the ten largest budgets (ties by id), budget against funding.
        const filter = { activeFrom: H1.from, activeTo: H1.to, status: ["PLANNED", "ACTIVE", "COMPLETED"] };
        const projects: { id: string; name: string; budget: string; fundingTotal: string }[] = [];
        let after: string | null = null;
        let totalCount = 0;
        do {
          const page_: { projects: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: typeof projects } } =
            await admin.query(PROJECTS, { id: ids.city, filter, after });
          projects.push(...page_.projects.nodes);
          totalCount = page_.projects.totalCount;
          after = page_.projects.pageInfo.hasNextPage ? page_.projects.pageInfo.endCursor : null;
        } while (after);
        expect(totalCount).toBe(stats.projectCount);
        const top = [...projects]
          .sort((a, b) => new Prisma.Decimal(b.budget).comparedTo(a.budget) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
          .slice(0, 10);
        expect(charts.projectFunding.yAxis[0]).toEqual(top.map((project) => project.name));
        expect(charts.projectFunding.series.map((series) => series.data)).toEqual([top.map((project) => project.budget), top.map((project) => project.fundingTotal)]);

        // The welfare-lottery grants of 2024 and 2025 (the period's year and the one before): allocated against remaining.
        const { grants } = await admin.query<{ grants: { code: string; year: number; amount: string; allocated: string; remaining: string }[] }>(GRANTS, { id: ids.city });
        const shownGrants = grants.filter((grant) => grant.year === 2024 || grant.year === 2025);
        expect(charts.grants.yAxis[0]).toEqual(shownGrants.map((grant) => grant.code));
        expect(charts.grants.series.map((series) => series.data)).toEqual([shownGrants.map((grant) => grant.allocated), shownGrants.map((grant) => grant.remaining)]);
        expect(shownGrants.reduce((sum, grant) => sum.plus(grant.amount), new Prisma.Decimal(0)).toFixed(2)).toBe("11980000.00");

        await screenshot(page, "dashboard");
        expect(console_.foreignRequests()).toEqual([]);
        expect(console_.pageErrors).toEqual([]);
      } finally {
        await console_.close();
      }
    },
    VIEW_TIMEOUT * 2,
  );

  test(
    "the figures' CSV starts with the UTF-8 BOM and holds the figures the API gave; a chart's CSV holds its data",
    async () => {
      const console_ = await signedIn("demo-admin");
      const { page } = console_;
      try {
        await page.goto(`${base}/#/dashboard/${ids.city}?from=${H1.from}&to=${H1.to}`);
        await shown(page, ids.city, H1);
        const stats = await statsOf(admin, ids.city, H1);

        const figures = rowsOf(await download(page, '[data-test="export-figures"]'));
        expect(figures[0]).toEqual(["分组", "指标", "数值", "单位"]);
        const value = (name: string, group?: string) => figures.find((row) => row[1] === name && (group === undefined || row[0] === group))?.[2];
        expect(value("助联体")).toBe("台州市");
        expect(value("统计期间")).toBe("2025-01-01 至 2025-06-30");
        const expected: [string, string | number][] = [
          ["低收入人口", stats.lowIncomePopulation.total],
          ["低保", stats.lowIncomePopulation.dibao],
          ["低保边缘", stats.lowIncomePopulation.dibaoMarginal],
          ["特困供养", stats.lowIncomePopulation.extremePoverty],
          ["其他监测对象", stats.lowIncomePopulation.otherMonitored],
          ["服务类救助项目", stats.projectCount],
          ["项目资金投入", stats.fundingTotal],
          ["联动部门", stats.linkedDepartments],
          ["参与社会组织", stats.participatingSocialOrganizations],
          ["服务户次", stats.householdTimesServed],
          ["服务户数", stats.householdsServed],
          ["探访户次", stats.visitHouseholdTimes],
          ["幸福清单送达", stats.happinessListsDelivered],
          ["月人均补差", stats.averageTopUp ?? ""],
          ["规范运行率", stats.standardOperationRate],
          ["待认领服务需求", stats.openServiceRequests],
          ["待处理监测预警", stats.openMonitoringAlerts],
          ["下达金额", "11980000.00"],
        ];
        for (const [name, figure] of expected) expect([name, value(name)]).toEqual([name, String(figure)]);
        expect(value("低收入人口")).toBe("72297");
        expect(value("项目资金投入")).toBe("11124000.00");
        for (const row of stats.fundingBySource) expect(value(FUNDING_SOURCE_LABELS[row.source], "项目资金来源")).toBe(row.amount);

        const served = rowsOf(await download(page, '[data-test="export-servedByMonth"]'));
        expect(served).toEqual([
          ["月份", "服务户次", "探访户次"],
          ...stats.servedByMonth.map((row) => [row.month, String(row.householdTimes), String(row.visitHouseholdTimes)]),
        ]);
        expect(console_.foreignRequests()).toEqual([]);
      } finally {
        await console_.close();
      }
    },
    VIEW_TIMEOUT * 2,
  );

  test(
    "the top-up is asked for after the rest: 计算中… (and no figures export) until it answers, a word to refresh when it fails",
    async () => {
      const console_ = await signedIn("demo-admin");
      const { page } = console_;
      try {
        let release: () => void = () => undefined;
        const held = new Promise<void>((resolve) => (release = resolve));
        let failNext = false;
        await page.route("**/graphql", async (route) => {
          if (!(route.request().postData() ?? "").includes("DashboardTopUp")) return route.fallback();
          if (failNext) return route.abort("connectionreset");
          await held;
          return route.fallback();
        });
        const stats = await statsOf(admin, ids.city, H1);
        await page.goto(`${base}/#/dashboard/${ids.city}?from=${H1.from}&to=${H1.to}`);
        await page.waitForSelector(`[data-test="dashboard"][data-state="ready"][data-alliance-id="${ids.city}"]`, { timeout: VIEW_TIMEOUT });
        // The rest of the first screen is there; the top-up says it is being computed.
        expect(await figureText(page, "lowIncomePopulation.total")).toBe("72,297");
        expect(await page.locator('[data-test="figure-averageTopUp"]').getAttribute("data-state")).toBe("loading");
        expect(await figureText(page, "averageTopUp")).toBe("计算中…");
        expect(await figureText(page, "topUpRate")).toBe("计算中…");
        expect(await page.locator('[data-test="export-figures"]').isDisabled()).toBe(true);

        release();
        await shown(page, ids.city, H1);
        expect(await figureText(page, "averageTopUp")).toBe(grouped(stats.averageTopUp ?? ""));
        expect(await page.locator('[data-test="export-figures"]').isDisabled()).toBe(false);

        // A top-up that cannot be read says so, and the rest of the page stays.
        failNext = true;
        await page.locator('[data-test="refresh"]').click();
        await page.waitForSelector('[data-test="figure-averageTopUp"][data-state="error"]', { timeout: VIEW_TIMEOUT });
        expect(await figureText(page, "averageTopUp")).toBe("未能算出，请刷新");
        expect(await figureText(page, "lowIncomePopulation.total")).toBe("72,297");
        failNext = false;
        await page.locator('[data-test="refresh"]').click();
        await shown(page, ids.city, H1);
        expect(await figureText(page, "averageTopUp")).toBe(grouped(stats.averageTopUp ?? ""));
        expect(console_.pageErrors).toEqual([]);
      } finally {
        await console_.close();
      }
    },
    VIEW_TIMEOUT * 2,
  );

  test(
    "the households due for a visit this quarter are listed as the API lists them, and exported",
    async () => {
      const console_ = await signedIn("demo-admin");
      const { page } = console_;
      try {
        await page.goto(`${base}/#/dashboard/${ids.city}?from=${H1.from}&to=${H1.to}`);
        await shown(page, ids.city, H1);
        await page.waitForSelector('[data-test="due-for-visit"][data-state="ready"]', { timeout: VIEW_TIMEOUT });
        const { householdsDueForVisit: due } = await admin.query<{ householdsDueForVisit: { totalCount: number; nodes: { headName: string }[] } }>(DUE, {
          id: ids.city,
          on: todayInChina(),
        });
        expect(due.totalCount).toBeGreaterThan(0);
        expect(await page.locator('[data-test="due-summary"]').textContent()).toContain(`共 ${grouped(due.totalCount)} 户`);
        const names = await page.locator('[data-test="due-table"] tbody tr td:first-child').allTextContents();
        expect(names).toEqual(due.nodes.map((household) => household.headName));

        // The city's list is too long to export whole: the rows listed are, and the page says so.
        const csv = rowsOf(await download(page, '[data-test="export-due"]'));
        expect(csv[0]).toEqual(["户主", "类别", "人数", "村（社区）", "乡镇（街道）", "上次探访"]);
        expect(csv.slice(1).map((row) => row[0])).toEqual(names);
        await expect(page.locator(".due .notice").textContent()).resolves.toContain("超过 2,000 户");
        expect(console_.foreignRequests()).toEqual([]);
      } finally {
        await console_.close();
      }
    },
    VIEW_TIMEOUT * 2,
  );

  test(
    "ADMIN drills down from the city to 温岭市 and back up by the breadcrumb, keeping the period",
    async () => {
      const console_ = await signedIn("demo-admin");
      const { page } = console_;
      try {
        await page.goto(`${base}/#/dashboard/${ids.city}?from=${H1.from}&to=${H1.to}`);
        await shown(page, ids.city, H1);
        const counties = await page.locator('[data-test="child-alliance"]').allTextContents();
        expect(counties.map((name) => name.trim()).sort()).toEqual(["三门县", "临海市", "仙居县", "天台县", "温岭市", "玉环市", "椒江区", "路桥区", "黄岩区"].sort());

        await page.locator('[data-test="child-alliance"]', { hasText: "温岭市" }).click();
        await shown(page, ids.wenling, H1);
        const wenling = await statsOf(admin, ids.wenling, H1);
        expect(await page.locator('[data-test="dashboard-alliance"]').textContent()).toBe("温岭市");
        expect(await figureText(page, "lowIncomePopulation.total")).toBe(grouped(wenling.lowIncomePopulation.total));
        expect(await figureText(page, "fundingTotal")).toBe(grouped(wenling.fundingTotal));
        expect(await figureText(page, "householdTimesServed")).toBe(grouped(wenling.householdTimesServed));
        expect((await chartsOf(page)).servedByMonth.series[0].data).toEqual(wenling.servedByMonth.map((row) => row.householdTimes));
        expect(await page.locator('[data-test="breadcrumb-link"]').allTextContents()).toEqual(["台州市"]);
        expect(await page.locator('[data-test="child-alliance"]', { hasText: "太平街道" }).count()).toBe(1);

        await page.locator('[data-test="breadcrumb-link"]', { hasText: "台州市" }).click();
        await shown(page, ids.city, H1);
        expect(await figureText(page, "lowIncomePopulation.total")).toBe("72,297");
        expect(console_.foreignRequests()).toEqual([]);
        expect(console_.pageErrors).toEqual([]);
      } finally {
        await console_.close();
      }
    },
    VIEW_TIMEOUT * 2,
  );

  test(
    "a coordinator opens on 温岭市, drills down to 太平街道 and back, and never sees above 温岭市",
    async () => {
      const coordinator = await server.login("wenling-coordinator", passwordOf("wenling-coordinator"));
      const console_ = await signedIn("wenling-coordinator");
      const { page } = console_;
      try {
        const today = todayInChina();
        await shown(page, ids.wenling, { from: `${today.slice(0, 4)}-01-01`, to: today });
        await page.goto(`${base}/#/dashboard/${ids.wenling}?from=${H1.from}&to=${H1.to}`);
        await shown(page, ids.wenling, H1);
        const stats = await statsOf(coordinator, ids.wenling, H1);
        expect(await figureText(page, "lowIncomePopulation.total")).toBe(grouped(stats.lowIncomePopulation.total));
        expect(await figureText(page, "projectCount")).toBe(grouped(stats.projectCount));
        expect(await page.locator('[data-test="breadcrumb-link"]').count()).toBe(0);
        expect(await page.locator('[data-test="breadcrumb-current"]').textContent()).toBe("温岭市");

        await page.locator('[data-test="child-alliance"]', { hasText: "太平街道" }).click();
        await shown(page, ids.taiping, H1);
        expect(await page.locator('[data-test="breadcrumb-link"]').allTextContents()).toEqual(["温岭市"]);
        await page.locator('[data-test="breadcrumb-link"]', { hasText: "温岭市" }).click();
        await shown(page, ids.wenling, H1);

        // The city's dashboard is refused, with no figures, and a way back to 温岭市.
        await page.goto(`${base}/#/dashboard/${ids.city}?from=${H1.from}&to=${H1.to}`);
        await page.waitForSelector('[data-test="dashboard"][data-state="error"]', { timeout: VIEW_TIMEOUT });
        expect(await page.locator('[data-test="dashboard-error"]').textContent()).toContain("您无权查看该助联体的数据");
        expect(await page.locator('[data-test^="figure-"]').count()).toBe(0);
        expect(await page.getByText("台州市").count()).toBe(0);
        await page.locator('[data-test="dashboard-error"] a').click();
        await shown(page, ids.wenling, H1);
        expect(console_.foreignRequests()).toEqual([]);
        expect(console_.pageErrors).toEqual([]);
      } finally {
        await console_.close();
      }
    },
    VIEW_TIMEOUT * 2,
  );

  test(
    "on a phone (390 px) the dashboard fits the screen's width, with its figures and charts",
    async () => {
      const console_ = await signedIn("demo-admin", PHONE);
      const { page } = console_;
      try {
        await page.goto(`${base}/#/dashboard/${ids.city}?from=${H1.from}&to=${H1.to}`);
        await shown(page, ids.city, H1);
        await page.waitForSelector('[data-test="due-for-visit"][data-state="ready"]', { timeout: VIEW_TIMEOUT });
        expect(await figureText(page, "lowIncomePopulation.total")).toBe("72,297");
        expect(Object.keys(await chartsOf(page))).toHaveLength(6);
        expect(await page.evaluate<number>("document.documentElement.scrollWidth")).toBeLessThanOrEqual(PHONE.width);
        const widths = await page.evaluate<number[]>(`[...document.querySelectorAll("[data-chart]")].map((element) => element.getBoundingClientRect().width)`);
        expect(widths).toHaveLength(6);
        for (const width of widths) expect(width).toBeGreaterThan(300);
        await screenshot(page, "dashboard-phone");
        expect(console_.foreignRequests()).toEqual([]);
        expect(console_.pageErrors).toEqual([]);
      } finally {
        await console_.close();
      }
    },
    VIEW_TIMEOUT * 2,
  );
});
