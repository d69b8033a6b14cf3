import type { PGlite, Transaction } from "@electric-sql/pglite";
import type pg from "pg";

/**
 * Plain SQL on one connection, beside Prisma: the migration runner and the bulk loader of the
 * demo dataset need multi-statement scripts, advisory locks and COPY-sized inserts.
 */
export interface SqlRunner {
  /** One statement with $1.. parameters; the rows it returns. */
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
  /** A script of several statements, no parameters. */
  exec(sql: string): Promise<void>;
}

export function pgliteRunner(db: PGlite | Transaction): SqlRunner {
  return {
    async query<Row>(sql: string, params: unknown[] = []) {
      return (await db.query<Row>(sql, params)).rows;
    },
    async exec(sql: string) {
      await db.exec(sql);
    },
  };
}

export function pgRunner(client: pg.PoolClient | pg.Client): SqlRunner {
  return {
    async query<Row>(sql: string, params: unknown[] = []) {
      return (await client.query(sql, params)).rows as Row[];
    },
    async exec(sql: string) {
      await client.query(sql);
    },
  };
}
