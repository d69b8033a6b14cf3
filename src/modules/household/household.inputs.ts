import { ArrayMaxSize, IsOptional, Length, Matches, ValidateNested } from "class-validator";
import { Field, ID, InputType } from "type-graphql";
import { AssistanceCategory } from "../../common/enums";
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

  @Field(() => String, { nullable: true, description: "A retry with the same key returns the first household." })
  @IsOptional()
  idempotencyKey?: string | null;
}
