import {
  Arg,
  Args,
  ArgsType,
  Ctx,
  Field,
  FieldResolver,
  ID,
  Info,
  Int,
  Mutation,
  Query,
  Resolver,
  Root,
  Subscription,
  type SubscribeResolverData,
} from "type-graphql";
import type { GraphQLResolveInfo } from "graphql";
import { nodeFieldsSelected, PageArgsType, type Connection } from "../../common/pagination";
import type { Context } from "../../context";
import type { Account as AccountRecord, Alliance as AllianceRecord, Household as HouseholdRecord, Organization as OrganizationRecord } from "../../generated/prisma/client";
import type { StoredEvent } from "../../pubsub";
import { Account, accountById } from "../account";
import { Alliance, allianceById } from "../alliance";
import { Household, householdById } from "../household";
import { Organization, organizationById } from "../organization";
import { CreateServiceRequestInput, ServiceRequestFilter, ServiceRequestSubscriptionFilter } from "./service-request.inputs";
import { eventNeeds, preparedRequest } from "./service-request.event-loaders";
import { allianceServiceRequestPage, serviceRequestById, suggestedOrganizationIds } from "./service-request.loaders";
import { relatedRecords, ServiceRequestService } from "./service-request.service";
import { RequestRaiser, ServiceRequest, ServiceRequestConnection, ServiceRequestEvent } from "./service-request.types";

@ArgsType()
class ServiceRequestsArgs extends PageArgsType {
  @Field(() => ServiceRequestFilter, { nullable: true })
  filter?: ServiceRequestFilter | null;
}

@ArgsType()
class ServiceRequestEventsArgs {
  @Field(() => ServiceRequestSubscriptionFilter, { nullable: true })
  filter?: ServiceRequestSubscriptionFilter | null;

  @Field(() => String, {
    nullable: true,
    description:
      "The `id` of the last event you received: the stored events after it (kept 7 days) are replayed first, in order, then live ones follow with no gap.",
  })
  after?: string | null;
}

@Resolver(() => ServiceRequest)
export class ServiceRequestResolver {
  @Query(() => ServiceRequest, { nullable: true, description: "One service request; FORBIDDEN when you may not read it." })
  serviceRequest(@Arg("id", () => ID) id: string, @Ctx() ctx: Context) {
    return ctx.app.get(ServiceRequestService).findOne(ctx.viewer, id);
  }

  @Query(() => ServiceRequestConnection, { description: "Service requests you may read, newest first." })
  async serviceRequests(@Args() { filter, first, after }: ServiceRequestsArgs, @Ctx() ctx: Context, @Info() info: GraphQLResolveInfo) {
    // The alliance and household of each request, when selected, come with the page's statement.
    const selected = nodeFieldsSelected(info);
    const relations = { alliance: selected.has("alliance"), household: selected.has("household") };
    const connection = await ctx.app.get(ServiceRequestService).list(ctx.viewer, filter, { first, after }, relations);
    for (const request of connection.nodes) {
      const related = relatedRecords(request);
      if (related?.alliance) allianceById(ctx).prime(related.alliance.id, related.alliance);
      if (related?.household) householdById(ctx).prime(related.household.id, related.household);
    }
    return connection;
  }

  @Mutation(() => ServiceRequest, { description: "Raises a need in an alliance (ADMIN, or a COORDINATOR in its subtree)." })
  createServiceRequest(@Arg("input") input: CreateServiceRequestInput, @Ctx() ctx: Context) {
    return ctx.app.get(ServiceRequestService).create(ctx.viewer, input);
  }

  @Mutation(() => ServiceRequest, { description: "First claim wins; a later claim of a non-OPEN request fails with CONFLICT." })
  claimServiceRequest(@Arg("id", () => ID) id: string, @Ctx() ctx: Context) {
    return ctx.app.get(ServiceRequestService).claim(ctx.viewer, id);
  }

  @Mutation(() => ServiceRequest, { description: "Gives a CLAIMED request back to OPEN (the claimer, or a coordinator)." })
  releaseServiceRequest(@Arg("id", () => ID) id: string, @Ctx() ctx: Context) {
    return ctx.app.get(ServiceRequestService).release(ctx.viewer, id);
  }

  @Mutation(() => ServiceRequest, { description: "Cancels an OPEN or CLAIMED request (a coordinator), with a reason of 1 to 500 characters." })
  cancelServiceRequest(@Arg("id", () => ID) id: string, @Arg("reason") reason: string, @Ctx() ctx: Context) {
    return ctx.app.get(ServiceRequestService).cancel(ctx.viewer, id, reason);
  }

