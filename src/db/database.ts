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
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** postgresql:// URL; without it, PGlite. */
  databaseUrl?: string;
  /** PGlite's data folder; `memory://` (or undefined) keeps it in memory. */
  dataDir?: string;
  poolSize?: number;
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
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolSize ?? 10 });
    const { prisma, count } = counted(new PrismaClient({ adapter: new PrismaPg(pool), log: [...log] }));
    return {
      kind: "postgres",
      prisma,
      statementCount: count,
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
  const pglite = await PGlite.create(dataDir ? { dataDir } : {});
  const { prisma, count } = counted(new PrismaClient({ adapter: new PrismaPGlite(pglite), log: [...log] }));
  return {
    kind: "pglite",
    prisma,
    statementCount: count,
    withConnection: (work) => work(pgliteRunner(pglite)),
    async close() {
      await prisma.$disconnect();
      await pglite.close();
    },
  };
}
