/** Calendar days as the API counts them: `YYYY-MM-DD` in China time (Asia/Shanghai). */
const CHINA = "Asia/Shanghai";

const dayFormat = new Intl.DateTimeFormat("en-CA", { timeZone: CHINA, year: "numeric", month: "2-digit", day: "2-digit" });
const dateTimeFormat = new Intl.DateTimeFormat("zh-CN", {
  timeZone: CHINA,
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  hour12: false,
});

/** The `YYYY-MM-DD` day of an instant in China time. */
export function chinaDay(instant: Date): string {
  const parts = Object.fromEntries(dayFormat.formatToParts(instant).map((part) => [part.type, part.value]));
  return `${parts.year}-${parts.month}-${parts.day}`;
}

/** Today in China time. */
export function todayInChina(): string {
  return chinaDay(new Date());
}

/** A `DateTime` from the API as China time, `2025/06/01 14:03`; "" for none. */
export function formatDateTime(iso: string | null | undefined): string {
  return iso ? dateTimeFormat.format(new Date(iso)) : "";
}

function parts(day: string): [number, number, number] {
  const [year, month, date] = day.split("-").map(Number);
  return [year, month, date];
}

function format(year: number, month: number, date: number): string {
  const utc = new Date(Date.UTC(year, month - 1, date));
  return utc.toISOString().slice(0, 10);
}

/** `day` moved by `days` calendar days. */
export function addDays(day: string, days: number): string {
  const [year, month, date] = parts(day);
  return format(year, month, date + days);
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** The calendar quarter of a day, as a number that grows by one a quarter. */
function quarterIndex(day: string): number {
  const [year, month] = parts(day);
  return year * 4 + Math.floor((month - 1) / 3);
}

/** The last day of the calendar quarter `offset` quarters after the one containing `day`. */
export function quarterEnd(day: string, offset = 0): string {
  const index = quarterIndex(day) + offset;
  const year = Math.floor(index / 4);
  const lastMonth = (index % 4) * 3 + 3;
  return format(year, lastMonth + 1, 0);
}

/**
 * When the next 探访关爱 visit is due under the rule "at least once a calendar quarter": the end
 * of this quarter when the household has not been visited in it yet, else the end of the next one.
 */
export function nextVisitDue(lastVisitOn: string | null, today: string): { due: string; visitedThisQuarter: boolean } {
  const visitedThisQuarter = lastVisitOn !== null && quarterIndex(lastVisitOn) === quarterIndex(today);
  return { due: quarterEnd(today, visitedThisQuarter ? 1 : 0), visitedThisQuarter };
}

/**
 * A fresh idempotency key for one form: a retried submission of the same form sends the same key,
 * so the server records it once. crypto.randomUUID needs a secure context; plain HTTP on a LAN
 * address has only getRandomValues.
 */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
