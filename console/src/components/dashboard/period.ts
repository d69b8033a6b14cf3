import { t } from "../../i18n";

/** A reporting period, both days inclusive, as "YYYY-MM-DD" (the API's Date). */
export interface Period {
  from: string;
  to: string;
}

export interface PeriodPreset extends Period {
  key: string;
  label: string;
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real calendar day written "YYYY-MM-DD". */
export function isDay(text: unknown): text is string {
  if (typeof text !== "string") return false;
  const match = DAY.exec(text);
  if (!match) return false;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return date.toISOString().slice(0, 10) === text;
}

/** True when both ends are days and `to` is not before `from`. */
export function isPeriod(period: Partial<Period>): period is Period {
  return isDay(period.from) && isDay(period.to) && period.from <= period.to;
}

/** Today in China (the bureau's calendar), "YYYY-MM-DD". */
export function todayInChina(now: Date = new Date()): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit" }).format(now);
}

function day(year: number, month: number, date: number): string {
  return new Date(Date.UTC(year, month - 1, date)).toISOString().slice(0, 10);
}

/** The last day of a month (1–12). */
function lastDay(year: number, month: number): string {
  return day(year, month + 1, 0);
}

function parts(today: string): { year: number; month: number } {
  return { year: Number(today.slice(0, 4)), month: Number(today.slice(5, 7)) };
}

/** The calendar quarter (1–4) of a day. */
export function quarterOf(dayText: string): { year: number; quarter: number } {
  const { year, month } = parts(dayText);
  return { year, quarter: Math.floor((month - 1) / 3) + 1 };
}

function quarter(year: number, number: number): Period {
  const first = (number - 1) * 3 + 1;
  return { from: day(year, first, 1), to: lastDay(year, first + 2) };
}

/** The period the dashboard opens on: this year to date. */
export function defaultPeriod(today: string = todayInChina()): Period {
  return { from: `${today.slice(0, 4)}-01-01`, to: today };
}

/** The presets offered: this year to date and in full, this and the last quarter, last year, and the last four half-years. */
export function periodPresets(today: string = todayInChina()): PeriodPreset[] {
  const { year, month } = parts(today);
  const current = quarterOf(today).quarter;
  const previous = current === 1 ? { year: year - 1, number: 4 } : { year, number: current - 1 };
  const halves: PeriodPreset[] = [];
  for (const y of [year, year - 1]) {
    if (y < year || month >= 7) halves.push({ key: `h2-${y}`, label: t.dashboard.period.secondHalf(y), from: `${y}-07-01`, to: `${y}-12-31` });
    halves.push({ key: `h1-${y}`, label: t.dashboard.period.firstHalf(y), from: `${y}-01-01`, to: `${y}-06-30` });
  }
  if (month < 7) halves.push({ key: `h2-${year - 2}`, label: t.dashboard.period.secondHalf(year - 2), from: `${year - 2}-07-01`, to: `${year - 2}-12-31` });
  return [
    { key: "ytd", label: t.dashboard.period.yearToDate, ...defaultPeriod(today) },
    { key: "year", label: t.dashboard.period.thisYear, from: `${year}-01-01`, to: `${year}-12-31` },
    { key: "quarter", label: t.dashboard.period.thisQuarter, ...quarter(year, current) },
    { key: "last-quarter", label: t.dashboard.period.lastQuarter, ...quarter(previous.year, previous.number) },
    { key: "last-year", label: t.dashboard.period.lastYear, from: `${year - 1}-01-01`, to: `${year - 1}-12-31` },
    ...halves,
  ];
}
