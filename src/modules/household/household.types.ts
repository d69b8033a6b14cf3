import { Field, ID, Int, ObjectType } from "type-graphql";
import { AgeBand, AssistanceCategory, ExitReason, HouseholdChangeKind, HouseholdStatus, MemberChangeKind } from "../../common/enums";
import { ConnectionType } from "../../common/pagination";
import { DateScalar } from "../../common/scalars";

@ObjectType({ description: "A member of a household." })
export class HouseholdMember {
  @Field(() => ID)
  id: string;

  householdId: string;
  /** Unmasked; the `name` field resolver masks it for callers without PII access. */
  name: string;
  birthDate: Date;

  @Field(() => DateScalar, { description: "First day the person counts in the household (the recognition day for those registered with it)." })
  joinedOn: Date;

  @Field(() => DateScalar, { nullable: true, description: "First day the person no longer counts in the household; null while a member." })
  leftOn: Date | null;
}

@ObjectType({ description: "A low-income (or otherwise monitored) household registered in a VILLAGE alliance." })
export class Household {
  @Field(() => ID)
  id: string;

  @Field(() => AssistanceCategory, { description: "The category now; after an exit, the last one it had (see status and categoryOn)." })
  category: AssistanceCategory;

  @Field(() => Int, {
    description:
      "Persons in the household now, the head included (registerHousehold adds the head as a member when the members list does not name them).",
  })
  size: number;

  @Field(() => HouseholdStatus, { description: "ACTIVE while followed, EXITED from exitedOn on." })
  status: HouseholdStatus;

  @Field(() => DateScalar, { description: "认定日期: the day the household was recognized and its history starts." })
  recognizedOn: Date;

  @Field(() => DateScalar, { nullable: true, description: "The first day the household is no longer followed; null while ACTIVE." })
  exitedOn: Date | null;

  @Field(() => ExitReason, { nullable: true, description: "Why the household exited; null while ACTIVE." })
  exitReason: ExitReason | null;

  allianceId: string;
  /** Unmasked; the `headName` field resolver masks it for callers without PII access. */
  headName: string;
  /** Unmasked; the `idNumber` field resolver masks it for callers without PII access. */
  idNumber: string;
  createdAt: Date;
}

@ObjectType({ description: "One entry of a household's category history (动态监测), oldest first." })
export class HouseholdCategoryChange {
  @Field(() => ID)
  id: string;

  householdId: string;
  recordedById: string | null;

  @Field(() => HouseholdChangeKind, { description: "REGISTERED (the start), CATEGORY_CHANGED or EXITED." })
  kind: HouseholdChangeKind;

  @Field(() => AssistanceCategory, { nullable: true, description: "The category from effectiveOn; null for EXITED." })
  category: AssistanceCategory | null;

  @Field(() => DateScalar, { description: "The first day the entry holds." })
  effectiveOn: Date;

  @Field(() => DateScalar, {
    nullable: true,
    description:
      "The last day the entry holds: the day before the next entry takes effect; null for the latest. An entry replaced on its own day (several changes on one day: the one recorded last wins) ends the day before it starts.",
  })
  effectiveUntil: Date | null;

  @Field(() => String, { nullable: true, description: "Why the change was made, as recorded; null for entries that predate the history." })
  reason: string | null;

  @Field(() => ExitReason, { nullable: true, description: "For EXITED: why the household left." })
  exitReason: ExitReason | null;

  @Field(() => Date, { description: "When the entry was recorded." })
  recordedAt: Date;
}

@ObjectType({ description: "One entry of a household's member history, in order of effect." })
export class HouseholdMemberChange {
  @Field(() => ID)
  id: string;

  householdId: string;
  recordedById: string | null;
  /** Unmasked; the `memberName` field resolver masks it. */
  memberName: string;

  @Field(() => ID, { description: "The member the entry is about." })
  memberId: string;

  @Field(() => MemberChangeKind, { description: "ADDED, REMOVED, or UPDATED (name or birth date corrected)." })
  kind: MemberChangeKind;

  @Field(() => DateScalar, { description: "The day the change takes effect (for UPDATED: the day it was recorded, China time)." })
  effectiveOn: Date;

  @Field(() => String, { nullable: true, description: "Why the change was made; null where none was given (registration)." })
  reason: string | null;

  @Field(() => Date, { description: "When the entry was recorded." })
  recordedAt: Date;
}

export const HouseholdConnection = ConnectionType(Household, "Household");

export { AgeBand };
