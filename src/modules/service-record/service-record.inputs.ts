import { IsOptional, MaxLength } from "class-validator";
import { Field, ID, InputType } from "type-graphql";
import { DateScalar } from "../../common/scalars";
import { IsFreeText } from "../../common/validators";

@InputType({ description: "A household served once by a project, by the lead or a partner organization." })
export class RecordServiceInput {
  @Field(() => ID)
  projectId: string;

  @Field(() => ID, { description: "A household in the project's alliance or below it." })
  householdId: string;

  @Field(() => ID, { description: "The serving organization: the project's lead or one of its partners (a PARTNER: its own)." })
  organizationId: string;

  @Field(() => DateScalar, { description: "Not in the future (China Standard Time)." })
  servedOn: Date;

  @Field(() => ID, {
    nullable: true,
    description: "Marks this service request FULFILLED in the same transaction; it must be CLAIMED by organizationId.",
  })
  @IsOptional()
  serviceRequestId?: string | null;

  @Field(() => String, { nullable: true, description: "At most 500 characters; no personal data." })
  @IsOptional()
  @MaxLength(500)
  @IsFreeText()
  note?: string | null;

  @Field(() => String, { nullable: true, description: "A retry with the same key returns the first record: one 户次, not two." })
  @IsOptional()
  idempotencyKey?: string | null;
}
