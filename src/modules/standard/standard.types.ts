import { Field, ID, Int, ObjectType } from "type-graphql";
import { AssistanceCategory, IncomeKind } from "../../common/enums";
import { DateScalar, MoneyScalar, type Decimal } from "../../common/scalars";

@ObjectType({ description: "A monthly amount per person of a category, in force from a day on, for a county or the city." })
export class AssistanceStandard {
  @Field(() => ID)
  id: string;

  allianceId: string;

  @Field(() => AssistanceCategory, { description: "The category the amount is for (低保 for DIBAO)." })
  category: AssistanceCategory;

  @Field(() => MoneyScalar, { description: "Yuan per person per month." })
  monthlyAmount: Decimal;

  @Field(() => DateScalar, { description: "The first day the amount is in force; it holds until the next one of the same alliance and category." })
  effectiveFrom: Date;
}

@ObjectType({ description: "The monthly minimum wage of a county (or the city) from a day on." })
export class MinimumWage {
  @Field(() => ID)
  id: string;

  allianceId: string;

  @Field(() => MoneyScalar, { description: "Yuan per month." })
  monthlyAmount: Decimal;

  @Field(() => DateScalar, { description: "The first day the amount is in force." })
  effectiveFrom: Date;
}

@ObjectType({ description: "A county's assistance settings." })
export class CountyAssistanceSetting {
  /** The county alliance's id (the record's key). */
  id: string;

  @Field(() => Boolean, {
    description:
      "幸福岗位 (the Wenling rule): when true, of each member's SUPPORTED_JOB_WAGE in a month only the part above the minimum wage in force counts as income.",
  })
  exemptSupportedJobWage: boolean;

  @Field(() => String, {
    description:
      "低保边缘 threshold: a household is eligible while its countable income per person is below the 低保 standard times this multiple (a decimal string, \"1.50\" by default, at least 1).",
  })
  marginalMultiplier: string;
}

@ObjectType({ description: "One member's income of one kind in one month." })
export class MemberIncome {
  @Field(() => ID)
  id: string;

  householdId: string;

  @Field(() => ID, { description: "The household member the income is of." })
  memberId: string;

  @Field(() => DateScalar, { description: "The month, as its first day." })
  month: Date;

  @Field(() => IncomeKind)
  kind: IncomeKind;

  @Field(() => MoneyScalar, { description: "Yuan received in the month." })
  amount: Decimal;
}

@ObjectType({
  description:
    "A household's 低保 assessment for one calendar month: countable income, the standard, eligibility and the monthly top-up (补差).",
})
export class Assessment {
  @Field(() => DateScalar, { description: "The month assessed, as its first day." })
  month: Date;

  @Field(() => Int, {
    description:
      "Persons counted: the household's persons on the month's last day (its history); when it is not followed that day (not yet recognized, or exited), its members now.",
  })
  members: number;

  @Field(() => MoneyScalar, { description: "The sum of the members' incomes recorded for the month, of every kind." })
  totalIncome: Decimal;

  @Field(() => MoneyScalar, {
    description:
      "Countable household income: totalIncome less, where the county's exemptSupportedJobWage is on, the part of each SUPPORTED_JOB_WAGE up to the minimum wage in force on `on` (none when no minimum wage is set).",
  })
  countableIncome: Decimal;

  @Field(() => MoneyScalar, { description: "countableIncome / members, rounded half-up to the fen (for display; eligibility uses exact figures)." })
  countableIncomePerPerson: Decimal;

  @Field(() => MoneyScalar, {
    nullable: true,
    description: "The 低保 standard in force on `on` for the household's county (its own, else the city's); null when none is set.",
  })
  standard: Decimal | null;

  @Field(() => MoneyScalar, { nullable: true, description: "The minimum wage in force on `on` for the household's county (its own, else the city's); null when none is set." })
  minimumWage: Decimal | null;

  @Field(() => Boolean, { nullable: true, description: "低保: countable income per person below the standard (exactly); null without a standard." })
  eligibleForDibao: boolean | null;

  @Field(() => Boolean, {
    nullable: true,
    description: "低保边缘: countable income per person below the standard times the county's marginalMultiplier (1.5 unless set); null without a standard.",
  })
  eligibleForDibaoMarginal: boolean | null;

  @Field(() => MoneyScalar, {
    nullable: true,
    description: "补差: standard × members − countable household income, never below 0.00, rounded half-up to the fen at the end; null without a standard.",
  })
  topUp: Decimal | null;
}
