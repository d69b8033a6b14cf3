import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import { AgeBand, AssistanceCategory } from "../../common/enums";
import { PageArgsType } from "../../common/pagination";
import { DateScalar, todayInChina } from "../../common/scalars";
import type { Context } from "../../context";
import { Alliance, allianceById } from "../alliance";
import { recordUnmaskedRead } from "./access-record";
import { ageBandOf } from "./age-band";
import { RegisterHouseholdInput } from "./household.inputs";
import { householdMembers, householdPiiAccess } from "./household.loaders";
import { HouseholdService } from "./household.service";
import { Household, HouseholdConnection, HouseholdMember } from "./household.types";
import { maskIdNumber, maskName } from "./masking";

/** True when the viewer may see the household's names and ID number; notes the unmasked read for the access record. */
async function unmasked(ctx: Context, householdId: string): Promise<boolean> {
  const ground = await householdPiiAccess(ctx).load(householdId);
  if (!ground) return false;
  recordUnmaskedRead(ctx, householdId, ground);
  return true;
}

@ArgsType()
class HouseholdsArgs extends PageArgsType {
  @Field(() => ID, { nullable: true, description: "Households in this alliance or anywhere below it." })
  allianceId?: string | null;

  @Field(() => AssistanceCategory, { nullable: true })
  category?: AssistanceCategory | null;
}

@ArgsType()
class HouseholdsDueForVisitArgs extends PageArgsType {
  @Field(() => ID, { description: "The subtree to look in." })
  allianceId: string;

  @Field(() => DateScalar, { description: "Any day of the quarter to check." })
  on: Date;
}

@Resolver(() => Household)
export class HouseholdResolver {
  @Query(() => Household, { nullable: true, description: "One household; FORBIDDEN outside your scope." })
  household(@Arg("id", () => ID) id: string, @Ctx() ctx: Context) {
    return ctx.app.get(HouseholdService).findOne(ctx.viewer, id);
  }

  @Query(() => HouseholdConnection, { description: "Households you may see, in order of registration." })
  households(@Args() { allianceId, category, first, after }: HouseholdsArgs, @Ctx() ctx: Context) {
    return ctx.app.get(HouseholdService).list(ctx.viewer, { allianceId, category }, { first, after });
  }

  @Query(() => HouseholdConnection, {
    description:
      "Households in the subtree with no visit in the calendar quarter containing `on` (探访 at least once a quarter), by village then id.",
  })
  householdsDueForVisit(@Args() { allianceId, on, first, after }: HouseholdsDueForVisitArgs, @Ctx() ctx: Context) {
    return ctx.app.get(HouseholdService).dueForVisit(ctx.viewer, allianceId, on, { first, after });
  }

  @Mutation(() => Household, { description: "Registers a household in a VILLAGE alliance (ADMIN, COORDINATOR)." })
  registerHousehold(@Arg("input") input: RegisterHouseholdInput, @Ctx() ctx: Context) {
    return ctx.app.get(HouseholdService).register(ctx.viewer, input);
  }

  @FieldResolver(() => Alliance, { description: "The VILLAGE alliance the household belongs to." })
  async alliance(@Root() household: Household, @Ctx() ctx: Context) {
    return allianceById(ctx).load(household.allianceId);
  }

  @FieldResolver(() => String, {
    description:
      "Head of household. Masked to the family name and `**` (卢**, 欧阳**) unless you have a ground to see it: ADMIN; a COORDINATOR of its subtree; a PARTNER whose organization holds an active assignment for the household, or the claim of a request for it that another party raised. Every unmasked read is recorded.",
  })
  async headName(@Root() household: Household, @Ctx() ctx: Context): Promise<string> {
    return (await unmasked(ctx, household.id)) ? household.headName : maskName(household.headName);
  }

  @FieldResolver(() => String, {
    description:
      "Resident ID (身份证号), 18 characters with a valid check digit. Masked to its first 6 and last 1 characters (331081***********X) on the same terms as headName; every unmasked read is recorded.",
  })
  async idNumber(@Root() household: Household, @Ctx() ctx: Context): Promise<string> {
    return (await unmasked(ctx, household.id)) ? household.idNumber : maskIdNumber(household.idNumber);
  }

  @FieldResolver(() => [HouseholdMember], { description: "Everyone in the household, the head included, oldest first." })
  members(@Root() household: Household, @Ctx() ctx: Context) {
    return householdMembers(ctx).load(household.id);
  }
}

@Resolver(() => HouseholdMember)
export class HouseholdMemberResolver {
  @FieldResolver(() => String, {
    description: "The person's name; masked to the family name and `**` (张**) on the same terms as Household.headName, and recorded when read unmasked.",
  })
  async name(@Root() member: HouseholdMember, @Ctx() ctx: Context): Promise<string> {
    return (await unmasked(ctx, member.householdId)) ? member.name : maskName(member.name);
  }

  @FieldResolver(() => AgeBand, { description: "Age band today (China time), from the birth date." })
  ageBand(@Root() member: HouseholdMember): AgeBand {
    return ageBandOf(member.birthDate, todayInChina());
  }
}
