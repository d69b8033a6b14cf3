import { Field, ID, ObjectType } from "type-graphql";
import { ConnectionType } from "../../common/pagination";
import { DateScalar } from "../../common/scalars";

@ObjectType({
  description:
    "结对帮扶: a household paired with a partner organization for visits, from a day to a day (both inclusive, China time), made by a coordinator.",
})
export class HouseholdAssignment {
  @Field(() => ID)
  id: string;

  @Field(() => DateScalar, { name: "from", description: "The first day of the assignment." })
  fromDate: Date;

  @Field(() => DateScalar, { name: "to", nullable: true, description: "The last day of the assignment; null while open-ended." })
  toDate: Date | null;

  @Field({ description: "When the assignment was made." })
  createdAt: Date;

  householdId: string;
  organizationId: string;
  assignedById: string;
  endedById: string | null;
}

export const HouseholdAssignmentConnection = ConnectionType(HouseholdAssignment, "HouseholdAssignment");
