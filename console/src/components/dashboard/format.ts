/**
 * Figures as the API gives them, written for people: thousands separators, no rounding. Money
 * stays a decimal string end to end; sums and comparisons of money are exact (integer arithmetic).
 */

function groupDigits(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** "11124000.00" → "11,124,000.00": the amount as given, with thousands separators. */
export function formatMoney(amount: string): string {
  const negative = amount.startsWith("-");
  const [whole, fraction] = (negative ? amount.slice(1) : amount).split(".");
  return `${negative ? "-" : ""}${groupDigits(whole)}${fraction === undefined ? "" : `.${fraction}`}`;
}

/** 72297 → "72,297". */
export function formatCount(count: number): string {
  return count < 0 ? `-${groupDigits(String(-count))}` : groupDigits(String(count));
}

/** 0.8666 → "86.66%", 1 → "100%": the decimal point moved, digits kept as the API gave them. */
export function formatRate(rate: number): string {
  const text = String(rate);
  if (/e/i.test(text)) return `${rate * 100}%`;
  const negative = text.startsWith("-");
  const [whole, fraction = ""] = (negative ? text.slice(1) : text).split(".");
  const padded = fraction.padEnd(2, "0");
  const shiftedWhole = `${whole}${padded.slice(0, 2)}`.replace(/^0+(?=\d)/, "");
  const shiftedFraction = padded.slice(2).replace(/0+$/, "");
  return `${negative ? "-" : ""}${shiftedWhole}${shiftedFraction ? `.${shiftedFraction}` : ""}%`;
}

/** A decimal string as an integer count of its smallest unit at `scale` fraction digits. */
function scaled(amount: string, scale: number): bigint {
  const negative = amount.startsWith("-");
  const [whole, fraction = ""] = (negative ? amount.slice(1) : amount).split(".");
  const value = BigInt(`${whole}${fraction.padEnd(scale, "0")}`);
  return negative ? -value : value;
}

function scaleOf(amounts: readonly string[]): number {
  return Math.max(2, ...amounts.map((amount) => amount.split(".")[1]?.length ?? 0));
}

function unscaled(value: bigint, scale: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, "0");
  return `${negative ? "-" : ""}${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
}

/** The exact sum of decimal strings, with (at least) two fraction digits: ["0.10", "0.20"] → "0.30". */
export function sumMoney(amounts: readonly string[]): string {
  const scale = scaleOf(amounts);
  return unscaled(amounts.reduce((total, amount) => total + scaled(amount, scale), 0n), scale);
}

/** Orders two decimal strings: negative, zero or positive, exactly. */
export function compareMoney(a: string, b: string): number {
  const scale = scaleOf([a, b]);
  const difference = scaled(a, scale) - scaled(b, scale);
  return difference < 0n ? -1 : difference > 0n ? 1 : 0;
}
