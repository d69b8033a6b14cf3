import type { SqlRunner } from "../../src/db/sql-runner";

/** A column of a bulk insert: its name and the SQL type its values are cast to. */
export interface BulkColumn {
  name: string;
  /** A built-in type sent as an array of it (uuid, text, date, int, bool, numeric, timestamptz), or an enum (sent as text). */
  type: string;
}

const BUILT_IN = new Set(["uuid", "text", "date", "int", "bool", "numeric", "timestamptz"]);

/** Rows per statement: big enough that statements are few, small enough to keep parameters modest. */
export const BULK_CHUNK = 10_000;

/**
 * Inserts rows (values in column order) with one `INSERT … SELECT FROM unnest($1::t1[], $2::t2[], …)`
 * per chunk: one round trip and one parse per 10,000 rows, on PostgreSQL and PGlite alike.
 * Enum and enum-array columns travel as text and are cast in the statement.
 */
export async function bulkInsert(
  sql: SqlRunner,
  table: string,
  columns: readonly BulkColumn[],
  rows: readonly unknown[][],
  onChunk?: (inserted: number) => void,
): Promise<void> {
  const arrayTypes = columns.map((c) => (BUILT_IN.has(c.type) ? c.type : "text"));
  const selects = columns.map((c, i) => (BUILT_IN.has(c.type) ? `u.c${i}` : `u.c${i}::${c.type}`));
  const statement =
    `INSERT INTO "${table}" (${columns.map((c) => `"${c.name}"`).join(", ")}) ` +
    `SELECT ${selects.join(", ")} FROM unnest(${arrayTypes.map((t, i) => `$${i + 1}::${t}[]`).join(", ")}) ` +
    `AS u(${columns.map((_, i) => `c${i}`).join(", ")})`;
  for (let start = 0; start < rows.length; start += BULK_CHUNK) {
    const chunk = rows.slice(start, start + BULK_CHUNK);
    const params = columns.map((_, i) => chunk.map((row) => row[i] ?? null));
    await sql.query(statement, params);
    onChunk?.(chunk.length);
  }
}
