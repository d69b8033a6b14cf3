import { ArrayMaxSize, IsOptional, Length } from "class-validator";
import { Field, ID, InputType } from "type-graphql";
import { ServiceCategory } from "../../common/enums";
import { DateScalar } from "../../common/scalars";
import { IsFreeText } from "../../common/validators";

@InputType({ description: "A 探访关爱 visit to record." })
export class RecordVisitInput {
  @Field(() => ID, { description: "A household in your scope; for a PARTNER, one assigned to its organization on visitedOn." })
  householdId: string;

  @Field(() => DateScalar, { description: "The day of the visit: not in the future (China time), not before 2000; a PARTNER's at most 14 days back." })
  visitedOn: Date;

  @Field(() => ID, {
    nullable: true,
    description: "The organization that visited. A PARTNER records for its own organization only (the default for a PARTNER).",
  })
  @IsOptional()
  organizationId?: string | null;

  @Field({ description: "幸福清单 delivered on this visit." })
  happinessListDelivered: boolean;

  @Field(() => [ServiceCategory], {
    nullable: true,
    description: "Needs found on the visit; each becomes an OPEN service request in the same transaction.",
  })
  @IsOptional()
  @ArrayMaxSize(9)
  needs?: ServiceCategory[] | null;

  @Field(() => String, { nullable: true, description: "Up to 500 characters; no ID or phone numbers (partners read it)." })
  @IsOptional()
  @Length(0, 500)
  @IsFreeText()
  note?: string | null;

  @Field(() => String, { nullable: true, description: "A retry with the same key returns the first visit and counts once." })
  @IsOptional()
  idempotencyKey?: string | null;
}
