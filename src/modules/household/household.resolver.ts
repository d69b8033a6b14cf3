import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import { AgeBand, AssistanceCategory } from "../../common/enums";
import { Account, accountById } from "../account";
import { PageArgsType } from "../../common/pagination";
import { DateScalar, isoDate, todayInChina } from "../../common/scalars";
import type { Context } from "../../context";
import { Alliance, allianceById } from "../alliance";
import { recordUnmaskedRead } from "./access-record";
import { ageBandOf } from "./age-band";
import {
  AddHouseholdMemberInput,
  ChangeHouseholdCategoryInput,
  ExitHouseholdInput,
  RegisterHouseholdInput,
  RemoveHouseholdMemberArgs,
  UpdateHouseholdMemberInput,
} from "./household.inputs";
import {
  householdCategoryHistory,
  householdCategoryOn,
  householdMemberHistory,
  householdMembers,
  householdPiiAccess,
} from "./household.loaders";
import { HouseholdService } from "./household.service";
import { Household, HouseholdCategoryChange, HouseholdConnection, HouseholdMember, HouseholdMemberChange } from "./household.types";
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

/**
 * Who recorded a history entry: the account for ADMIN and for a COORDINATOR of the household's
 * subtree; null for everyone else (partners see the history without who recorded it).
 */
async function recorder(ctx: Context, entry: { householdId: string; recordedById: string | null }) {
  if (!entry.recordedById) return null;
  const ground = await householdPiiAccess(ctx).load(entry.householdId);
  if (ground !== "ADMIN" && ground !== "COORDINATOR") return null;
  return accountById(ctx).load(entry.recordedById);
}

const RECORDED_BY =
  "The account that recorded the entry: shown to ADMIN and to coordinators of the household's subtree, null for others and for entries that predate the history.";

@ArgsType()
class MembersArgs {
  @Field({ defaultValue: false, description: "Also those who left the household (leftOn set)." })
  includeFormer: boolean;
}

@ArgsType()
class CategoryOnArgs {
  @Field(() => DateScalar, { description: "The day to ask about." })
  date: Date;
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

  @Mutation(() => Household, {
    description:
      "Changes an ACTIVE household's category from effectiveOn on (ADMIN, a COORDINATOR of its subtree); the history keeps every change.",
  })
  changeHouseholdCategory(@Arg("input") input: ChangeHouseholdCategoryInput, @Ctx() ctx: Context) {
    return ctx.app.get(HouseholdService).changeCategory(ctx.viewer, input);
  }

  @Mutation(() => Household, {
    description: "Ends the following of an ACTIVE household from effectiveOn on (ADMIN, a COORDINATOR of its subtree); its history stays.",
  })
  exitHousehold(@Arg("input") input: ExitHouseholdInput, @Ctx() ctx: Context) {
    return ctx.app.get(HouseholdService).exit(ctx.viewer, input);
  }

  @Mutation(() => Household, { description: "Adds a person to an ACTIVE household from effectiveOn on (ADMIN, a COORDINATOR of its subtree)." })
  addHouseholdMember(@Arg("input") input: AddHouseholdMemberInput, @Ctx() ctx: Context) {
    return ctx.app.get(HouseholdService).addMember(ctx.viewer, input);
  }

  @Mutation(() => Household, {
    description: "A member leaves an ACTIVE household from effectiveOn on (ADMIN, a COORDINATOR of its subtree); not its last member.",
  })
  removeHouseholdMember(@Args() input: RemoveHouseholdMemberArgs, @Ctx() ctx: Context) {
    return ctx.app.get(HouseholdService).removeMember(ctx.viewer, input);
  }

  @Mutation(() => Household, {
    description: "Corrects a member's name or birth date (ADMIN, a COORDINATOR of the household's subtree); the member history notes it.",
  })
  updateHouseholdMember(@Arg("input") input: UpdateHouseholdMemberInput, @Ctx() ctx: Context) {
    return ctx.app.get(HouseholdService).updateMember(ctx.viewer, input);
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

  @FieldResolver(() => [HouseholdMember], {
    description: "Everyone in the household now (who has not left by today; at most 30), the head included, oldest first; with includeFormer, those who left too (at most 100).",
  })
  members(@Root() household: Household, @Args() { includeFormer }: MembersArgs, @Ctx() ctx: Context) {
    return (includeFormer ? householdMembers(ctx, { includeFormer: true }) : householdMembers(ctx)).load(household.id);
  }

  @FieldResolver(() => AssistanceCategory, {
    nullable: true,
    description: "The household's category on `date`: null before its recognition day and from its exit on.",
  })
  categoryOn(@Root() household: Household, @Args() { date }: CategoryOnArgs, @Ctx() ctx: Context) {
    return householdCategoryOn(ctx, isoDate(date)).load(household.id);
  }

  @FieldResolver(() => [HouseholdCategoryChange], {
    description: "动态监测: the household's registration, category changes and exit, oldest first (the latest 100 entries).",
  })
  categoryHistory(@Root() household: Household, @Ctx() ctx: Context) {
    return householdCategoryHistory(ctx).load(household.id);
  }

  @FieldResolver(() => [HouseholdMemberChange], {
    description: "Persons added to and removed from the household and corrections of members, in order of effect (the latest 100 entries).",
  })
  memberHistory(@Root() household: Household, @Ctx() ctx: Context) {
    return householdMemberHistory(ctx).load(household.id);
  }
}

@Resolver(() => HouseholdCategoryChange)
export class HouseholdCategoryChangeResolver {
  @FieldResolver(() => Account, { nullable: true, description: RECORDED_BY })
  recordedBy(@Root() change: HouseholdCategoryChange, @Ctx() ctx: Context) {
    return recorder(ctx, change);
  }
}

@Resolver(() => HouseholdMemberChange)
export class HouseholdMemberChangeResolver {
  @FieldResolver(() => Account, { nullable: true, description: RECORDED_BY })
  recordedBy(@Root() change: HouseholdMemberChange, @Ctx() ctx: Context) {
    return recorder(ctx, change);
  }

  @FieldResolver(() => String, {
    description: "The member's name (as it is now); masked on the same terms as HouseholdMember.name, and recorded when read unmasked.",
  })
  async memberName(@Root() change: HouseholdMemberChange, @Ctx() ctx: Context): Promise<string> {
    return (await unmasked(ctx, change.householdId)) ? change.memberName : maskName(change.memberName);
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
