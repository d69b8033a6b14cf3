import DataLoader from "dataloader";
import type { PageArgs } from "../../common/pagination";
import { defineLoader } from "../../context";
import type { Visit } from "../../generated/prisma/client";
import { VisitService } from "./visit.service";

/** Visits by id, unscoped: they are reached through households already in scope. */
export const visitById = defineLoader(
  (ctx) => new DataLoader<string, Visit | null>((ids) => ctx.app.get(VisitService).findByIds(ids)),
);

/** One page of visits (newest first) per household id, for the given page arguments. */
export const householdVisitPage = defineLoader(
  (ctx, page: PageArgs) =>
    new DataLoader((householdIds: readonly string[]) => ctx.app.get(VisitService).pagesOf(householdIds, page)),
);

/** The day of each household's latest visit. */
export const householdLastVisitOn = defineLoader(
  (ctx) => new DataLoader<string, Date | null>((ids) => ctx.app.get(VisitService).lastVisitOn(ids)),
);
