import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import { AssistanceCategory } from "../../common/enums";
import { DateScalar, isoDate } from "../../common/scalars";
import type { Context } from "../../context";
import { Alliance, allianceById } from "../alliance";
import { Household, householdPiiAccess } from "../household";
import {
  RecordMemberIncomeInput,
  SetAssistanceStandardInput,
  SetCountyAssistanceSettingInput,
  SetMinimumWageInput,
} from "./standard.inputs";
import { householdAssessment, householdIncomes } from "./standard.loaders";
import { StandardService } from "./standard.service";
import { Assessment, AssistanceStandard, CountyAssistanceSetting, MemberIncome, MinimumWage } from "./standard.types";

@ArgsType()
class StandardOnArgs {
  @Field(() => ID, { description: "Any alliance: the standard of its nearest ancestor (or itself) that has one is answered." })
  allianceId: string;

  @Field(() => AssistanceCategory)
  category: AssistanceCategory;

  @Field(() => DateScalar, { description: "The day to ask about." })
  date: Date;
}

/** True when the viewer may read a household's incomes and assessment: ADMIN, or a COORDINATOR of its subtree. */
async function mayReadIncomes(ctx: Context, householdId: string): Promise<boolean> {
  const ground = await householdPiiAccess(ctx).load(householdId);
  return ground === "ADMIN" || ground === "COORDINATOR";
}

@Resolver(() => AssistanceStandard)
export class AssistanceStandardResolver {
  @Query(() => AssistanceStandard, {
    nullable: true,
    description:
      "The standard of `category` in force on `date` for an alliance: a county's own, else the city's (the nearest alliance up its path that has one); null when none. Any signed-in account.",
  })
  standardOn(@Args() { allianceId, category, date }: StandardOnArgs, @Ctx() ctx: Context) {
    return ctx.app.get(StandardService).standardOn(ctx.viewer, allianceId, category, date);
  }

  @Query(() => CountyAssistanceSetting, { description: "A COUNTY's assistance settings (the defaults when none were set). Any signed-in account." })
  countyAssistanceSetting(@Arg("allianceId", () => ID, { description: "A COUNTY alliance." }) allianceId: string, @Ctx() ctx: Context) {
    return ctx.app.get(StandardService).countySetting(ctx.viewer, allianceId);
  }

  @Mutation(() => AssistanceStandard, {
    description: "Sets a standard of a COUNTY or the CITY from effectiveFrom on (ADMIN); one set for the same alliance, category and day is replaced.",
  })
  setAssistanceStandard(@Arg("input") input: SetAssistanceStandardInput, @Ctx() ctx: Context) {
    return ctx.app.get(StandardService).setStandard(ctx.viewer, input);
  }

  @Mutation(() => MinimumWage, { description: "Sets the minimum wage of a COUNTY or the CITY from effectiveFrom on (ADMIN)." })
  setMinimumWage(@Arg("input") input: SetMinimumWageInput, @Ctx() ctx: Context) {
    return ctx.app.get(StandardService).setMinimumWage(ctx.viewer, input);
  }

  @Mutation(() => CountyAssistanceSetting, { description: "Sets a COUNTY's assistance settings (ADMIN)." })
  setCountyAssistanceSetting(@Arg("input") input: SetCountyAssistanceSettingInput, @Ctx() ctx: Context) {
    return ctx.app.get(StandardService).setCountySetting(ctx.viewer, input);
  }

  @Mutation(() => MemberIncome, {
    description:
      "Records a member's income of one kind for a month (ADMIN, a COORDINATOR of the household's subtree); one recorded for the same member, month and kind is replaced.",
  })
  recordMemberIncome(@Arg("input") input: RecordMemberIncomeInput, @Ctx() ctx: Context) {
    return ctx.app.get(StandardService).recordIncome(ctx.viewer, input);
  }

  @FieldResolver(() => Alliance, { description: "The COUNTY or the CITY the standard is set for." })
  alliance(@Root() standard: AssistanceStandard, @Ctx() ctx: Context) {
    return allianceById(ctx).load(standard.allianceId);
  }
}

@Resolver(() => Household)
export class HouseholdAssessmentResolver {
  @FieldResolver(() => [MemberIncome], {
    nullable: true,
    description:
      "The members' incomes recorded for the month containing `month`: for ADMIN and coordinators of the household's subtree; null for everyone else (incomes are personal data).",
  })
  async incomes(@Root() household: Household, @Arg("month", () => DateScalar, { description: "Any day of the month." }) month: Date, @Ctx() ctx: Context) {
    if (!(await mayReadIncomes(ctx, household.id))) return null;
    return householdIncomes(ctx, isoDate(month)).load(household.id);
  }

  @FieldResolver(() => Assessment, {
    nullable: true,
    description:
      "The 低保 assessment for the calendar month containing `on` (standard and minimum wage as in force on `on`): for ADMIN and coordinators of the household's subtree; null for everyone else.",
  })
  async assessment(@Root() household: Household, @Arg("on", () => DateScalar, { description: "Any day of the month to assess." }) on: Date, @Ctx() ctx: Context) {
    if (!(await mayReadIncomes(ctx, household.id))) return null;
    return householdAssessment(ctx, isoDate(on)).load(household.id);
  }
}
