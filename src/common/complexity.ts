import { getComplexity, simpleEstimator, type ComplexityEstimator } from "graphql-query-complexity";
import type { DocumentNode, GraphQLSchema } from "graphql";
import { AppError, ErrorCode } from "../errors";
import { DEFAULT_PAGE_SIZE } from "./pagination";

/** A connection field costs its page size times what each node asks for. */
const connectionEstimator: ComplexityEstimator = ({ args, childComplexity, field }) => {
  if (!("first" in args) && !field.args.some((arg) => arg.name === "first")) return undefined;
  const size = typeof args.first === "number" && args.first > 0 ? args.first : DEFAULT_PAGE_SIZE;
  return 1 + size * Math.max(childComplexity, 1);
};

/**
 * Rejects an operation whose estimated cost passes `max` with QUERY_TOO_COMPLEX, before any
 * resolver runs. Each field costs 1; a connection multiplies its nodes' cost by its page size.
 */
export function assertComplexity(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName: string | undefined | null,
  max: number,
): void {
  const complexity = getComplexity({
    schema,
    query: document,
    variables: variables ?? {},
    operationName: operationName ?? undefined,
    estimators: [connectionEstimator, simpleEstimator({ defaultComplexity: 1 })],
  });
  if (complexity > max) {
    throw new AppError(
      ErrorCode.QUERY_TOO_COMPLEX,
      `This query would cost ${complexity}, more than the limit of ${max}: ask for smaller pages or fewer nested lists`,
      { complexity, limit: max },
    );
  }
}
