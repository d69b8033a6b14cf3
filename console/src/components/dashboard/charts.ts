import { label, t } from "../../i18n";
import type { DashboardStats, GrantRow, MonthlyPopulation, MonthServed, ProjectRow } from "./dashboard-data";
import type { ChartOption } from "./echarts";
import { formatCount, formatMoney } from "./format";

/**
 * The dashboard's chart options, built from the API's answer as it is: counts as numbers, money as
 * the API's decimal strings (ECharts plots a numeric string as its number; the option keeps the
 * string, so a chart's data reads back exactly as the API gave it).
 */

const words = t.dashboard.charts;
const units = t.dashboard.units;

interface TooltipItem {
  name: string;
  seriesName?: string;
  marker?: string;
  data: unknown;
  dataIndex: number;
  percent?: number;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

function rawValue(data: unknown): string | number {
  if (data !== null && typeof data === "object" && "value" in data) return (data as { value: string | number }).value;
  return data as string | number;
}

function moneyText(value: string | number): string {
  return `${formatMoney(String(value))} ${units.yuan}`;
}

function countText(unit: string) {
  return (value: string | number) => `${formatCount(Number(value))} ${unit}`;
}

/** An axis tooltip: the category, then each series' value as `format` writes it. */
function axisTooltip(format: (value: string | number, item: TooltipItem) => string) {
  return (params: unknown): string => {
    const items = (Array.isArray(params) ? params : [params]) as TooltipItem[];
    if (!items.length) return "";
    const lines = items.map((item) => `${item.marker ?? ""}${escapeHtml(item.seriesName ?? "")}：${format(rawValue(item.data), item)}`);
    return [escapeHtml(items[0].name), ...lines].join("<br>");
  };
}

/** Money axis ticks in 万元 once they reach ten thousand. */
function moneyAxisLabel(value: number): string {
  return Math.abs(value) >= 10_000 ? `${value / 10_000}万` : String(value);
}

/** A pie's item: ECharts types pie values as numbers but reads a numeric string the same way. */
function pieItem(name: string, value: string | number): { name: string; value: number } {
  return { name, value: value as number };
}

function pie(title: string, data: { name: string; value: number }[], format: (value: string | number) => string): ChartOption {
  const nothing = data.every((item) => /^0*(\.0*)?$/.test(String(item.value)));
  return {
    tooltip: {
      trigger: "item",
      formatter: (params: unknown) => {
        const item = params as TooltipItem;
        return `${item.marker ?? ""}${escapeHtml(item.name)}：${format(rawValue(item.data))}（${item.percent ?? 0}%）`;
      },
    },
    legend: { type: "scroll", bottom: 0 },
    series: [
      {
        name: title,
        type: "pie",
        radius: ["32%", "60%"],
        center: ["50%", "45%"],
        avoidLabelOverlap: true,
        // Nothing to share out (every value 0): no slices, rather than equal ones.
        stillShowZeroSum: false,
        label: { show: !nothing, formatter: "{b}\n{d}%" },
        labelLine: { show: !nothing },
        data,
      },
    ],
  };
}

/** 项目资金来源: the period's fundingBySource, every source in the API's order. */
export function fundingBySourceOption(rows: DashboardStats["fundingBySource"]): ChartOption {
  return pie(
    words.fundingBySource.title,
    rows.map((row) => pieItem(label("FundingSource", row.source), row.amount)),
    moneyText,
  );
}

/** 低收入人口构成: the three low-income categories on the period's last day. */
export function populationByCategoryOption(population: DashboardStats["lowIncomePopulation"]): ChartOption {
  return pie(
    words.populationByCategory.title,
    [
      pieItem(label("AssistanceCategory", "DIBAO"), population.dibao),
      pieItem(label("AssistanceCategory", "DIBAO_MARGINAL"), population.dibaoMarginal),
      pieItem(label("AssistanceCategory", "EXTREME_POVERTY"), population.extremePoverty),
    ],
    countText(units.persons),
  );
}

const monthGrid = { left: 8, right: 8, top: 40, bottom: 8 };

/** 服务与探访户次 by month: servedByMonth. */
export function servedByMonthOption(rows: readonly MonthServed[]): ChartOption {
  return {
    tooltip: { trigger: "axis", formatter: axisTooltip(countText(units.householdTimes)) },
    legend: { top: 0 },
    grid: monthGrid,
    xAxis: { type: "category", data: rows.map((row) => row.month) },
    yAxis: { type: "value" },
    series: [
      { name: words.servedByMonth.householdTimes, type: "bar", data: rows.map((row) => row.householdTimes) },
      { name: words.servedByMonth.visitHouseholdTimes, type: "bar", data: rows.map((row) => row.visitHouseholdTimes) },
    ],
  };
}

/** 低收入人口 by month: the three categories stacked, and the persons who entered and left (right axis). */
export function populationByMonthOption(rows: readonly MonthlyPopulation[]): ChartOption {
  const persons = countText(units.persons);
  return {
    tooltip: { trigger: "axis", formatter: axisTooltip(persons) },
    legend: { type: "scroll", top: 0 },
    grid: monthGrid,
    xAxis: { type: "category", data: rows.map((row) => row.month) },
    yAxis: [{ type: "value" }, { type: "value", splitLine: { show: false } }],
    series: [
      { name: label("AssistanceCategory", "DIBAO"), type: "bar", stack: "population", data: rows.map((row) => row.dibao) },
      { name: label("AssistanceCategory", "DIBAO_MARGINAL"), type: "bar", stack: "population", data: rows.map((row) => row.dibaoMarginal) },
      { name: label("AssistanceCategory", "EXTREME_POVERTY"), type: "bar", stack: "population", data: rows.map((row) => row.extremePoverty) },
      { name: words.populationByMonth.entered, type: "line", yAxisIndex: 1, data: rows.map((row) => row.entered) },
      { name: words.populationByMonth.exited, type: "line", yAxisIndex: 1, data: rows.map((row) => row.exited) },
    ],
  };
}

const barListGrid = { left: 8, right: 16, top: 40, bottom: 8 };

/** 项目资金到位与预算: the given projects (the top ones by budget), largest first. */
export function projectFundingOption(projects: readonly ProjectRow[]): ChartOption {
  return {
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, formatter: axisTooltip(moneyText) },
    legend: { top: 0 },
    grid: barListGrid,
    xAxis: { type: "value", splitNumber: 3, axisLabel: { formatter: moneyAxisLabel } },
    yAxis: { type: "category", inverse: true, data: projects.map((project) => project.name), axisLabel: { width: 110, overflow: "truncate" } },
    series: [
      { name: words.projectFunding.budget, type: "bar", data: projects.map((project) => project.budget) },
      { name: words.projectFunding.funded, type: "bar", data: projects.map((project) => project.fundingTotal) },
    ],
  };
}

