import { Field, ID, ObjectType } from "type-graphql";
import { ConnectionType } from "../../common/pagination";
import { DateScalar, DateTimeScalar } from "../../common/scalars";

@ObjectType({ description: "探访关爱 record." })
export class Visit {
  @Field(() => ID)
  id: string;

  @Field(() => DateScalar, { description: "The day of the visit (China time), not in the future." })
  visitedOn: Date;

  @Field({ description: "幸福清单 delivered on this visit." })
  happinessListDelivered: boolean;

  @Field(() => String, { nullable: true })
  note: string | null;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description: "When the visit was voided (voidVisit); a voided visit stays listed but counts in no figure. Null while it counts.",
  })
  voidedAt: Date | null;

  @Field(() => String, { nullable: true, description: "Why it was voided, as given to voidVisit; null while it counts." })
  voidReason: string | null;

  householdId: string;
  organizationId: string | null;
  voidedById: string | null;
}

export const VisitConnection = ConnectionType(Visit, "Visit");
