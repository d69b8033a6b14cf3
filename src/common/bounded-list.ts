import { badInput } from "../errors";

/** How many items a list without a cursor returns when `first` is not given, and at most. */
export const DEFAULT_LIST_SIZE = 100;

/** The length of a bounded list asked for: `first`, 1..100, or 100 when omitted. */
export function listSize(first: number | null | undefined, field = "first"): number {
  if (first === null || first === undefined) return DEFAULT_LIST_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > DEFAULT_LIST_SIZE) {
    throw badInput(field, `must be between 1 and ${DEFAULT_LIST_SIZE}, got ${first}`);
  }
  return first;
}

/** The description of a bounded list's `first` argument. */
export const LIST_FIRST_DESCRIPTION = `At most this many items, 1 to ${DEFAULT_LIST_SIZE} (default ${DEFAULT_LIST_SIZE}).`;
