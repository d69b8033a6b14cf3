/**
 * Every event topic and its payload. Payloads are stored as JSON in the event log: ids and
 * plain values only; subscribers load the records themselves when the event is delivered.
 */
export interface Topics {
  /** A service request was created, claimed, released, fulfilled or cancelled (after commit). */
  SERVICE_REQUEST_EVENTS: ServiceRequestEventPayload;
  /** An organization joined or left an alliance: live subscribers of its partner accounts take its new scope. */
  ORGANIZATION_MEMBERSHIPS: OrganizationMembershipsPayload;
  /** A joint-handling task was routed to a department, or moved (after commit). */
  JOINT_HANDLING_TASK_EVENTS: JointHandlingTaskEventPayload;
}

export interface JointHandlingTaskEventPayload {
  kind: "CREATED" | "ACCEPTED" | "COMPLETED" | "REJECTED";
  taskId: string;
  applicationId: string;
  /** The department the task is routed to. */
  organizationId: string;
  /** The path of the household's alliance, so that scope filters need no query. */
  alliancePath: string;
  occurredAt: string;
}

export interface OrganizationMembershipsPayload {
  organizationId: string;
  /** The paths of every alliance the organization is a member of after the change. */
  paths: string[];
}

export interface ServiceRequestEventPayload {
  kind: "CREATED" | "CLAIMED" | "RELEASED" | "FULFILLED" | "CANCELLED";
  requestId: string;
  allianceId: string;
  /** The request's alliance path, so that scope filters need no query. */
  alliancePath: string;
  category: string;
  occurredAt: string;
}

export type TopicName = keyof Topics;

/** One event to publish once the transaction that raised it has committed. */
export type PendingEvent = { [T in TopicName]: { topic: T; payload: Topics[T] } }[TopicName];
