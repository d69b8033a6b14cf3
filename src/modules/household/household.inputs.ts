import { ArrayMaxSize, IsOptional, Length, Matches, ValidateNested } from "class-validator";
import { Field, ID, ArgsType, InputType } from "type-graphql";
import { AssistanceCategory, ExitReason } from "../../common/enums";
import { DateScalar } from "../../common/scalars";
import { IsResidentId } from "../../common/validators";

/** At least one character that is not white space. */
const NOT_BLANK = /\S/;

@InputType({ description: "A person living in the household." })
export class HouseholdMemberInput {
  @Field({ description: "1 to 50 characters." })
  @Length(1, 50)
  @Matches(NOT_BLANK, { message: "name must not be blank" })
  name: string;

  @Field(() => DateScalar, { description: "Not in the future; gives the member's age band." })
  birthDate: Date;
}

@InputType({ description: "A household to register in a VILLAGE alliance." })
export class RegisterHouseholdInput {
  @Field(() => ID, { description: "A VILLAGE (村/社区) alliance in your scope." })
  allianceId: string;

  @Field(() => AssistanceCategory)
  category: AssistanceCategory;

  @Field({ description: "Head of household, 1 to 50 characters." })
  @Length(1, 50)
  @Matches(NOT_BLANK, { message: "headName must not be blank" })
  headName: string;

  @Field({ description: "The head's 身份证号: 18 characters, a valid GB 11643 check digit, a real birth date." })
  @IsResidentId()
  idNumber: string;

  @Field(() => [HouseholdMemberInput], {
    description:
      "Up to 30 persons. The head is added from headName and the birth date in idNumber when the list does not name them (same name and birth date).",
  })
  @ArrayMaxSize(30)
  @ValidateNested({ each: true })
  members: HouseholdMemberInput[];

  @Field(() => DateScalar, {
    nullable: true,
    description: "认定日期: the day the household was recognized, where its history starts; default today (China time); not in the future.",
  })
  @IsOptional()
  recognizedOn?: Date | null;

  @Field(() => String, { nullable: true, description: "A retry with the same key returns the first household." })
  @IsOptional()
  idempotencyKey?: string | null;
}

const REASON = "Why: 1 to 200 characters, kept in the history.";

@InputType({ description: "A change of a household's category from a day on (动态监测)." })
export class ChangeHouseholdCategoryInput {
  @Field(() => ID, { description: "An ACTIVE household in your scope." })
  householdId: string;

  @Field(() => AssistanceCategory, { description: "The new category; not the one it has." })
  category: AssistanceCategory;

  @Field(() => DateScalar, {
    description: "The first day of the new category: not in the future, not before the recognition day nor the latest category change.",
  })
  effectiveOn: Date;

  @Field({ description: REASON })
  @Length(1, 200)
  @Matches(NOT_BLANK, { message: "reason must not be blank" })
  reason: string;

  @Field(() => String, { nullable: true, description: "A retry with the same key returns the household and changes nothing more." })
  @IsOptional()
  idempotencyKey?: string | null;
}

@InputType({ description: "A household leaving the monitored population from a day on." })
export class ExitHouseholdInput {
  @Field(() => ID, { description: "An ACTIVE household in your scope." })
  householdId: string;

  @Field(() => DateScalar, {
    description: "The first day the household is no longer followed: not in the future, not before the recognition day nor the latest category change.",
  })
  effectiveOn: Date;

  @Field(() => ExitReason)
  reason: ExitReason;

  @Field(() => String, { nullable: true, description: "1 to 200 characters, kept in the history; required when reason is OTHER." })
  @IsOptional()
  @Length(1, 200)
  @Matches(NOT_BLANK, { message: "note must not be blank" })
  note?: string | null;

  @Field(() => String, { nullable: true, description: "A retry with the same key returns the household and changes nothing more." })
  @IsOptional()
  idempotencyKey?: string | null;
}

@InputType({ description: "A person joining a household from a day on (birth, marriage, moving in)." })
export class AddHouseholdMemberInput {
  @Field(() => ID, { description: "An ACTIVE household in your scope." })
  householdId: string;

  @Field({ description: "1 to 50 characters." })
  @Length(1, 50)
  @Matches(NOT_BLANK, { message: "name must not be blank" })
  name: string;

  @Field(() => DateScalar, { description: "Not in the future, not after effectiveOn." })
  birthDate: Date;

  @Field(() => DateScalar, {
    description: "The first day the person counts: not in the future, not before the recognition day nor the latest category change.",
  })
  effectiveOn: Date;

  @Field({ description: REASON })
  @Length(1, 200)
  @Matches(NOT_BLANK, { message: "reason must not be blank" })
  reason: string;

  @Field(() => String, { nullable: true, description: "A retry with the same key returns the household and adds no one more." })
  @IsOptional()
  idempotencyKey?: string | null;
}

@ArgsType()
export class RemoveHouseholdMemberArgs {
  @Field(() => ID, { description: "A current member of an ACTIVE household in your scope; not its last one." })
  memberId: string;

  @Field(() => DateScalar, {
    description:
      "The first day the person no longer counts: after the day they joined, not in the future, not before the latest category change.",
  })
  effectiveOn: Date;

  @Field({ description: REASON })
  @Length(1, 200)
  @Matches(NOT_BLANK, { message: "reason must not be blank" })
  reason: string;

  @Field(() => String, { nullable: true, description: "A retry with the same key returns the household and changes nothing more." })
  @IsOptional()
  idempotencyKey?: string | null;
}

@InputType({ description: "A correction of a member's name or birth date (not a change in the household: see add/removeHouseholdMember)." })
export class UpdateHouseholdMemberInput {
  @Field(() => ID, { description: "A member of an ACTIVE household in your scope." })
  memberId: string;

  @Field(() => String, { nullable: true, description: "1 to 50 characters." })
  @IsOptional()
  @Length(1, 50)
  @Matches(NOT_BLANK, { message: "name must not be blank" })
  name?: string | null;

  @Field(() => DateScalar, { nullable: true, description: "Not in the future." })
  @IsOptional()
  birthDate?: Date | null;

  @Field(() => String, { nullable: true, description: "Why: up to 200 characters, kept in the member history." })
  @IsOptional()
  @Length(1, 200)
  @Matches(NOT_BLANK, { message: "reason must not be blank" })
  reason?: string | null;
}
