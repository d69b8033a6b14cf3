import DataLoader from "dataloader";
import type { Decimal } from "../../common/scalars";
import { defineLoader } from "../../context";
import type { Funding, WelfareLotteryGrant } from "../../generated/prisma/client";
import { FundingService } from "./funding.service";

/** The first `limit` fundings of each project that the viewer may see. */
export const projectFundings = defineLoader(
  (ctx, limit: number) => new DataLoader<string, Funding[]>((ids) => ctx.app.get(FundingService).fundingsOf(ctx.viewer, ids, limit)),
);

/** The sum of each project's fundings. */
export const projectFundingTotal = defineLoader(
  (ctx) => new DataLoader<string, Decimal>((ids) => ctx.app.get(FundingService).totalsOf(ids)),
);

/** The first `limit` fundings allocated from each grant to projects the viewer may see them on. */
export const grantAllocations = defineLoader(
  (ctx, limit: number) => new DataLoader<string, Funding[]>((ids) => ctx.app.get(FundingService).allocationsOf(ctx.viewer, ids, limit)),
);

/** Grants by id, unscoped: callers reach them through records already in scope. */
export const grantById = defineLoader(
  (ctx) => new DataLoader<string, WelfareLotteryGrant | null>((ids) => ctx.app.get(FundingService).grantsByIds(ids)),
);
