import { IsOptional, Matches } from "class-validator";
import { Field, ID, InputType } from "type-graphql";
import { AssistanceCategory, IncomeKind } from "../../common/enums";
import { DateScalar, MoneyScalar, type Decimal } from "../../common/scalars";

@InputType({ description: "A standard of a category for a county or the city from a day on (replaces one set for the same day)." })
export class SetAssistanceStandardInput {
  @Field(() => ID, { description: "A COUNTY alliance (its own standard) or the CITY (the default of its counties)." })
  allianceId: string;

  @Field(() => AssistanceCategory)
  category: AssistanceCategory;

  @Field(() => MoneyScalar, { description: "Yuan per person per month, above 0." })
  monthlyAmount: Decimal;

  @Field(() => DateScalar, { description: "The first day the amount is in force." })
  effectiveFrom: Date;
}

@InputType({ description: "The minimum wage of a county or the city from a day on (replaces one set for the same day)." })
export class SetMinimumWageInput {
  @Field(() => ID, { description: "A COUNTY alliance or the CITY." })
  allianceId: string;

  @Field(() => MoneyScalar, { description: "Yuan per month, above 0." })
  monthlyAmount: Decimal;

  @Field(() => DateScalar, { description: "The first day the amount is in force." })
  effectiveFrom: Date;
}

@InputType({ description: "A county's assistance settings; fields left out keep their value (defaults: false, \"1.50\")." })
export class SetCountyAssistanceSettingInput {
  @Field(() => ID, { description: "A COUNTY alliance." })
  allianceId: string;

  @Field(() => Boolean, { nullable: true, description: "The Wenling rule on supported-job wages (see CountyAssistanceSetting)." })
  @IsOptional()
  exemptSupportedJobWage?: boolean | null;

  @Field(() => String, { nullable: true, description: "The 低保边缘 multiple of the 低保 standard: a decimal from 1 to 99.99 with at most two decimals (\"1.5\")." })
  @IsOptional()
  @Matches(/^\d{1,2}(\.\d{1,2})?$/, { message: "marginalMultiplier must be a decimal such as \"1.5\", with at most two decimals" })
  marginalMultiplier?: string | null;
}

@InputType({ description: "A member's income of one kind in one month (replaces the one recorded for the same member, month and kind)." })
export class RecordMemberIncomeInput {
  @Field(() => ID, { description: "A member of a household in your scope." })
  memberId: string;

  @Field(() => DateScalar, { description: "Any day of the month; the income is kept under the month's first day." })
  month: Date;

  @Field(() => IncomeKind)
  kind: IncomeKind;

  @Field(() => MoneyScalar, { description: "Yuan received in the month, 0 or more." })
  amount: Decimal;
}
