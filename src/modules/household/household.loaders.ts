import DataLoader from "dataloader";
import type { AccessGround } from "../../common/enums";
import { defineLoader } from "../../context";
import type { Household, HouseholdMember } from "../../generated/prisma/client";
import { HouseholdService } from "./household.service";

/** Households by id, unscoped: callers reach them through records already in scope. */
export const householdById = defineLoader(
  (ctx) => new DataLoader<string, Household | null>((ids) => ctx.app.get(HouseholdService).findByIds(ids)),
);

/** The members of each household, oldest first. */
export const householdMembers = defineLoader(
  (ctx) => new DataLoader<string, HouseholdMember[]>((ids) => ctx.app.get(HouseholdService).membersOf(ids)),
);

/** The ground on which the viewer may see each household's names and ID numbers (null: masked): one statement per batch. */
export const householdPiiAccess = defineLoader(
  (ctx) => new DataLoader<string, AccessGround | null>((ids) => ctx.app.get(HouseholdService).piiAccess(ctx.viewer, ids)),
);