  @FieldResolver(() => Alliance, { description: "The alliance the need was raised in." })
  async alliance(@Root() request: ServiceRequest, @Ctx() ctx: Context): Promise<AllianceRecord> {
    const alliance = await allianceById(ctx).load(request.allianceId);
    if (!alliance) throw new Error(`Alliance of service request ${request.id} is missing`);
    return alliance;
  }

  @FieldResolver(() => Household, { nullable: true, description: "The household in need, when the request is for one." })
  household(@Root() request: ServiceRequest, @Ctx() ctx: Context): Promise<HouseholdRecord | null> | null {
    return request.householdId ? householdById(ctx).load(request.householdId) : null;
  }

  @FieldResolver(() => Organization, { nullable: true, description: "The organization holding the claim, while CLAIMED (and after fulfilling)." })
  claimedBy(@Root() request: ServiceRequest, @Ctx() ctx: Context): Promise<OrganizationRecord | null> | null {
    return request.claimedById ? organizationById(ctx).load(request.claimedById) : null;
  }

  @FieldResolver(() => RequestRaiser, {
    nullable: true,
    description: "Who raised the need (the coordinator, or the account and organization of the visit that found it); null for imported needs.",
  })
  raisedBy(@Root() request: ServiceRequest): RequestRaiser | null {
    if (!request.raisedByAccountId && !request.raisedByOrganizationId) return null;
    return { accountId: request.raisedByAccountId, organizationId: request.raisedByOrganizationId };
  }

  @FieldResolver(() => [Organization], {
    description:
      "Partner organizations best placed to take it: members of the request's alliance or its ancestors that offer the category, nearest first (then the fewest requests currently claimed). Government departments are not suggested. `first`: 1 to 20, default 5.",
  })
  async suggestedOrganizations(
    @Root() request: ServiceRequest,
    @Arg("first", () => Int, { nullable: true }) first: number | null,
    @Ctx() ctx: Context,
  ): Promise<OrganizationRecord[]> {
    const ids = await suggestedOrganizationIds(ctx, first ?? null).load(request.id);
    const organizations = await organizationById(ctx).loadMany(ids);
    return organizations.filter((o): o is OrganizationRecord => !!o && !(o instanceof Error));
  }
}

@Resolver(() => RequestRaiser)
export class RequestRaiserResolver {
  @FieldResolver(() => Account, { nullable: true, description: "The account that raised the need." })
  account(@Root() raiser: RequestRaiser, @Ctx() ctx: Context): Promise<AccountRecord | null> | null {
    return raiser.accountId ? accountById(ctx).load(raiser.accountId) : null;
  }

  @FieldResolver(() => Organization, { nullable: true, description: "The organization whose visit found the need; null when a coordinator raised it." })
  organization(@Root() raiser: RequestRaiser, @Ctx() ctx: Context): Promise<OrganizationRecord | null> | null {
    return raiser.organizationId ? organizationById(ctx).load(raiser.organizationId) : null;
  }
}

@Resolver(() => ServiceRequestEvent)
export class ServiceRequestEventResolver {
  @Subscription(() => ServiceRequestEvent, {
    description:
      "CREATED, CLAIMED, RELEASED, FULFILLED and CANCELLED events after commit, for requests you may read, narrowed by the filter; with `after`, the stored events since then come first.",
    subscribe: ({ args, context, info }: SubscribeResolverData<unknown, ServiceRequestEventsArgs, Context>) =>
      context.app.get(ServiceRequestService).events(context.viewer, args.filter, args.after, eventNeeds(info)),
  })
  async serviceRequestEvents(
    @Root() stored: StoredEvent<"SERVICE_REQUEST_EVENTS">,
    @Args() _args: ServiceRequestEventsArgs,
    @Ctx() ctx: Context,
  ): Promise<ServiceRequestEvent> {
    const event = stored.payload;
    const request = (await preparedRequest(ctx, stored)) ?? (await serviceRequestById(ctx).load(event.requestId));
    if (!request) throw new Error(`Service request ${event.requestId} of a ${event.kind} event is missing`);
    return { id: stored.id, kind: event.kind, request, occurredAt: new Date(event.occurredAt) };
  }
}

@Resolver(() => Alliance)
export class AllianceServiceRequestsResolver {
  @FieldResolver(() => ServiceRequestConnection, {
    description: "Service requests in this alliance or anywhere below it that you may read, newest first.",
  })
  serviceRequests(
    @Root() alliance: Alliance,
    @Args() { filter, first, after }: ServiceRequestsArgs,
    @Ctx() ctx: Context,
  ): Promise<Connection<ServiceRequest>> {
    return allianceServiceRequestPage(ctx, { first, after, filter }).load(alliance.path);
  }
}
