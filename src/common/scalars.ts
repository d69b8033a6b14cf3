import { DateResolver, DateTimeResolver } from "graphql-scalars";
import { GraphQLScalarType, Kind } from "graphql";
import { Prisma } from "../generated/prisma/client";

export const Decimal = Prisma.Decimal;
export type Decimal = Prisma.Decimal;

/** The largest amount the database column numeric(14,2) holds. */
export const MONEY_MAX = new Prisma.Decimal("999999999999.99");
const moneyPattern = /^\d{1,12}(\.\d{1,2})?$/;

function parseMoney(value: unknown): Prisma.Decimal {
  if (typeof value !== "string") {
    throw new TypeError("Money must be a string of yuan such as \"1200.50\", not a number");
  }
  if (!moneyPattern.test(value)) {
    throw new TypeError(
      `Money must be a non-negative amount with at most two decimals and at most 999999999999.99, got "${value.slice(0, 32)}"`,
    );
  }
  return new Prisma.Decimal(value);
}

/** Yuan as an exact decimal string with two fraction digits ("11124000.00"); never a float. */
export const MoneyScalar = new GraphQLScalarType<Prisma.Decimal, string>({
  name: "Money",
  description: "An amount in yuan: a decimal string with exactly two fraction digits, e.g. \"11124000.00\".",
  serialize(value) {
    if (Prisma.Decimal.isDecimal(value)) return (value as Prisma.Decimal).toFixed(2);
    if (typeof value === "string") return new Prisma.Decimal(value).toFixed(2);
    throw new TypeError("Money can only serialize decimals");
  },
  parseValue: parseMoney,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw new TypeError("Money must be a string such as \"1200.50\"");
    return parseMoney(ast.value);
  },
});

/** A calendar date, "2025-06-30", held as a Date at UTC midnight. */
export const DateScalar = new GraphQLScalarType({
  ...DateResolver.toConfig(),
  description: "A calendar date, ISO 8601 (\"2025-06-30\").",
});

/** An instant, ISO 8601 with time zone. */
export const DateTimeScalar = new GraphQLScalarType({
  ...DateTimeResolver.toConfig(),
  description: "An instant, ISO 8601 with time zone (\"2025-06-30T08:00:00.000Z\").",
});

/** Today's date at UTC midnight in China Standard Time (UTC+8), the platform's calendar. */
export function todayInChina(now = new Date()): Date {
  const shifted = new Date(now.getTime() + 8 * 3600_000);
  return new Date(Date.UTC(shifted.getUTCFullYear(), shifted.getUTCMonth(), shifted.getUTCDate()));
}

/** "2025-06-30" for a date held at UTC midnight. */
export function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}
