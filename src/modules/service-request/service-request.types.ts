import { Field, ID, ObjectType } from "type-graphql";
import { RequestStatus, ServiceCategory, ServiceRequestEventKind, Urgency } from "../../common/enums";
import { ConnectionType } from "../../common/pagination";

@ObjectType({ description: "需求: a need of a household (or of a place), open for partner organizations to claim." })
export class ServiceRequest {
  @Field(() => ID)
  id: string;

  @Field(() => ServiceCategory, { description: "The kind of service needed." })
  category: ServiceCategory;

  @Field(() => Urgency)
  urgency: Urgency;

  @Field({ description: "A short summary, 1 to 200 characters." })
  title: string;

  @Field(() => String, { nullable: true, description: "Details, up to 2000 characters." })
  description: string | null;

  @Field(() => RequestStatus, { description: "OPEN → CLAIMED → FULFILLED; OPEN or CLAIMED → CANCELLED; CLAIMED → OPEN on release." })
  status: RequestStatus;

  @Field({ description: "When the request was created." })
  createdAt: Date;

  @Field(() => Date, { nullable: true, description: "When the current claim was made; null unless claimed." })
  claimedAt: Date | null;

  @Field(() => Date, { nullable: true, description: "When a service record fulfilled it." })
  fulfilledAt: Date | null;

  @Field(() => Date, { nullable: true, description: "When a coordinator cancelled it." })
  cancelledAt: Date | null;

  @Field(() => String, { nullable: true, description: "Why it was cancelled." })
  cancelReason: string | null;

  allianceId: string;
  householdId: string | null;
  /** The visit on which the need was found (政策找人), when it came from one. */
  visitId: string | null;
  claimedById: string | null;
  raisedByAccountId: string | null;
  raisedByOrganizationId: string | null;
}

@ObjectType({ description: "Who raised a need: the account, and the organization whose visit found it." })
export class RequestRaiser {
  accountId: string | null;
  organizationId: string | null;
}

export const ServiceRequestConnection = ConnectionType(ServiceRequest, "ServiceRequest");

@ObjectType({ description: "What a subscriber receives: the request after the change." })
export class ServiceRequestEvent {
  @Field(() => ID, {
    description: "Orders events as they were committed; pass the last one you received as `after` when you subscribe again.",
  })
  id: string;

  @Field(() => ServiceRequestEventKind, { description: "What happened to the request." })
  kind: ServiceRequestEventKind;

  @Field(() => ServiceRequest, { description: "The request as it is when the event is delivered." })
  request: ServiceRequest;

  @Field({ description: "When the change was committed." })
  occurredAt: Date;
}
