import { ArrayMaxSize, IsOptional, Length, MaxLength } from "class-validator";
import { Field, ID, InputType } from "type-graphql";
import { RequestStatus, ServiceCategory, ServiceRequestEventKind, Urgency } from "../../common/enums";
import { IsFreeText } from "../../common/validators";

@InputType({ description: "A new need in an alliance, optionally of one household there." })
export class CreateServiceRequestInput {
  @Field(() => ID, { description: "The alliance whose partners (and those of its ancestors) may claim it." })
  allianceId: string;

  @Field(() => ID, { nullable: true, description: "The household in need; it must be registered in the alliance's subtree." })
  @IsOptional()
  householdId?: string | null;

  @Field(() => ServiceCategory)
  category: ServiceCategory;

  @Field(() => Urgency, { nullable: true, description: "NORMAL when omitted." })
  @IsOptional()
  urgency?: Urgency | null;

  @Field({ description: "1 to 200 characters; no ID or phone numbers (partners read it)." })
  @Length(1, 200)
  @IsFreeText()
  title: string;

  @Field(() => String, { nullable: true, description: "Up to 2000 characters; no ID or phone numbers (partners read it)." })
  @IsOptional()
  @MaxLength(2000)
  @IsFreeText()
  description?: string | null;

  @Field(() => String, { nullable: true, description: "A retry with the same key returns the first result." })
  @IsOptional()
  idempotencyKey?: string | null;
}

@InputType({ description: "Narrows a list of service requests; every given condition must hold." })
export class ServiceRequestFilter {
  @Field(() => [RequestStatus], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(10)
  status?: RequestStatus[] | null;

  @Field(() => [ServiceCategory], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(20)
  category?: ServiceCategory[] | null;

  @Field(() => [Urgency], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(10)
  urgency?: Urgency[] | null;

  @Field(() => ID, { nullable: true, description: "Requests in this alliance or anywhere below it." })
  @IsOptional()
  allianceId?: string | null;

  @Field(() => ID, {
    nullable: true,
    description: "Only requests whose `claimedBy` is this organization (a claim it holds, or held when the request was fulfilled); with status [CLAIMED] and its own organization, a partner's 我已认领.",
  })
  @IsOptional()
  claimedByOrganizationId?: string | null;

  @Field(() => Date, { nullable: true, description: "Created at or after this instant." })
  @IsOptional()
  createdFrom?: Date | null;

  @Field(() => Date, { nullable: true, description: "Created before or at this instant." })
  @IsOptional()
  createdTo?: Date | null;
}

@InputType({ description: "Which service-request events a subscriber wants, within what it may see." })
export class ServiceRequestSubscriptionFilter {
  @Field(() => ID, {
    nullable: true,
    description: "Only requests in this alliance or below it (always further limited to what the caller may see).",
  })
  @IsOptional()
  allianceId?: string | null;

  @Field(() => [ServiceCategory], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(20)
  category?: ServiceCategory[] | null;

  @Field(() => [ServiceRequestEventKind], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(10)
  kinds?: ServiceRequestEventKind[] | null;
}
