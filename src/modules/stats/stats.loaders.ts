import DataLoader from "dataloader";
import { defineLoader } from "../../context";
import { StatsService, type StatsRoot } from "./stats.service";
import type { AllianceStats } from "./stats.types";

/** Figures per alliance for one period (`{ from, to }` as ISO dates): one batch, three statements. */
export const allianceStats = defineLoader(
  (ctx, period: { from: string; to: string }) =>
    new DataLoader<StatsRoot, AllianceStats, string>(
      (roots) =>
        ctx.app.get(StatsService).forAlliances(ctx.viewer, roots, { from: new Date(period.from), to: new Date(period.to) }),
      { cacheKeyFn: (root) => root.id },
    ),
);
