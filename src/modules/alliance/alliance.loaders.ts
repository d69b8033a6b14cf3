import DataLoader from "dataloader";
import type { PageArgs } from "../../common/pagination";
import { defineLoader } from "../../context";
import type { Alliance } from "../../generated/prisma/client";
import { AllianceService } from "./alliance.service";

/** Alliances by id, unscoped: resolvers check scope on what they return. */
export const allianceById = defineLoader(
  (ctx) => new DataLoader<string, Alliance | null>((ids) => ctx.app.get(AllianceService).findByIds(ids)),
);

/** One page of children per parent id, for the given page arguments. */
export const allianceChildPage = defineLoader(
  (ctx, page: PageArgs) =>
    new DataLoader((parentIds: readonly string[]) =>
      ctx.app.get(AllianceService).childPages(ctx.viewer, parentIds, page),
    ),
);
