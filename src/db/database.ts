import fs from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaClient } from "../generated/prisma/client";
import { pgliteRunner, pgRunner, type SqlRunner } from "./sql-runner";

export type { PrismaClient };

/** An open database: Prisma for the application, plain SQL for migrations and bulk loads. */
export interface Database {
  readonly kind: "pglite" | "postgres";
  readonly prisma: PrismaClient;
  /** Runs `work` on one dedicated connection (PGlite has only one). */
  withConnection<T>(work: (sql: SqlRunner) => Promise<T>): Promise<T>;
  /** SQL statements Prisma has sent since the database was opened. */
  statementCount(): number;
  /**
   * Call after migrations: PGlite reads the database's array types once, when it opens, and
   * cannot send an array of an enum created later (e.g. `hasSome` on an enum[] column).
   */
  refreshTypes(): Promise<void>;
  /** PGlite only: the whole data folder as a tarball (a template for `pgliteTemplate`). */
  dump?(): Promise<Blob>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** postgresql:// URL; without it, PGlite. */
  databaseUrl?: string;
  /** PostgreSQL: how long to wait for a connection (ms), default 5000. */
  connectTimeoutMs?: number;
  /** PostgreSQL: the longest a statement may run (ms), default 30000. */
  statementTimeoutMs?: number;
  /** Where pool errors (a dropped idle connection) are reported. */
  onPoolError?: (error: Error) => void;
  /** PGlite's data folder; `memory://` (or undefined) keeps it in memory. */
  dataDir?: string;
  poolSize?: number;
  /** A PGlite data-folder dump (`dumpDataDir`) to start from instead of an empty database. */
  pgliteTemplate?: string;
}

function counted(prisma: PrismaClient): { prisma: PrismaClient; count: () => number } {
  let statements = 0;
  (prisma as unknown as { $on(event: "query", listener: () => void): void }).$on("query", () => {
    statements += 1;
  });
  return { prisma, count: () => statements };
}

/** Opens PostgreSQL through a pg pool, or PGlite in process, behind the same Prisma client. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const log = [{ emit: "event", level: "query" }] as const;
  if (options.databaseUrl) {
    const statementTimeout = options.statementTimeoutMs ?? 30_000;
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
      statement_timeout: statementTimeout,
      // A server that stops answering mid-statement (a cut network) is given up on too.
      query_timeout: statementTimeout + 5_000,
      keepAlive: true,
    });
    // An idle connection dropped by the server (a restart) must not crash the process.
    pool.on("error", (error) => options.onPoolError?.(error));
    const { prisma, count } = counted(new PrismaClient({ adapter: new PrismaPg(pool), log: [...log] }));
    return {
      kind: "postgres",
      prisma,
      statementCount: count,
      refreshTypes: async () => undefined,
      async withConnection(work) {
        const client = await pool.connect();
        try {
          return await work(pgRunner(client));
        } finally {
          client.release();
        }
      },
      async close() {
        await prisma.$disconnect();
        await pool.end();
      },
    };
  }

  const dataDir = options.dataDir && options.dataDir !== "memory://" ? options.dataDir : undefined;
  if (dataDir) fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  const loadDataDir = options.pgliteTemplate ? new Blob([fs.readFileSync(options.pgliteTemplate)]) : undefined;
  const pglite = await PGlite.create({ ...(dataDir ? { dataDir } : {}), ...(loadDataDir ? { loadDataDir } : {}) });
  const { prisma, count } = counted(new PrismaClient({ adapter: new PrismaPGlite(pglite), log: [...log] }));
  return {
    kind: "pglite",
    prisma,
    statementCount: count,
    refreshTypes: () => pglite.refreshArrayTypes(),
    dump: async () => pglite.dumpDataDir("none"),
    withConnection: (work) => work(pgliteRunner(pglite)),
    async close() {
      await prisma.$disconnect();
      await pglite.close();
    },
  };
}
