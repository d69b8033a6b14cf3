import { ApolloServerErrorCode, unwrapResolverError } from "@apollo/server/errors";
import { GraphQLError, type GraphQLFormattedError } from "graphql";
import { ArgumentValidationError, AuthenticationError, AuthorizationError } from "type-graphql";
import { Prisma } from "../generated/prisma/client";
import { AppError, ErrorCode } from "./app-error";

/** Turns a Prisma or type-graphql error into the AppError a client should see, if there is one. */
export function toAppError(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  if (error instanceof ArgumentValidationError) {
    const fields = flattenValidation(error.extensions.validationErrors as ValidationLike[]);
    const message = fields.map((f) => `${f.field}: ${f.message}`).join("; ");
    return new AppError(ErrorCode.BAD_USER_INPUT, message || "Invalid input", {
      field: fields[0]?.field,
      fields,
    });
  }
  if (error instanceof AuthenticationError) return new AppError(ErrorCode.UNAUTHENTICATED, "Sign in first");
  if (error instanceof AuthorizationError) return new AppError(ErrorCode.FORBIDDEN, "You may not do this");
  if (error instanceof Prisma.PrismaClientKnownRequestError) {
    if (error.code === "P2002") {
      const target = (error.meta?.target ?? (error.meta as { driverAdapterError?: unknown })?.driverAdapterError) as unknown;
      return new AppError(ErrorCode.CONFLICT, "A record with these values exists already", {
        fields: Array.isArray(target) ? target : undefined,
      });
    }
    if (error.code === "P2025") return new AppError(ErrorCode.NOT_FOUND, "Record not found");
  }
  return undefined;
}

interface ValidationLike {
  property: string;
  constraints?: Record<string, string>;
  children?: ValidationLike[];
}

function flattenValidation(errors: ValidationLike[] = [], prefix = ""): { field: string; message: string }[] {
  return errors.flatMap((e) => {
    const field = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flattenValidation(e.children, field)];
  });
}

const passThrough: Record<string, ErrorCode> = {
  [ApolloServerErrorCode.GRAPHQL_PARSE_FAILED]: ErrorCode.BAD_USER_INPUT,
  [ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED]: ErrorCode.BAD_USER_INPUT,
  [ApolloServerErrorCode.BAD_USER_INPUT]: ErrorCode.BAD_USER_INPUT,
  [ApolloServerErrorCode.PERSISTED_QUERY_NOT_FOUND]: ErrorCode.BAD_USER_INPUT,
  [ApolloServerErrorCode.OPERATION_RESOLUTION_FAILURE]: ErrorCode.BAD_USER_INPUT,
  [ApolloServerErrorCode.BAD_REQUEST]: ErrorCode.BAD_USER_INPUT,
};

/**
 * Apollo's formatError: every error leaves with a code from the closed set. Errors the code
 * did not mean for the client become INTERNAL_SERVER_ERROR with no internals (they are
 * logged, with the request id, by the logging plugin).
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  const appError = toAppError(original);
  if (appError) {
    // `http` (a status for Apollo's response) is for the transport, not the client.
    const { http: _http, ...extensions } = appError.extensions;
    return {
      message: appError.message,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { ...extensions, code: appError.code },
    };
  }
  const code = formatted.extensions?.code as string | undefined;
  if (code && code in ErrorCode && code !== ErrorCode.INTERNAL_SERVER_ERROR) return formatted;
  if (code && passThrough[code]) {
    return { ...formatted, extensions: { code: passThrough[code], reason: code } };
  }
  return {
    message: "Internal server error",
    locations: formatted.locations,
    path: formatted.path,
    extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
  };
}

/** True for errors that formatError hides: those are the ones worth logging. */
export function isUnexpected(error: unknown): boolean {
  const original = unwrapResolverError(error);
  if (toAppError(original)) return false;
  const code = (original as { extensions?: { code?: string } })?.extensions?.code;
  // No path: the operation failed before execution (syntax, validation, variable values).
  if (error instanceof GraphQLError && !error.path && code !== ErrorCode.INTERNAL_SERVER_ERROR) return false;
  return !code || code === ErrorCode.INTERNAL_SERVER_ERROR;
}
