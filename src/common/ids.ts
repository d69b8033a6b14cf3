import { badInput } from "../errors";
import type { Prisma } from "../generated/prisma/client";

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

/** A Prisma model delegate's findMany, as far as loading by id needs it. */
interface FindManyById<Row> {
  // Prisma's argument types differ per model; `{ where: { id: { in } } }` is valid for all.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  findMany(args: any): Promise<Row[]>;
}

/**
 * Records by id in one statement, in the order of `ids` with null for misses (what a
 * DataLoader batch must return). Strings that are not ids miss without reaching the database.
 */
export async function findByIdsInOrder<Row extends { id: string }>(
  delegate: FindManyById<Row>,
  ids: readonly string[],
): Promise<(Row | null)[]> {
  const valid = ids.filter(isId);
  return inIdOrder(ids, valid.length ? await delegate.findMany({ where: { id: { in: valid } } }) : []);
}

/**
 * Records by id through one hand-written statement (`select(validIds)`, run by `db.rows`), in
 * the order of `ids` with null for misses: the hot loaders' way past Prisma's engine.
 */
export async function selectByIdsInOrder<Row extends { id: string }>(
  db: { rows<T>(query: Prisma.Sql): Promise<T[]> },
  select: (ids: string[]) => Prisma.Sql,
  ids: readonly string[],
): Promise<(Row | null)[]> {
  const valid = ids.filter(isId);
  return inIdOrder(ids, valid.length ? await db.rows<Row>(select(valid)) : []);
}

/** `rows` in the order of `ids`, null for the ids no row has. */
function inIdOrder<Row extends { id: string }>(ids: readonly string[], rows: readonly Row[]): (Row | null)[] {
  const byId = new Map(rows.map((row) => [row.id, row]));
  return ids.map((id) => byId.get(id) ?? null);
}
