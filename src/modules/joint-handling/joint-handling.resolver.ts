import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, ID, Mutation, Query, Resolver, Root, Subscription, type SubscribeResolverData } from "type-graphql";
import { IsOptional } from "class-validator";
import { PageArgsType } from "../../common/pagination";
import { DateScalar } from "../../common/scalars";
import type { Context } from "../../context";
import type { Household as HouseholdRecord, Organization as OrganizationRecord } from "../../generated/prisma/client";
import type { StoredEvent } from "../../pubsub";
import { Household, householdById } from "../household";
import { Organization, organizationById } from "../organization";
import { SubmitAssistanceApplicationInput, UpsertJointItemInput } from "./joint-handling.inputs";
import { applicationTasks, assistanceApplicationById, jointHandlingTaskById, jointItemByCode } from "./joint-handling.loaders";
import { JointHandlingService } from "./joint-handling.service";
import {
  ApplicationStatus,
  AssistanceApplication,
  AssistanceApplicationConnection,
  JointHandlingTask,
  JointHandlingTaskConnection,
  JointHandlingTaskEvent,
  JointItem,
  JointItemDepartment,
  JointTaskStatus,
} from "./joint-handling.types";

@ArgsType()
class AssistanceApplicationsArgs extends PageArgsType {
  @Field(() => ID, { nullable: true, description: "Applications of households in this alliance or anywhere below it." })
  allianceId?: string | null;

  @Field(() => ApplicationStatus, { nullable: true, description: "Only applications in this status." })
  status?: ApplicationStatus | null;
}

@ArgsType()
class JointHandlingTasksArgs extends PageArgsType {
  @Field(() => JointTaskStatus, { nullable: true, description: "Only tasks in this status." })
  status?: JointTaskStatus | null;
}

@ArgsType()
class DecideAssistanceApplicationArgs {
  @Field(() => ID, { description: "The application." })
  id: string;

  @Field({ description: "True approves the category asked for; false rejects the application." })
  approved: boolean;

  @Field(() => DateScalar, { nullable: true, description: "Required when approved: the first day of the new category (not in the future, not before the household's latest category change)." })
  @IsOptional()
  effectiveOn?: Date | null;

  @Field(() => String, { nullable: true, description: "Required when rejected; up to 200 characters." })
  @IsOptional()
  reason?: string | null;
}

@ArgsType()
class JointHandlingTaskEventsArgs {
  @Field(() => String, {
    nullable: true,
    description: "The `id` of the last event you received: the stored events after it (kept 7 days) are replayed first, in order, then live ones follow.",
  })
  after?: string | null;
}

@Resolver(() => JointItem)
export class JointItemResolver {
  @Query(() => [JointItem], { description: "The catalogue of linked items (大救助\"一件事\"), by code; retired ones included (active: false)." })
  jointItems(@Ctx() ctx: Context) {
    return ctx.app.get(JointHandlingService).items(ctx.viewer);
  }

  @Mutation(() => JointItem, { description: "Adds a linked item or changes one by its code (ADMIN only)." })
  upsertJointItem(@Arg("input") input: UpsertJointItemInput, @Ctx() ctx: Context) {
    return ctx.app.get(JointHandlingService).upsertItem(ctx.viewer, input);
  }

  @Mutation(() => JointItemDepartment, {
    description:
      "Sets the department that handles an item in a county (ADMIN, or a coordinator of the county or of the city above it): a GOVERNMENT_DEPARTMENT member of the county alliance or of an alliance above it. Tasks already routed stay where they are.",
  })
  setJointItemDepartment(
    @Arg("countyAllianceId", () => ID) countyAllianceId: string,
    @Arg("itemCode") itemCode: string,
    @Arg("organizationId", () => ID) organizationId: string,
    @Ctx() ctx: Context,
  ) {
    return ctx.app.get(JointHandlingService).setItemDepartment(ctx.viewer, countyAllianceId, itemCode, organizationId);
  }
}

@Resolver(() => AssistanceApplication)
export class AssistanceApplicationResolver {
  @Query(() => AssistanceApplication, { nullable: true, description: "One application (ADMIN, or a coordinator of its subtree); FORBIDDEN outside your scope and for partners." })
  assistanceApplication(@Arg("id", () => ID) id: string, @Ctx() ctx: Context) {
    return ctx.app.get(JointHandlingService).findApplication(ctx.viewer, id);
  }

  @Query(() => AssistanceApplicationConnection, {
    description: "Applications in your scope, newest first (ADMIN all, a coordinator its subtree); FORBIDDEN for partners, who see their department's tasks instead.",
  })
  assistanceApplications(@Args() { allianceId, status, first, after }: AssistanceApplicationsArgs, @Ctx() ctx: Context) {
    return ctx.app.get(JointHandlingService).listApplications(ctx.viewer, allianceId, status, { first, after });
  }

  @Mutation(() => AssistanceApplication, {
    description:
      "Submits an application with its linked items (ADMIN, or a coordinator of the household's township or village): one task per item, routed to the item's department in the household's county.",
  })
  submitAssistanceApplication(@Arg("input") input: SubmitAssistanceApplicationInput, @Ctx() ctx: Context) {
    return ctx.app.get(JointHandlingService).submit(ctx.viewer, input);
  }

