import DataLoader from "dataloader";
import { defineLoader } from "../../context";
import { StandardService } from "./standard.service";
import type { Assessment, MemberIncome } from "./standard.types";

/** Each household's assessment for the month containing one day (the variant, an ISO date): one statement per batch. */
export const householdAssessment = defineLoader(
  (ctx, on: string) =>
    new DataLoader<string, Assessment | null>((ids) => ctx.app.get(StandardService).assessments(ids, new Date(`${on}T00:00:00Z`))),
);

/** Each household's incomes in the month containing one day (the variant, an ISO date): one statement per batch. */
export const householdIncomes = defineLoader(
  (ctx, month: string) =>
    new DataLoader<string, MemberIncome[]>((ids) => ctx.app.get(StandardService).incomesOf(ids, new Date(`${month}T00:00:00Z`))),
);
