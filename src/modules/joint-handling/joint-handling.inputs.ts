import { ArrayMaxSize, IsOptional, Length, Matches, MaxLength } from "class-validator";
import { Field, ID, InputType } from "type-graphql";
import { AssistanceCategory } from "../../common/enums";
import { IsFreeText } from "../../common/validators";
import { JointDepartmentKind } from "./joint-handling.types";

@InputType({ description: "A linked item to add to the catalogue, or to change (by its code)." })
export class UpsertJointItemInput {
  @Field({ description: "2 to 40 upper-case letters, digits or underscores, starting with a letter (EDUCATION_AID)." })
  @Matches(/^[A-Z][A-Z0-9_]{1,39}$/, { message: "code must be 2 to 40 upper-case letters, digits or underscores, starting with a letter" })
  code: string;

  @Field({ description: "1 to 50 characters." })
  @Length(1, 50)
  name: string;

  @Field(() => JointDepartmentKind, { description: "The kind of department that handles it." })
  departmentKind: JointDepartmentKind;

  @Field({ defaultValue: true, description: "False retires it: it can no longer be selected; open tasks go on." })
  active: boolean;

  @Field({ defaultValue: false, description: "True when no public source names the item." })
  illustrative: boolean;
}

@InputType({ description: "An application for 特困, 低保 or 低保边缘 with the linked items the family also needs." })
export class SubmitAssistanceApplicationInput {
  @Field(() => ID, { description: "The household; it must be in the subtree of your township or village." })
  householdId: string;

  @Field(() => AssistanceCategory, { description: "DIBAO, DIBAO_MARGINAL or EXTREME_POVERTY." })
  requested: AssistanceCategory;

  @Field(() => [String], { description: "Codes of the linked items selected (0 to 17, each once, active, with a department in the household's county)." })
  @ArrayMaxSize(17)
  items: string[];

  @Field(() => String, { nullable: true, description: "Up to 500 characters; no ID or phone numbers (departments read it)." })
  @IsOptional()
  @MaxLength(500)
  @IsFreeText()
  note?: string | null;

  @Field(() => String, { nullable: true, description: "A retry with the same key returns the first application." })
  @IsOptional()
  idempotencyKey?: string | null;
}
