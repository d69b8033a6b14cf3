export { AppError, ErrorCode, badInput, conflict, forbidden, notFound, unauthenticated } from "./app-error";
export type { ErrorDetails } from "./app-error";
export { formatError, isDatabaseUnavailable, isUnexpected, toAppError, unavailableCause } from "./format-error";
