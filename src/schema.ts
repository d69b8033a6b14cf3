import "reflect-metadata";
import path from "node:path";
import { isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from "graphql";
import { createPubSub } from "@graphql-yoga/subscription";
import { buildSchema, getMetadataStorage } from "type-graphql";
import "./common/enums";
import { projectRoot } from "./common/paths";
import { validateArgument } from "./common/argument-validation";
import { DateTimeScalar } from "./common/scalars";
import type { Context } from "./context";
import { unauthenticated } from "./errors";
import { AccountResolver } from "./modules/account";
import { AllianceResolver } from "./modules/alliance";
import { FundingResolver, ServiceProjectFundingResolver, WelfareLotteryGrantResolver } from "./modules/funding";
import { HouseholdAssignmentResolver, HouseholdAssignmentsResolver } from "./modules/assignment";
import {
  HouseholdCategoryChangeResolver,
  HouseholdMemberChangeResolver,
  HouseholdMemberResolver,
  HouseholdResolver,
  markSubscriptionContext,
} from "./modules/household";
import {
  AssistanceApplicationResolver,
  JointHandlingTaskEventResolver,
  JointHandlingTaskResolver,
  JointItemResolver,
} from "./modules/joint-handling";
import { AllianceMembersResolver, OrganizationResolver } from "./modules/organization";
import { PersonalDataAccessResolver } from "./modules/personal-data";
import { AllianceProjectsResolver, OrganizationProjectsResolver, ServiceProjectResolver } from "./modules/project";
import { AllianceReportingResolver, ReportingResolver } from "./modules/reporting";
import { ServiceProjectServedResolver, ServiceRecordResolver } from "./modules/service-record";
import {
  AllianceServiceRequestsResolver,
  RequestRaiserResolver,
  ServiceRequestEventResolver,
  ServiceRequestResolver,
} from "./modules/service-request";
import { MedicalExpenseResolver, MonitoringAlertResolver } from "./modules/monitoring";
import { AllianceStatsResolver, StatsResolver } from "./modules/stats";
import { AssistanceStandardResolver, HouseholdAssessmentResolver } from "./modules/standard";
import { HouseholdVisitsResolver, VisitResolver } from "./modules/visit";

/** Where the emitted SDL is committed (a test fails when it drifts from the code). */
export const schemaFile = path.join(projectRoot, "schema/schema.graphql");

/** Operations open without a token. */
const PUBLIC_ROOT_FIELDS = new Set(["login"]);

/**
 * Without a token only `login` works: every other root field answers UNAUTHENTICATED. A
 * WebSocket operation's context lives as long as its subscription, so each event starts with
 * empty loaders: it shows records (and PII access) as they are when the event arrives.
 *
 * Both apply to root fields only, so they wrap those resolvers once the schema is built rather
 * than run as type-graphql global middlewares, which would turn every field of every object
 * into a chain of promises.
 */
function guardRootFields(schema: GraphQLSchema): GraphQLSchema {
  for (const type of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
    if (!type) continue;
    const subscription = type === schema.getSubscriptionType();
    for (const field of Object.values(type.getFields())) {
      if (PUBLIC_ROOT_FIELDS.has(field.name)) continue;
      const resolve = field.resolve as GraphQLFieldResolver<unknown, Context> | undefined;
      if (!resolve) throw new Error(`Root field ${type.name}.${field.name} has no resolver`);
      field.resolve = (root, args, context: Context, info) => {
        if (!context.viewer) throw unauthenticated();
        if (subscription) {
          context.loaders.clear();
          markSubscriptionContext(context);
        }
        return resolve(root, args, context, info);
      };
    }
  }
  return schema;
}

/**
 * Field resolvers that take only the parent, the context and `info` are called directly rather
 * than through type-graphql's generic handler, which copies the parent into an instance of its
 * class, sorts the parameters and chains promises on every call of every such field (a page of
 * 50 requests with their alliance and household is 100 of them). Resolvers with arguments,
 * middlewares or roles keep the generic handler (it converts and validates arguments).
 */
function callFieldResolversDirectly(schema: GraphQLSchema): GraphQLSchema {
  const storage = getMetadataStorage();
  const instances = new Map<Function, Record<string, (...params: unknown[]) => unknown>>();
  for (const resolver of storage.fieldResolvers) {
    if (resolver.kind !== "external" || !resolver.getObjectType) continue;
    if (resolver.middlewares?.length || resolver.roles?.length) continue;
    const params = [...(resolver.params ?? [])].sort((a, b) => a.index - b.index);
    if (!params.every((param) => param.kind === "root" || param.kind === "context" || param.kind === "info")) continue;
    const objectClass = resolver.getObjectType();
    const objectType = storage.objectTypes.find((type) => type.target === objectClass);
    const type = objectType && schema.getType(objectType.name);
    const field = type && isObjectType(type) ? type.getFields()[resolver.schemaName] : undefined;
    if (!field) continue;
    let instance = instances.get(resolver.target);
    if (!instance) {
      instance = new (resolver.target as new () => Record<string, (...params: unknown[]) => unknown>)();
      instances.set(resolver.target, instance);
    }
    const target = instance;
    const method = resolver.methodName;
    const pick = params.map((param) => {
      if (param.kind === "root") {
        const property = param.propertyName;
        return property ? (root: unknown) => (root as Record<string, unknown>)[property] : (root: unknown) => root;
      }
      if (param.kind === "context") {
        const property = param.propertyName;
        return property ? (_root: unknown, context: Context) => (context as unknown as Record<string, unknown>)[property] : (_root: unknown, context: Context) => context;
      }
      return (_root: unknown, _context: Context, info: unknown) => info;
    });
    field.resolve = (root, _args, context: Context, info) => target[method](...pick.map((value) => value(root, context, info)));
  }
  return schema;
}

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
  HouseholdCategoryChangeResolver,
  HouseholdMemberChangeResolver,
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
  MedicalExpenseResolver,
  MonitoringAlertResolver,
  StatsResolver,
  AllianceStatsResolver,
  AssistanceStandardResolver,
  HouseholdAssessmentResolver,
  ReportingResolver,
  AllianceReportingResolver,
  JointItemResolver,
  AssistanceApplicationResolver,
  JointHandlingTaskResolver,
  JointHandlingTaskEventResolver,
] as const;

/** Builds the schema of every module with class-validator validation on (`validateArgument`). */
export async function buildAppSchema(): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers,
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    validateFn: validateArgument,
    // type-graphql wants a pub/sub even though every subscription brings its own `subscribe` (the event feed).
    pubSub: createPubSub(),
  });
  return guardRootFields(callFieldResolversDirectly(schema));
}