  @Mutation(() => AssistanceApplication, {
    description:
      "Decides the main application (ADMIN, or the coordinator of the household's county). Approved: the household's category changes to the one asked for from effectiveOn, through its history (nothing changes when it already has that category). A decided application is a CONFLICT.",
  })
  decideAssistanceApplication(@Args() { id, approved, effectiveOn, reason }: DecideAssistanceApplicationArgs, @Ctx() ctx: Context) {
    return ctx.app.get(JointHandlingService).decide(ctx.viewer, id, approved, effectiveOn, reason);
  }

  @FieldResolver(() => Household, { description: "The applying household (names masked by the usual rules)." })
  async household(@Root() application: AssistanceApplication, @Ctx() ctx: Context): Promise<HouseholdRecord> {
    const household = await householdById(ctx).load(application.householdId);
    if (!household) throw new Error(`Household of application ${application.id} is missing`);
    return household;
  }

  @FieldResolver(() => [JointHandlingTask], { description: "One task per selected item, by item code (a department sees only its own)." })
  items(@Root() application: AssistanceApplication, @Ctx() ctx: Context): Promise<JointHandlingTask[]> {
    return applicationTasks(ctx).load(application.id);
  }
}

@Resolver(() => JointHandlingTask)
export class JointHandlingTaskResolver {
  @Query(() => JointHandlingTaskConnection, {
    description:
      "Joint-handling tasks, newest first: a department's partner accounts see the tasks routed to it (its queue); a coordinator those of its subtree's households; ADMIN all.",
  })
  jointHandlingTasks(@Args() { status, first, after }: JointHandlingTasksArgs, @Ctx() ctx: Context) {
    return ctx.app.get(JointHandlingService).listTasks(ctx.viewer, status, { first, after });
  }

  @Mutation(() => JointHandlingTask, { description: "PENDING → ACCEPTED (only the department the task is routed to); other moves are a CONFLICT." })
  acceptJointHandlingTask(@Arg("id", () => ID) id: string, @Arg("note", () => String, { nullable: true }) note: string | null, @Ctx() ctx: Context) {
    return ctx.app.get(JointHandlingService).move(ctx.viewer, "accept", id, note);
  }

  @Mutation(() => JointHandlingTask, { description: "ACCEPTED → COMPLETED (only the department the task is routed to); other moves are a CONFLICT." })
  completeJointHandlingTask(@Arg("id", () => ID) id: string, @Arg("note", () => String, { nullable: true }) note: string | null, @Ctx() ctx: Context) {
    return ctx.app.get(JointHandlingService).move(ctx.viewer, "complete", id, note);
  }

  @Mutation(() => JointHandlingTask, { description: "PENDING or ACCEPTED → REJECTED with a reason of 1 to 500 characters (only the department the task is routed to)." })
  rejectJointHandlingTask(@Arg("id", () => ID) id: string, @Arg("reason") reason: string, @Ctx() ctx: Context) {
    return ctx.app.get(JointHandlingService).move(ctx.viewer, "reject", id, reason);
  }

  @FieldResolver(() => JointItem, { description: "The linked item." })
  async item(@Root() task: JointHandlingTask, @Ctx() ctx: Context): Promise<JointItem> {
    const item = await jointItemByCode(ctx).load(task.itemCode);
    if (!item) throw new Error(`Item of task ${task.id} is missing`);
    return item;
  }

  @FieldResolver(() => Organization, { description: "The department the task is routed to." })
  async department(@Root() task: JointHandlingTask, @Ctx() ctx: Context): Promise<OrganizationRecord> {
    const organization = await organizationById(ctx).load(task.organizationId);
    if (!organization) throw new Error(`Department of task ${task.id} is missing`);
    return organization;
  }

  @FieldResolver(() => AssistanceApplication, { description: "The application the task belongs to." })
  async application(@Root() task: JointHandlingTask, @Ctx() ctx: Context): Promise<AssistanceApplication> {
    const application = await assistanceApplicationById(ctx).load(task.applicationId);
    if (!application) throw new Error(`Application of task ${task.id} is missing`);
    return application;
  }

  @FieldResolver(() => Household, {
    description: "The applying household: its department sees the names and ID number only while the task is open (PENDING or ACCEPTED).",
  })
  async household(@Root() task: JointHandlingTask, @Ctx() ctx: Context): Promise<HouseholdRecord> {
    const household = await householdById(ctx).load(task.householdId);
    if (!household) throw new Error(`Household of task ${task.id} is missing`);
    return household;
  }
}

@Resolver(() => JointHandlingTaskEvent)
export class JointHandlingTaskEventResolver {
  @Subscription(() => JointHandlingTaskEvent, {
    description:
      "Tasks routed (CREATED) and moved, after commit: a department's partner accounts get those of its tasks, coordinators those of their subtree, ADMIN all; with `after`, the stored events since then come first.",
    subscribe: ({ args, context }: SubscribeResolverData<unknown, JointHandlingTaskEventsArgs, Context>) =>
      context.app.get(JointHandlingService).events(context.viewer, args.after),
  })
  async jointHandlingTaskEvents(
    @Root() stored: StoredEvent<"JOINT_HANDLING_TASK_EVENTS">,
    @Args() _args: JointHandlingTaskEventsArgs,
    @Ctx() ctx: Context,
  ): Promise<JointHandlingTaskEvent> {
    const event = stored.payload;
    const task = await jointHandlingTaskById(ctx).load(event.taskId);
    if (!task) throw new Error(`Task ${event.taskId} of a ${event.kind} event is missing`);
    return { id: stored.id, kind: event.kind, task, occurredAt: new Date(event.occurredAt) };
  }
}
