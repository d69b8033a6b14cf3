import { ApolloServerErrorCode, unwrapResolverError } from "@apollo/server/errors";
import { GraphQLError, type GraphQLFormattedError } from "graphql";
import { ArgumentValidationError, AuthenticationError, AuthorizationError } from "type-graphql";
import { Prisma } from "../generated/prisma/client";
import { AppError, ErrorCode } from "./app-error";

/** Kinds of the driver adapters' errors that mean the database cannot be reached or is overloaded. */
const UNAVAILABLE_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections", "TlsConnectionError"]);
/** Prisma's codes for the same (can't reach, timed out, pool timeout, transaction could not start). */
const UNAVAILABLE_PRISMA_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024", "P2028"]);
/** PostgreSQL's: connection exceptions, shutting down, starting up, too many connections, statement timeout. */
const UNAVAILABLE_SQLSTATE = /^(08|57P0[1-4]|53300|57014)/;
const UNAVAILABLE_MESSAGE =
  /^timeout expired$|Connection terminated|connection timeout|timeout exceeded when trying to connect|Query read timeout|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|Can't reach database server|the database system is (shutting down|starting up)/i;

// (`timeout expired` is pg's client giving up on opening a connection.)

/** Prisma's rendering of a driver error: "Database error. Code: `57P01`. …". */
const UNAVAILABLE_CODE_IN_MESSAGE = /Code: `(08\w{3}|57P0[1-4]|53300|57014)`/;

/**
 * True when an error (or one it wraps) says the database is down, unreachable, restarting or
 * too slow to answer: the request may succeed later, so it is not a bug.
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== "object" || depth > 6) return false;
  const e = error as { name?: string; code?: unknown; kind?: unknown; message?: unknown; cause?: unknown };
  if (typeof e.kind === "string" && UNAVAILABLE_KINDS.has(e.kind)) return true;
  if (e.kind === "postgres" && typeof e.code === "string" && UNAVAILABLE_SQLSTATE.test(e.code)) return true;
  if (error instanceof Prisma.PrismaClientInitializationError) return true;
  if (typeof e.code === "string" && (UNAVAILABLE_PRISMA_CODES.has(e.code) || UNAVAILABLE_SQLSTATE.test(e.code))) return true;
  if (typeof e.message === "string" && (UNAVAILABLE_MESSAGE.test(e.message) || UNAVAILABLE_CODE_IN_MESSAGE.test(e.message))) return true;
  const meta = (error as { meta?: { driverAdapterError?: unknown } }).meta;
  return isDatabaseUnavailable(e.cause, depth + 1) || isDatabaseUnavailable(meta?.driverAdapterError, depth + 1);
}

/**
 * What made a request's database unavailable, for the log: the driver's or Prisma's code and
 * message of the innermost error that says so (connection errors name no row values).
 */
export function unavailableCause(error: unknown, depth = 0): { code?: string; kind?: string; message?: string } | undefined {
  if (!isDatabaseUnavailable(error) || !error || typeof error !== "object" || depth > 6) return undefined;
  const e = error as { code?: unknown; kind?: unknown; message?: unknown; cause?: unknown; meta?: { driverAdapterError?: unknown } };
  const inner = unavailableCause(e.cause, depth + 1) ?? unavailableCause(e.meta?.driverAdapterError, depth + 1);
  if (inner) return inner;
  return {
    code: typeof e.code === "string" ? e.code : undefined,
    kind: typeof e.kind === "string" ? e.kind : undefined,
    message: typeof e.message === "string" ? e.message.slice(0, 200) : undefined,
  };
}

/** Turns a Prisma or type-graphql error into the AppError a client should see, if there is one. */
export function toAppError(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  if (isDatabaseUnavailable(error)) {
    return new AppError(ErrorCode.SERVICE_UNAVAILABLE, "The database is not available right now; try again in a moment", {
      http: { status: 503 },
    });
  }
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