/** 福彩公益金: each grant's allocated and remaining amounts, stacked to its amount. */
export function grantsOption(grants: readonly GrantRow[]): ChartOption {
  return {
    tooltip: {
      trigger: "axis",
      axisPointer: { type: "shadow" },
      formatter: (params: unknown) => {
        const items = (Array.isArray(params) ? params : [params]) as TooltipItem[];
        const grant = grants[items[0]?.dataIndex ?? -1];
        if (!grant) return "";
        return [
          `${escapeHtml(grant.code)}（${grant.year}，${escapeHtml(t.dashboard.grantLevel[grant.level] ?? grant.level)}，${escapeHtml(grant.alliance.name)}）`,
          `${words.grants.amount}：${moneyText(grant.amount)}`,
          ...items.map((item) => `${item.marker ?? ""}${escapeHtml(item.seriesName ?? "")}：${moneyText(rawValue(item.data))}`),
        ].join("<br>");
      },
    },
    legend: { top: 0 },
    grid: barListGrid,
    xAxis: { type: "value", splitNumber: 3, axisLabel: { formatter: moneyAxisLabel } },
    yAxis: { type: "category", inverse: true, data: grants.map((grant) => grant.code), axisLabel: { width: 130, overflow: "truncate" } },
    series: [
      { name: words.grants.allocated, type: "bar", stack: "grant", data: grants.map((grant) => grant.allocated) },
      { name: words.grants.remaining, type: "bar", stack: "grant", data: grants.map((grant) => grant.remaining) },
    ],
  };
}

/** Height for a horizontal bar chart of `count` rows: room for each bar pair, at least the usual height. */
export function barListHeight(count: number): number {
  return Math.max(240, 60 + count * 34);
}
