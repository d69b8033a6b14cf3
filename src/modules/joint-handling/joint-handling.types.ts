import { Field, ID, ObjectType, registerEnumType } from "type-graphql";
import { AssistanceCategory } from "../../common/enums";
import { ConnectionType } from "../../common/pagination";
import { DateScalar } from "../../common/scalars";
import { ApplicationDecision, ApplicationStatus, JointDepartmentKind, JointTaskStatus } from "../../generated/prisma/enums";

export { ApplicationDecision, ApplicationStatus, JointDepartmentKind, JointTaskStatus };

/** What happened to a joint-handling task. */
export const JointHandlingTaskEventKind = {
  CREATED: "CREATED",
  ACCEPTED: "ACCEPTED",
  COMPLETED: "COMPLETED",
  REJECTED: "REJECTED",
} as const;
export type JointHandlingTaskEventKind = (typeof JointHandlingTaskEventKind)[keyof typeof JointHandlingTaskEventKind];

registerEnumType(JointDepartmentKind, {
  name: "JointDepartmentKind",
  description: "The kind of department a linked item (大救助\"一件事\") is handled by.",
});
registerEnumType(ApplicationStatus, {
  name: "ApplicationStatus",
  description: "Where an assistance application stands; see AssistanceApplication.status for the rule.",
});
registerEnumType(ApplicationDecision, { name: "ApplicationDecision", description: "The county's decision on the category asked for." });
registerEnumType(JointTaskStatus, {
  name: "JointTaskStatus",
  description: "A linked item's task in a department's queue: PENDING → ACCEPTED → COMPLETED, or REJECTED from PENDING or ACCEPTED.",
});
registerEnumType(JointHandlingTaskEventKind, {
  name: "JointHandlingTaskEventKind",
  description: "CREATED when an application routes the task to its department; then each move of its status.",
});

@ObjectType({ description: "A linked item of 大救助\"一件事\" that an application can select, handled by one department per county." })
export class JointItem {
  @Field({ description: "The item's code (upper case letters, digits and underscores), stable across renames." })
  code: string;

  @Field({ description: "The item's name." })
  name: string;

  @Field(() => JointDepartmentKind, { description: "The kind of department that handles it." })
  departmentKind: JointDepartmentKind;

  @Field({ description: "False once retired: it can no longer be selected; open tasks go on." })
  active: boolean;

  @Field({ description: "True when no public source names the item for Taizhou (it stands in for one of the 17)." })
  illustrative: boolean;
}

@ObjectType({ description: "Which department handles a linked item in a county." })
export class JointItemDepartment {
  @Field(() => ID, { description: "The county alliance." })
  countyAllianceId: string;

  @Field({ description: "The item's code." })
  itemCode: string;

  @Field(() => ID, { description: "The GOVERNMENT_DEPARTMENT organization that handles it there." })
  organizationId: string;

  @Field({ description: "When the mapping was last set." })
  updatedAt: Date;

  /** For runMutation's result id. */
  id: string;
}

@ObjectType({ description: "A family's application for 特困, 低保 or 低保边缘 assistance with the linked items it selected (大救助\"一件事\")." })
export class AssistanceApplication {
  @Field(() => ID)
  id: string;

  @Field(() => AssistanceCategory, { description: "The category applied for: DIBAO, DIBAO_MARGINAL or EXTREME_POVERTY." })
  requested: AssistanceCategory;

  @Field(() => ApplicationStatus, {
    description:
      "REJECTED when the county rejected the main application; else COMPLETED when it was approved and every task is COMPLETED; PARTLY_REJECTED when it was approved and every task is closed (COMPLETED or REJECTED) with at least one REJECTED; SUBMITTED while undecided and every task still PENDING; IN_PROGRESS otherwise (a task moved or the approval came, and something is still open).",
  })
  status: ApplicationStatus;

  @Field(() => ApplicationDecision, { description: "The county's decision on the category asked for." })
  decision: ApplicationDecision;

  @Field(() => String, { nullable: true, description: "The reason given with the decision." })
  decisionReason: string | null;

  @Field(() => DateScalar, { nullable: true, description: "When approved: the first day of the new category." })
  effectiveOn: Date | null;

  @Field(() => String, { nullable: true, description: "The submitter's note." })
  note: string | null;

  @Field({ description: "When it was submitted." })
  submittedAt: Date;

  @Field(() => Date, { nullable: true, description: "When the county decided it." })
  decidedAt: Date | null;

  householdId: string;
  allianceId: string;
  submittedById: string | null;
  decidedById: string | null;
}

@ObjectType({ description: "One selected item of an application, in the queue of the department that handles it in the household's county." })
export class JointHandlingTask {
  @Field(() => ID)
  id: string;

  @Field(() => JointTaskStatus, { description: "PENDING → ACCEPTED → COMPLETED, or REJECTED (with a reason in `note`)." })
  status: JointTaskStatus;

  @Field(() => String, { nullable: true, description: "The department's latest note (the reason, when REJECTED)." })
  note: string | null;

  @Field({ description: "When the task was routed." })
  createdAt: Date;

  @Field({ description: "When its status or note last changed." })
  updatedAt: Date;

  applicationId: string;
  itemCode: string;
  organizationId: string;
  householdId: string;
  updatedById: string | null;
}

@ObjectType({ description: "A joint-handling task was routed to a department, or moved." })
export class JointHandlingTaskEvent {
  @Field(() => ID, { description: "The event's id: pass it as `after` to resume from here." })
  id: string;

  @Field(() => JointHandlingTaskEventKind, { description: "What happened." })
  kind: JointHandlingTaskEventKind;

  @Field(() => JointHandlingTask, { description: "The task as it is when the event is delivered." })
  task: JointHandlingTask;

  @Field({ description: "When it happened." })
  occurredAt: Date;
}

export const AssistanceApplicationConnection = ConnectionType(AssistanceApplication, "AssistanceApplication");
export const JointHandlingTaskConnection = ConnectionType(JointHandlingTask, "JointHandlingTask");
