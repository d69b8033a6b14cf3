import { Field, ID, Int, ObjectType } from "type-graphql";
import { AgeBand, AssistanceCategory } from "../../common/enums";
import { ConnectionType } from "../../common/pagination";

@ObjectType({ description: "A member of a household." })
export class HouseholdMember {
  @Field(() => ID)
  id: string;

  householdId: string;
  /** Unmasked; the `name` field resolver masks it for callers without PII access. */
  name: string;
  birthDate: Date;
}

@ObjectType({ description: "A low-income (or otherwise monitored) household registered in a VILLAGE alliance." })
export class Household {
  @Field(() => ID)
  id: string;

  @Field(() => AssistanceCategory)
  category: AssistanceCategory;

  @Field(() => Int, {
    description:
      "Persons in the household, the head included (registerHousehold adds the head as a member when the members list does not name them).",
  })
  size: number;

  allianceId: string;
  /** Unmasked; the `headName` field resolver masks it for callers without PII access. */
  headName: string;
  /** Unmasked; the `idNumber` field resolver masks it for callers without PII access. */
  idNumber: string;
  createdAt: Date;
}

export const HouseholdConnection = ConnectionType(Household, "Household");

export { AgeBand };
