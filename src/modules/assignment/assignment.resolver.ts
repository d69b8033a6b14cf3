import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from "type-graphql";
import { LIST_FIRST_DESCRIPTION, listSize } from "../../common/bounded-list";
import { PageArgsType } from "../../common/pagination";
import { DateScalar, todayInChina } from "../../common/scalars";
import type { Context } from "../../context";
import type { Account as AccountRecord, Household as HouseholdRecord, Organization as OrganizationRecord } from "../../generated/prisma/client";
import { Account, accountById } from "../account";
import { Household, householdById } from "../household";
import { Organization, organizationById } from "../organization";
import { AssignHouseholdInput } from "./assignment.inputs";
import { householdAssignments } from "./assignment.loaders";
import { AssignmentService, assignmentCovers } from "./assignment.service";
import { HouseholdAssignment, HouseholdAssignmentConnection } from "./assignment.types";

@ArgsType()
class AssignmentsArgs extends PageArgsType {
  @Field(() => ID, {
    nullable: true,
    description: "Only this organization's assignments (a PARTNER: its own organization only).",
  })
  organizationId?: string | null;

  @Field(() => Boolean, { nullable: true, description: "true: only those covering today (China time); false: only those that do not." })
  active?: boolean | null;
}

@Resolver(() => HouseholdAssignment)
export class HouseholdAssignmentResolver {
  @Query(() => HouseholdAssignmentConnection, {
    description:
      "Care assignments, newest first: ADMIN all; a COORDINATOR those of households in its subtree; a PARTNER its own organization's (\"my households\").",
  })
  assignments(@Args() { organizationId, active, first, after }: AssignmentsArgs, @Ctx() ctx: Context) {
    return ctx.app.get(AssignmentService).list(ctx.viewer, { organizationId, active }, { first, after });
  }

  @Mutation(() => HouseholdAssignment, {
    description:
      "Pairs a household with a partner organization of its alliance or an ancestor's (ADMIN, or a COORDINATOR whose subtree holds the household). Overlapping assignments of the same pair are a CONFLICT.",
  })
  assignHousehold(@Arg("input") input: AssignHouseholdInput, @Ctx() ctx: Context) {
    return ctx.app.get(AssignmentService).assign(ctx.viewer, input);
  }

  @Mutation(() => HouseholdAssignment, {
    description: "Ends an assignment: `on` (default today, China time) becomes its last day. Same roles and scope as assignHousehold.",
  })
  endHouseholdAssignment(
    @Arg("id", () => ID) id: string,
    @Arg("on", () => DateScalar, { nullable: true, description: "The last day it covers; not before its first day." }) on: Date | null,
    @Ctx() ctx: Context,
  ) {
    return ctx.app.get(AssignmentService).end(ctx.viewer, id, on);
  }

  @FieldResolver(() => Household, { description: "The household assigned." })
  async household(@Root() assignment: HouseholdAssignment, @Ctx() ctx: Context): Promise<HouseholdRecord> {
    const household = await householdById(ctx).load(assignment.householdId);
    if (!household) throw new Error(`Household of assignment ${assignment.id} is missing`);
    return household;
  }

  @FieldResolver(() => Organization, { description: "The organization that visits the household." })
  async organization(@Root() assignment: HouseholdAssignment, @Ctx() ctx: Context): Promise<OrganizationRecord> {
    const organization = await organizationById(ctx).load(assignment.organizationId);
    if (!organization) throw new Error(`Organization of assignment ${assignment.id} is missing`);
    return organization;
  }

  @FieldResolver(() => Boolean, { description: "True when today (China time) lies within from and to." })
  active(@Root() assignment: HouseholdAssignment): boolean {
    return assignmentCovers(assignment, todayInChina());
  }

  @FieldResolver(() => Account, { nullable: true, description: "The coordinator (or ADMIN) who made the assignment." })
  assignedBy(@Root() assignment: HouseholdAssignment, @Ctx() ctx: Context): Promise<AccountRecord | null> {
    return accountById(ctx).load(assignment.assignedById);
  }
}

@Resolver(() => Household)
export class HouseholdAssignmentsResolver {
  @FieldResolver(() => [HouseholdAssignment], {
    description:
      "Care assignments of this household, newest first: a PARTNER sees its own organization's only, coordinators and ADMIN all of them.",
  })
  assignments(
    @Root() household: Household,
    @Arg("first", () => Int, { nullable: true, description: LIST_FIRST_DESCRIPTION }) first: number | null,
    @Ctx() ctx: Context,
  ) {
    return householdAssignments(ctx, listSize(first)).load(household.id);
  }
}
