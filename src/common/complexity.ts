import { maxDepthRule } from "@escape.tech/graphql-armor-max-depth";
import { getComplexity, simpleEstimator, type ComplexityEstimator } from "graphql-query-complexity";
import {
  GraphQLError,
  Kind,
  getNamedType,
  getNullableType,
  isListType,
  isObjectType,
  validate,
  type DocumentNode,
  type GraphQLSchema,
} from "graphql";
import { AppError, ErrorCode } from "../errors";
import { DEFAULT_LIST_SIZE } from "./bounded-list";
import { AllianceLevel, FundingSource } from "./enums";
import { DEFAULT_PAGE_SIZE } from "./pagination";

/**
 * What one `stats` evaluation costs: it aggregates whole subtrees (households, fundings, visits,
 * service records), so it is priced like the rows it reads, such that about 20 of them fit under
 * the default MAX_QUERY_COMPLEXITY (250000) however they are reached.
 */
export const STATS_COST = 12_000;

/** Fields that run a subtree aggregation: priced at STATS_COST whatever they select. */
const STATS_FIELDS = new Set(["Query.stats", "Alliance.stats"]);

/**
 * Lists without `first` whose length has a bound of their own: how many items they can hold.
 * - Alliance.ancestors: at most CITY, COUNTY and TOWNSHIP above a VILLAGE.
 * - Household.members: at most 30 current members (100 with `includeFormer`).
 * - Household.categoryHistory, memberHistory: the latest 100 entries (DEFAULT_LIST_SIZE).
 * - Query.allianceRoots: the viewer's subtree roots are disjoint, so anything below them (a
 *   `stats` in particular) reads each row at most once, as under a single node.
 * - AllianceStats lists: one item per alliance level and per funding source.
 */
const STRUCTURAL_BOUNDS: Readonly<Record<string, number>> = {
  "Alliance.ancestors": 3,
  "Household.members": 30,
  "Query.allianceRoots": 1,
  "AllianceStats.alliancesByLevel": Object.values(AllianceLevel).length,
  "AllianceStats.fundingBySource": Object.values(FundingSource).length,
};

/** Lists with `first` whose default is not DEFAULT_LIST_SIZE. */
const LIST_DEFAULTS: Readonly<Record<string, number>> = {
  "ServiceRequest.suggestedOrganizations": 5,
};

/**
 * Prices every field: `stats` at STATS_COST; a connection or a list of objects at
 * 1 + size × (its items' cost), where size is `first` or its default (20 for connections,
 * 100 or the list's own bound for lists); any other field at 1 + what it selects. Fields of a
 * connection (`nodes`, `edges`) are not multiplied again. Nesting multiplies.
 */
const fieldEstimator: ComplexityEstimator = ({ type, field, args, childComplexity }) => {
  const key = `${type.name}.${field.name}`;
  if (STATS_FIELDS.has(key)) return STATS_COST;
  if (type.name.endsWith("Connection")) return undefined;
  const returned = getNullableType(field.type);
  const isConnection = isObjectType(returned) && returned.name.endsWith("Connection");
  const isObjectList = isListType(returned) && isObjectType(getNamedType(returned));
  if (!isConnection && !isObjectList) return undefined;
  const hasFirst = field.args.some((arg) => arg.name === "first");
  let size: number;
  if (hasFirst && typeof args.first === "number" && args.first > 0) size = args.first;
  else if (isConnection) size = DEFAULT_PAGE_SIZE;
  else if (key === "Household.members" && args.includeFormer === true) size = DEFAULT_LIST_SIZE;
  else size = STRUCTURAL_BOUNDS[key] ?? LIST_DEFAULTS[key] ?? DEFAULT_LIST_SIZE;
  return 1 + size * Math.max(childComplexity, 1);
};

/** What one operation may cost. */
export interface OperationLimits {
  maxComplexity: number;
  /** 0: no depth limit. */
  maxDepth: number;
}

