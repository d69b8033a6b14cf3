import fs from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { Prisma, PrismaClient } from "../generated/prisma/client";
import { pgliteRunner, pgRunner, type SqlRunner } from "./sql-runner";

export type { PrismaClient };

/** An open database: Prisma for the application, plain SQL for migrations and bulk loads. */
export interface Database {
  readonly kind: "pglite" | "postgres";
  readonly prisma: PrismaClient;
  /** Runs `work` on one dedicated connection (PGlite has only one). */
  withConnection<T>(work: (sql: SqlRunner) => Promise<T>): Promise<T>;
  /**
   * One read statement on the pool, past Prisma's engine, with the values `$queryRaw` gives
   * (numeric as Decimal, bigint as BigInt, date and timestamp as UTC Dates): for hot reads.
   * PostgreSQL keeps each distinct text prepared on every connection that ran it.
   */
  rows<Row>(query: Prisma.Sql): Promise<Row[]>;
  /** SQL statements sent through Prisma and `rows` since the database was opened. */
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
  /** PostgreSQL: how long opening a new connection may take (ms), default 5000. */
  connectTimeoutMs?: number;
  /**
   * PostgreSQL: how long a request may wait for a free connection of the pool (ms), default 15000,
   * Prisma's wait for a transaction: a burst queues for its turn rather than failing at the
   * connect timeout, while a database that does not answer still fails at that timeout.
   */
  poolWaitMs?: number;
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

function counted(prisma: PrismaClient): { prisma: PrismaClient; count: () => number; add: () => void } {
  let statements = 0;
  (prisma as unknown as { $on(event: "query", listener: () => void): void }).$on("query", () => {
    statements += 1;
  });
  return {
    prisma,
    count: () => statements,
    add: () => {
      statements += 1;
    },
  };
}

const defaultTimestamptz = pg.types.getTypeParser(1184, "text") as (text: string) => unknown;
/** `2025-06-30 10:49:00.123+08`, `…+05:30`: what PostgreSQL writes for a timestamptz(3). */
const TIMESTAMPTZ = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,3})?[+-]\d\d(:\d\d)?$/;

/** A timestamptz as a Date, through V8's ISO parser when it has the usual shape (twice as fast as pg's). */
function parseTimestamptz(text: string): unknown {
  if (!TIMESTAMPTZ.test(text)) return defaultTimestamptz(text);
  const iso = text.charCodeAt(text.length - 3) === 43 || text.charCodeAt(text.length - 3) === 45 ? `${text}:00` : text;
  return new Date(iso.replace(" ", "T"));
}

/** Parsers by type OID, for the types whose `$queryRaw` values differ from the drivers' defaults (or are slow). */
const ROW_PARSERS: Record<number, (text: string) => unknown> = {
  1184: parseTimestamptz, // timestamptz
  20: (text) => BigInt(text), // int8
  1700: (text) => new Prisma.Decimal(text), // numeric
  1082: (text) => new Date(`${text}T00:00:00Z`), // date
  1114: (text) => new Date(`${text.replace(" ", "T")}Z`), // timestamp without time zone, stored as UTC
};

const pgTypes = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    return ROW_PARSERS[oid] ?? (format ? pg.types.getTypeParser(oid, format) : pg.types.getTypeParser(oid));
  },
};

/** A statement's values as the drivers take them: decimals and big integers as text. */
function driverValues(values: unknown[]): unknown[] {
  return values.map((value) => (Prisma.Decimal.isDecimal(value) || typeof value === "bigint" ? String(value) : value));
}

/** Prepared-statement names by text: the first texts seen, up to a bound (then unnamed). */
const MAX_PREPARED = 500;
const preparedNames = new Map<string, string>();
function preparedName(text: string): string | undefined {
  let name = preparedNames.get(text);
  if (!name && preparedNames.size < MAX_PREPARED) {
    name = `zl_${preparedNames.size + 1}`;
    preparedNames.set(text, name);
  }
  return name;
}

/** Opens PostgreSQL through a pg pool, or PGlite in process, behind the same Prisma client. */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  const log = [{ emit: "event", level: "query" }] as const;
  if (options.databaseUrl) {
    const statementTimeout = options.statementTimeoutMs ?? 30_000;
    const connectTimeout = options.connectTimeoutMs ?? 5_000;
    // pg-pool has one timeout for both the wait in its queue and the opening of a connection:
    // the pool's is the queue's, the client's own is the opening's.
    class Client extends pg.Client {
      constructor(config?: pg.ClientConfig) {
        super({ ...config, connectionTimeoutMillis: connectTimeout });
      }
    }
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      Client,
      connectionTimeoutMillis: Math.max(options.poolWaitMs ?? 15_000, connectTimeout),
      statement_timeout: statementTimeout,
      // A server that stops answering mid-statement (a cut network) is given up on too.
      query_timeout: statementTimeout + 5_000,
      keepAlive: true,
    });
    // A connection dropped by the server (a restart, an outage) must not crash the process: the
    // pool handles idle ones; a checked-out one (a transaction between statements) reports its
    // loss on the client, where nothing else listens. Its queries still fail and it is discarded.
    pool.on("error", (error) => options.onPoolError?.(error));
    pool.on("connect", (client) => client.on("error", (error) => options.onPoolError?.(error)));
    const { prisma, count, add } = counted(new PrismaClient({ adapter: new PrismaPg(pool), log: [...log] }));
    return {
      kind: "postgres",
      prisma,
      statementCount: count,
      async rows<Row>(query: Prisma.Sql) {
        add();
        const result = await pool.query({ name: preparedName(query.text), text: query.text, values: driverValues(query.values), types: pgTypes });
        return result.rows as Row[];
      },
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
  const { prisma, count, add } = counted(new PrismaClient({ adapter: new PrismaPGlite(pglite), log: [...log] }));
  return {
    kind: "pglite",
    prisma,
    statementCount: count,
    async rows<Row>(query: Prisma.Sql) {
      add();
      return (await pglite.query<Row>(query.text, driverValues(query.values), { parsers: ROW_PARSERS })).rows;
    },
    refreshTypes: () => pglite.refreshArrayTypes(),
    dump: async () => pglite.dumpDataDir("none"),
    withConnection: (work) => work(pgliteRunner(pglite)),
    async close() {
      await prisma.$disconnect();
      await pglite.close();
    },
  };
}
