import DataLoader from "dataloader";
import { defineLoader } from "../../context";
import type { HouseholdAssignment } from "../../generated/prisma/client";
import { AssignmentService } from "./assignment.service";

/** The assignments of each household the viewer may see (newest first, at most `limit`): one statement per batch. */
export const householdAssignments = defineLoader(
  (ctx, limit: number) =>
    new DataLoader<string, HouseholdAssignment[]>((ids) => ctx.app.get(AssignmentService).ofHouseholds(ctx.viewer, ids, limit)),
);
