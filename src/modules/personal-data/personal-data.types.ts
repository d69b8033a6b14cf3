import { Field, Int, ObjectType } from "type-graphql";
import { AccessGround } from "../../common/enums";
import { ConnectionType } from "../../common/pagination";
import { DateScalar } from "../../common/scalars";

@ObjectType({
  description:
    "The access record: an account's unmasked reads of one household's names or ID number on one day (China time).",
})
export class PersonalDataAccess {
  @Field(() => DateScalar, { description: "The day of the reads, China time." })
  day: Date;

  @Field(() => AccessGround, { description: "Why the names were shown unmasked (the latest ground that day)." })
  ground: AccessGround;

  @Field({ description: "The first unmasked read that day." })
  firstAt: Date;

  @Field({ description: "The last unmasked read that day." })
  lastAt: Date;

  @Field(() => Int, { description: "How many requests or subscription events read them that day." })
  count: number;

  accountId: string;
  householdId: string;
}

export const PersonalDataAccessConnection = ConnectionType(PersonalDataAccess, "PersonalDataAccess");
