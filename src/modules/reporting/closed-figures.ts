import { isoDate } from "../../common/scalars";
import { Prisma } from "../../generated/prisma/client";
import type { AllianceStats, MonthlyPopulation, MonthServed } from "../stats";

/** A calendar day as stored ("2025-06-30"), back to a Date at UTC midnight. */
export function dayOf(iso: string): Date {
  return new Date(`${iso}T00:00:00Z`);
}

/** Figures whose value does not depend on the period: kept as stored when a correction recomputes the rest. */
export const UNDATED_FIGURES = ["alliancesByLevel", "standardOperationRate", "openServiceRequests", "openMonitoringAlerts"] as const;

/** The figures as `closed_figures.figures` holds them (JSON). */
type StoredFigures = Omit<AllianceStats, "from" | "to" | "fundingTotal" | "fundingBySource" | "lowIncomePopulationByMonth" | "servedByMonth" | "averageTopUp" | "topUpRate"> & {
  from: string;
  to: string;
  fundingTotal: string;
  fundingBySource: { source: AllianceStats["fundingBySource"][number]["source"]; amount: string }[];
  lowIncomePopulationByMonth: (Omit<MonthlyPopulation, "asOf"> & { asOf: string })[];
  /** Absent from figures stored before it was: those compute it live (StatsService). */
  servedByMonth?: MonthServed[];
  averageTopUp?: string | null;
  topUpRate?: number | null;
};

/**
 * Figures as stored in `closed_figures.figures`: every AllianceStats field, the monthly rows
 * (population and 户次 by month) awaited, Money as strings with two decimals, dates as ISO days.
 */
export async function encodeFigures(stats: AllianceStats): Promise<Record<string, unknown>> {
  const plain = {
    ...stats,
    lowIncomePopulationByMonth: await stats.lowIncomePopulationByMonth(),
    servedByMonth: stats.servedByMonth ? await stats.servedByMonth() : undefined,
    averageTopUp: await stats.averageTopUp(),
    topUpRate: await stats.topUpRate(),
  };
  return JSON.parse(
    JSON.stringify(plain, function (this: Record<string, unknown>, key, value: unknown) {
      const raw = this[key];
      if (raw instanceof Date) return isoDate(raw);
      if (Prisma.Decimal.isDecimal(raw)) return (raw as Prisma.Decimal).toFixed(2);
      return value;
    }),
  ) as Record<string, unknown>;
}

/** Stored figures back to AllianceStats: dates to Date, Money to Decimal, the monthly rows behind a function (servedByMonth only when stored). */
export function decodeFigures(stored: unknown): AllianceStats {
  const figures = (typeof stored === "string" ? JSON.parse(stored) : stored) as StoredFigures;
  const monthly: MonthlyPopulation[] = (figures.lowIncomePopulationByMonth ?? []).map((row) => ({ ...row, asOf: dayOf(row.asOf) }));
  const { servedByMonth: served, ...rest } = figures;
  return {
    ...rest,
    ...(served ? { servedByMonth: () => Promise.resolve(served) } : {}),
    from: dayOf(figures.from),
    to: dayOf(figures.to),
    fundingTotal: new Prisma.Decimal(figures.fundingTotal),
    fundingBySource: figures.fundingBySource.map((row) => ({ ...row, amount: new Prisma.Decimal(row.amount) })),
    lowIncomePopulationByMonth: () => Promise.resolve(monthly),
    // Figures stored before alerts existed had none open.
    openMonitoringAlerts: figures.openMonitoringAlerts ?? 0,
    averageTopUp: () => Promise.resolve(figures.averageTopUp == null ? null : new Prisma.Decimal(figures.averageTopUp)),
    topUpRate: () => Promise.resolve(figures.topUpRate ?? null),
  };
}
