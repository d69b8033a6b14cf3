import DataLoader from "dataloader";
import type { Decimal } from "../../common/scalars";
import { defineLoader } from "../../context";
import type { Funding, WelfareLotteryGrant } from "../../generated/prisma/client";
import { FundingService } from "./funding.service";

/** The fundings of each project. */
export const projectFundings = defineLoader(
  (ctx) => new DataLoader<string, Funding[]>((ids) => ctx.app.get(FundingService).fundingsOf(ids)),
);

/** The sum of each project's fundings. */
export const projectFundingTotal = defineLoader(
  (ctx) => new DataLoader<string, Decimal>((ids) => ctx.app.get(FundingService).totalsOf(ids)),
);

/** The fundings allocated from each grant. */
export const grantAllocations = defineLoader(
  (ctx) => new DataLoader<string, Funding[]>((ids) => ctx.app.get(FundingService).allocationsOf(ids)),
);

/** Grants by id, unscoped: callers reach them through records already in scope. */
export const grantById = defineLoader(
  (ctx) => new DataLoader<string, WelfareLotteryGrant | null>((ids) => ctx.app.get(FundingService).grantsByIds(ids)),
);
