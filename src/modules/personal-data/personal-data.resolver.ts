import { Args, ArgsType, Ctx, Field, FieldResolver, ID, Query, Resolver, Root } from "type-graphql";
import { PageArgsType } from "../../common/pagination";
import type { Context } from "../../context";
import type { Account as AccountRecord, Household as HouseholdRecord } from "../../generated/prisma/client";
import { Account, accountById } from "../account";
import { Household, householdById } from "../household";
import { PersonalDataService } from "./personal-data.service";
import { PersonalDataAccess, PersonalDataAccessConnection } from "./personal-data.types";

@ArgsType()
class PersonalDataAccessesArgs extends PageArgsType {
  @Field(() => ID, { nullable: true, description: "Only reads of this household." })
  householdId?: string | null;

  @Field(() => ID, { nullable: true, description: "Only reads by this account." })
  accountId?: string | null;

  @Field(() => Date, { nullable: true, description: "Only rows with a read at or after this instant." })
  from?: Date | null;

  @Field(() => Date, { nullable: true, description: "Only rows with a read at or before this instant." })
  to?: Date | null;
}

@Resolver(() => PersonalDataAccess)
export class PersonalDataAccessResolver {
  @Query(() => PersonalDataAccessConnection, {
    description:
      "ADMIN: the record of unmasked reads of households' names and ID numbers, one row per account, household and day, newest last read first.",
  })
  personalDataAccesses(@Args() { householdId, accountId, from, to, first, after }: PersonalDataAccessesArgs, @Ctx() ctx: Context) {
    return ctx.app.get(PersonalDataService).list(ctx.viewer, { householdId, accountId, from, to }, { first, after });
  }

  @FieldResolver(() => Account, { nullable: true, description: "Who read them." })
  account(@Root() access: PersonalDataAccess, @Ctx() ctx: Context): Promise<AccountRecord | null> {
    return accountById(ctx).load(access.accountId);
  }

  @FieldResolver(() => Household, { nullable: true, description: "Whose names or ID number were read." })
  household(@Root() access: PersonalDataAccess, @Ctx() ctx: Context): Promise<HouseholdRecord | null> {
    return householdById(ctx).load(access.householdId);
  }
}
