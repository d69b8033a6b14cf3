import { getComplexity, simpleEstimator, type ComplexityEstimator } from "graphql-query-complexity";
import { GraphQLError, Kind, type DocumentNode, type GraphQLSchema } from "graphql";
import { AppError, ErrorCode } from "../errors";
import { DEFAULT_PAGE_SIZE } from "./pagination";

/** A connection field costs its page size times what each node asks for. */
const connectionEstimator: ComplexityEstimator = ({ args, childComplexity, field }) => {
  if (!("first" in args) && !field.args.some((arg) => arg.name === "first")) return undefined;
  const size = typeof args.first === "number" && args.first > 0 ? args.first : DEFAULT_PAGE_SIZE;
  return 1 + size * Math.max(childComplexity, 1);
};

/** What one operation may cost. */
export interface OperationLimits {
  maxComplexity: number;
  /** 0: no depth limit. */
  maxDepth: number;
}

/**
 * Rejects an operation whose estimated cost passes `max` with QUERY_TOO_COMPLEX, before any
 * resolver runs (HTTP status 400). Each field costs 1; a connection multiplies its nodes' cost by its page size.
 */
export function assertComplexity(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName: string | undefined | null,
  limits: OperationLimits,
): void {
  const max = limits.maxComplexity;
  let complexity: number;
  try {
    complexity = getComplexity({
      schema,
      query: document,
      variables: variables ?? {},
      operationName: operationName ?? undefined,
      estimators: [connectionEstimator, simpleEstimator({ defaultComplexity: 1 })],
    });
  } catch (error) {
    // Variables that do not coerce (e.g. Date "2025-02-30"): execution rejects them as BAD_USER_INPUT.
    if (error instanceof GraphQLError && error.nodes?.[0]?.kind === Kind.VARIABLE_DEFINITION) return;
    throw error;
  }
  if (complexity > max) {
    throw new AppError(
      ErrorCode.QUERY_TOO_COMPLEX,
      `This query would cost ${complexity}, more than the limit of ${max}: ask for smaller pages or fewer nested lists`,
      { complexity, limit: max, http: { status: 400 } },
    );
  }
}
