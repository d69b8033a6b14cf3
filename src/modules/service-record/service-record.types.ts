import { Field, ID, ObjectType } from "type-graphql";
import { DateScalar, DateTimeScalar } from "../../common/scalars";

@ObjectType({ description: "One household served once by a project: the unit of 户次." })
export class ServiceRecord {
  @Field(() => ID)
  id: string;

  @Field(() => DateScalar, { description: "The day of the service, not in the future." })
  servedOn: Date;

  @Field(() => String, { nullable: true })
  note: string | null;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description: "When the record was voided (voidServiceRecord); a voided record stays but counts in no 户次 or other figure. Null while it counts.",
  })
  voidedAt: Date | null;

  @Field(() => String, { nullable: true, description: "Why it was voided, as given to voidServiceRecord; null while it counts." })
  voidReason: string | null;

  voidedById: string | null;
  projectId: string;
  householdId: string;
  organizationId: string;
  serviceRequestId: string | null;
}
