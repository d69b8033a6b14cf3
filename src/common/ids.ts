import { badInput } from "../errors";

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when `value` can be an id of ours (a UUID); anything else names no record. */
export function isId(value: string | null | undefined): value is string {
  return typeof value === "string" && uuidPattern.test(value);
}

/** Returns `value` when it is an id, else fails with BAD_USER_INPUT naming `field`. */
export function requireId(value: string, field: string): string {
  if (!isId(value)) throw badInput(field, "is not a valid id");
  return value.toLowerCase();
}
