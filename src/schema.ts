import "reflect-metadata";
import path from "node:path";
import type { GraphQLSchema } from "graphql";
import { createPubSub } from "@graphql-yoga/subscription";
import { buildSchema, type MiddlewareFn } from "type-graphql";
import "./common/enums";
import { projectRoot } from "./common/paths";
import { DateTimeScalar } from "./common/scalars";
import type { Context } from "./context";
import { unauthenticated } from "./errors";
import { AccountResolver } from "./modules/account";
import { AllianceResolver } from "./modules/alliance";
import { FundingResolver, ServiceProjectFundingResolver, WelfareLotteryGrantResolver } from "./modules/funding";
import { HouseholdAssignmentResolver, HouseholdAssignmentsResolver } from "./modules/assignment";
import { HouseholdMemberResolver, HouseholdResolver, markSubscriptionContext } from "./modules/household";
import { AllianceMembersResolver, OrganizationResolver } from "./modules/organization";
import { PersonalDataAccessResolver } from "./modules/personal-data";
import { AllianceProjectsResolver, OrganizationProjectsResolver, ServiceProjectResolver } from "./modules/project";
import { ServiceProjectServedResolver, ServiceRecordResolver } from "./modules/service-record";
import {
  AllianceServiceRequestsResolver,
  RequestRaiserResolver,
  ServiceRequestEventResolver,
  ServiceRequestResolver,
} from "./modules/service-request";
import { AllianceStatsResolver, StatsResolver } from "./modules/stats";
import { HouseholdVisitsResolver, VisitResolver } from "./modules/visit";

/** Where the emitted SDL is committed (a test fails when it drifts from the code). */
export const schemaFile = path.join(projectRoot, "schema/schema.graphql");

/** Operations open without a token. */
const PUBLIC_ROOT_FIELDS = new Set(["login"]);

/** Without a token only `login` works: every other root field answers UNAUTHENTICATED. */
const requireViewer: MiddlewareFn<Context> = ({ context, info }, next) => {
  const root = info.parentType.name;
  if ((root === "Query" || root === "Mutation" || root === "Subscription") && !context.viewer && !PUBLIC_ROOT_FIELDS.has(info.fieldName)) {
    throw unauthenticated();
  }
  return next();
};

/**
 * A WebSocket operation's context lives as long as its subscription: each event starts with
 * empty loaders, so that it shows records (and PII access) as they are when the event arrives.
 */
const freshLoadersPerEvent: MiddlewareFn<Context> = ({ context, info }, next) => {
  if (info.parentType.name === "Subscription") {
    context.loaders.clear();
    markSubscriptionContext(context);
  }
  return next();
};

/** Every module's resolvers, in the order of the feature list in STYLE.md. */
const resolvers = [
  AllianceResolver,
  OrganizationResolver,
  AllianceMembersResolver,
  AccountResolver,
  ServiceProjectResolver,
  AllianceProjectsResolver,
  OrganizationProjectsResolver,
  FundingResolver,
  WelfareLotteryGrantResolver,
  ServiceProjectFundingResolver,
  HouseholdResolver,
  HouseholdMemberResolver,
  HouseholdAssignmentResolver,
  HouseholdAssignmentsResolver,
  PersonalDataAccessResolver,
  VisitResolver,
  HouseholdVisitsResolver,
  ServiceRecordResolver,
  ServiceProjectServedResolver,
  ServiceRequestResolver,
  RequestRaiserResolver,
  ServiceRequestEventResolver,
  AllianceServiceRequestsResolver,
  StatsResolver,
  AllianceStatsResolver,
] as const;

/** Builds the schema of every module with class-validator validation on. */
export function buildAppSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers,
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    validate: { forbidUnknownValues: false, validationError: { target: false, value: false } },
    globalMiddlewares: [requireViewer, freshLoadersPerEvent],
    // type-graphql wants a pub/sub even though every subscription brings its own `subscribe` (the event feed).
    pubSub: createPubSub(),
  });
}
