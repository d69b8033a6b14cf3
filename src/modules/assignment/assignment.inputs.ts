import { IsOptional } from "class-validator";
import { Field, ID, InputType } from "type-graphql";
import { DateScalar } from "../../common/scalars";

@InputType({ description: "A household to pair with a partner organization (结对帮扶)." })
export class AssignHouseholdInput {
  @Field(() => ID, { description: "A household in your subtree." })
  householdId: string;

  @Field(() => ID, { description: "An organization that is a member of the household's alliance or of one of its ancestors." })
  organizationId: string;

  @Field(() => DateScalar, { nullable: true, description: "The first day (default: today, China time)." })
  @IsOptional()
  from?: Date | null;

  @Field(() => DateScalar, { nullable: true, description: "The last day, on or after `from`; omit for an open-ended assignment." })
  @IsOptional()
  to?: Date | null;

  @Field(() => String, { nullable: true, description: "A retry with the same key returns the first assignment." })
  @IsOptional()
  idempotencyKey?: string | null;
}
