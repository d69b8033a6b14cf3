import DataLoader from "dataloader";
import type { AccessGround, AssistanceCategory } from "../../common/enums";
import { defineLoader } from "../../context";
import type { Household, HouseholdMember } from "../../generated/prisma/client";
import { HouseholdService } from "./household.service";
import type { HouseholdCategoryChange, HouseholdMemberChange } from "./household.types";

/** Households by id, unscoped: callers reach them through records already in scope. */
export const householdById = defineLoader(
  (ctx) => new DataLoader<string, Household | null>((ids) => ctx.app.get(HouseholdService).findByIds(ids)),
);

/** The current members of each household, oldest first; with the variant `{ includeFormer: true }`, those who left too. */
export const householdMembers = defineLoader(
  (ctx, variant?: { includeFormer: boolean }) =>
    new DataLoader<string, HouseholdMember[]>((ids) => ctx.app.get(HouseholdService).membersOf(ids, variant?.includeFormer ?? false)),
);

/** The ground on which the viewer may see each household's names and ID numbers (null: masked): one statement per batch. */
export const householdPiiAccess = defineLoader(
  (ctx) => new DataLoader<string, AccessGround | null>((ids) => ctx.app.get(HouseholdService).piiAccess(ctx.viewer, ids)),
);

/** Each household's category on one day (the variant, an ISO date): one statement per batch. */
export const householdCategoryOn = defineLoader(
  (ctx, on: string) =>
    new DataLoader<string, AssistanceCategory | null>((ids) => ctx.app.get(HouseholdService).categoriesOn(ids, new Date(`${on}T00:00:00Z`))),
);

/** The category history of each household, oldest first. */
export const householdCategoryHistory = defineLoader(
  (ctx) => new DataLoader<string, HouseholdCategoryChange[]>((ids) => ctx.app.get(HouseholdService).categoryHistories(ids)),
);

/** The member history of each household, in order of effect. */
export const householdMemberHistory = defineLoader(
  (ctx) => new DataLoader<string, HouseholdMemberChange[]>((ids) => ctx.app.get(HouseholdService).memberHistories(ids)),
);
