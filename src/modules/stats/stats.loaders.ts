import DataLoader from "dataloader";
import { defineLoader } from "../../context";
import { StatsService, type MonthlyField, type StatsRoot } from "./stats.service";
import type { AllianceStats } from "./stats.types";

/**
 * Figures per alliance for one period (`{ from, to }` as ISO dates) and the monthly fields
 * selected on them (bounded in length, see StatsService.forAlliances): one batch, three statements.
 */
export const allianceStats = defineLoader(
  (ctx, variant: { from: string; to: string; monthlyFields: readonly MonthlyField[] }) =>
    new DataLoader<StatsRoot, AllianceStats, string>(
      (roots) =>
        ctx.app.get(StatsService).forAlliances(ctx.viewer, roots, { from: new Date(variant.from), to: new Date(variant.to) }, {
          monthlyFields: variant.monthlyFields,
        }),
      { cacheKeyFn: (root) => root.id },
    ),
);
