import { GraphQLError } from "graphql";

/** The closed set of `extensions.code` values a client can receive (DESIGN.md, "Errors"). */
export const ErrorCode = {
  UNAUTHENTICATED: "UNAUTHENTICATED",
  FORBIDDEN: "FORBIDDEN",
  BAD_USER_INPUT: "BAD_USER_INPUT",
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  GRANT_EXHAUSTED: "GRANT_EXHAUSTED",
  QUERY_TOO_COMPLEX: "QUERY_TOO_COMPLEX",
  RATE_LIMITED: "RATE_LIMITED",
  SERVICE_UNAVAILABLE: "SERVICE_UNAVAILABLE",
  INTERNAL_SERVER_ERROR: "INTERNAL_SERVER_ERROR",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Extra, client-safe facts about an error: the field at fault, the rule it broke. */
export interface ErrorDetails {
  field?: string;
  [key: string]: unknown;
}

/**
 * An error meant for the client: its message and details reach the caller as they are, so
 * they must name the field and the rule, and never carry personal data.
 */
export class AppError extends GraphQLError {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message, { extensions: { code, ...details } });
    this.name = "AppError";
  }
}

export const badInput = (field: string, message: string, details: ErrorDetails = {}) =>
  new AppError(ErrorCode.BAD_USER_INPUT, `${field}: ${message}`, { field, ...details });

export const notFound = (what: string) => new AppError(ErrorCode.NOT_FOUND, `${what} not found`);

export const forbidden = (message = "You may not do this") => new AppError(ErrorCode.FORBIDDEN, message);

export const conflict = (message: string, details: ErrorDetails = {}) =>
  new AppError(ErrorCode.CONFLICT, message, details);

export const unauthenticated = (message = "Sign in first: send Authorization: Bearer <token>") =>
  new AppError(ErrorCode.UNAUTHENTICATED, message);