/**
 * How deep the selected operation nests fields, counted through fragments and inline fragments
 * (a fragment adds no level of its own); introspection's `__schema` is not counted.
 */
export function operationDepth(schema: GraphQLSchema, document: DocumentNode, operationName: string | undefined | null): number {
  const depths: number[] = [];
  validate(schema, document, [
    maxDepthRule({ n: Number.POSITIVE_INFINITY, flattenFragments: true, onAccept: [(_context, { n }) => depths.push(n)] }),
  ]);
  const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  const index = operationName ? operations.findIndex((operation) => operation.name?.value === operationName) : 0;
  return depths[Math.max(index, 0)] ?? 0;
}

function tooComplex(message: string, details: Record<string, unknown>): AppError {
  return new AppError(ErrorCode.QUERY_TOO_COMPLEX, message, { ...details, http: { status: 400 } });
}

/** Variable sets whose cost is kept per document (the same query sent again and again). */
const COSTS_PER_DOCUMENT = 32;

/**
 * Depths and costs already computed, per parsed document: Apollo hands the same document object
 * for the same query text, so a query sent again costs a map lookup, not two walks of its tree.
 */
const measured = new WeakMap<DocumentNode, { depths: Map<string, number>; costs: Map<string, number | null> }>();

function measurementsOf(document: DocumentNode) {
  let entry = measured.get(document);
  if (!entry) {
    entry = { depths: new Map(), costs: new Map() };
    measured.set(document, entry);
  }
  return entry;
}

/**
 * Rejects an operation with QUERY_TOO_COMPLEX before any resolver runs (HTTP status 400) when it
 * nests deeper than `maxDepth` or its estimated cost passes `maxComplexity` (see fieldEstimator).
 */
export function assertComplexity(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName: string | undefined | null,
  limits: OperationLimits,
): void {
  const known = measurementsOf(document);
  if (limits.maxDepth > 0) {
    const depthKey = operationName ?? "";
    let depth = known.depths.get(depthKey);
    if (depth === undefined) {
      depth = operationDepth(schema, document, operationName);
      known.depths.set(depthKey, depth);
    }
    if (depth > limits.maxDepth) {
      throw tooComplex(`This query nests ${depth} levels deep, more than the limit of ${limits.maxDepth}: ask for fewer nested fields`, {
        depth,
        limit: limits.maxDepth,
      });
    }
  }
  const max = limits.maxComplexity;
  const costKey = `${operationName ?? ""}\u0000${JSON.stringify(variables ?? {})}`;
  let complexity = known.costs.get(costKey);
  if (complexity === undefined) {
    complexity = measureCost(schema, document, variables, operationName, max);
    if (known.costs.size >= COSTS_PER_DOCUMENT) known.costs.delete(known.costs.keys().next().value as string);
    known.costs.set(costKey, complexity);
  }
  if (complexity !== null && complexity > max) {
    throw tooComplex(
      `This query would cost ${complexity}, more than the limit of ${max}: ask for smaller pages (first) or fewer nested lists`,
      { complexity, limit: max },
    );
  }
}

/** The operation's estimated cost; null when its variables do not coerce (execution rejects them). */
function measureCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName: string | undefined | null,
  max: number,
): number | null {
  try {
    return getComplexity({
      schema,
      query: document,
      variables: variables ?? {},
      operationName: operationName ?? undefined,
      estimators: [fieldEstimator, simpleEstimator({ defaultComplexity: 1 })],
    });
  } catch (error) {
    // Variables that do not coerce (e.g. Date "2025-02-30"): execution rejects them as BAD_USER_INPUT.
    if (error instanceof GraphQLError && error.nodes?.[0]?.kind === Kind.VARIABLE_DEFINITION) return null;
    if (error instanceof GraphQLError && error.message.includes("maximum allowed number of nodes")) {
      throw tooComplex(`This query has too many fields to estimate its cost (the limit is ${max}): ask for fewer fields`, { limit: max });
    }
    throw error;
  }
}
