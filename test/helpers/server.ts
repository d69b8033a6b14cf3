import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { closeApp, openApp } from "../../src/app";
import { createLogger, type Logger } from "../../src/common/logger";
import { loadConfig, type Config } from "../../src/config";
import { createScratchDatabase } from "../../src/db/scratch-database";
import type { App } from "../../src/context";
import { startServer, type RunningServer } from "../../src/server";
import { GraphQLClient } from "./graphql";
import { ensureTemplate } from "./pglite-template";

export const ADMIN = { username: "admin", password: "admin-password-1" };

/** Server mode when the environment names a PostgreSQL server (CI's second run). */
export const serverMode = Boolean(process.env.DATABASE_URL);

export interface TestServer {
  readonly app: App;
  readonly config: Config;
  readonly http: RunningServer;
  readonly url: string;
  readonly wsUrl: string;
  /** A client with no token. */
  readonly anonymous: GraphQLClient;
  /** A client signed in as the ADMIN account created at start-up. */
  readonly admin: GraphQLClient;
  /** SQL statements the server's Prisma client has sent so far. */
  statements(): number;
  /** Signs in and returns a client for that account. */
  login(username: string, password: string): Promise<GraphQLClient>;
  /** Stops the server; with `keepData`, an embedded data folder survives for a restart. */
  close(): Promise<void>;
}

interface Database {
  url?: string;
  dataDir: string;
  drop(): Promise<void>;
}

/** A fresh, empty database for one test file: a new PostgreSQL database, or a PGlite folder. */
export async function freshDatabase(): Promise<Database> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "zhulian-test-"));
  const removeDataDir = async () => fs.rmSync(dataDir, { recursive: true, force: true });
  const base = process.env.DATABASE_URL;
  if (!base) return { dataDir, drop: removeDataDir };
  const scratch = await createScratchDatabase(base, "zl_test");
  return {
    url: scratch.url,
    dataDir,
    async drop() {
      await scratch.drop();
      await removeDataDir();
    },
  };
}

export interface StartOptions {
  /** Reuse this database (a second instance, or a restart) instead of a fresh one. */
  database?: Database;
  /** Keep the embedded database in its folder (not in memory), so a restart finds it. */
  persistent?: boolean;
  env?: Record<string, string>;
  /** The server's logger (default: pino at LOG_LEVEL, silent unless TEST_LOG_LEVEL says). */
  logger?: Logger;
  /**
   * Work on the opened app before the server listens, as `npm start` seeds before it does: a
   * load that holds the thread (PGlite) for over a minute would otherwise outlast the keep-alive
   * of the test's own connection, which the server then closes as the next request goes out.
   */
  prepare?: (app: App) => Promise<void>;
}

/** Starts the real server (HTTP and WebSocket on a free port) on a fresh database. */
export async function startTestServer(options: StartOptions = {}): Promise<TestServer & { database: Database }> {
  const database = options.database ?? (await freshDatabase());
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    DATA_DIR: database.dataDir,
    JWT_SECRET: "test-secret-test-secret-test-secret-0123",
    ADMIN_USERNAME: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
    SEED: "none",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    ...(database.url ? { DATABASE_URL: database.url } : {}),
    ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL, REDIS_CHANNEL_PREFIX: `zhulian-test:${path.basename(database.dataDir)}:` } : {}),
    ...options.env,
  });
  const app = await openApp(config, options.logger ?? createLogger(config.logLevel), {
    inMemory: !database.url && !options.persistent && !options.database,
    pgliteTemplate: !database.url && !options.persistent && !options.database ? await ensureTemplate() : undefined,
  });
  await options.prepare?.(app);
  const http = await startServer(app, { port: config.port, host: config.host });
  const anonymous = new GraphQLClient(http.url, http.wsUrl);
  const login = async (username: string, password: string) => {
    const data = await anonymous.query<{ login: { token: string } }>(
      `mutation ($u: String!, $p: String!) { login(username: $u, password: $p) { token } }`,
      { u: username, p: password },
    );
    return new GraphQLClient(http.url, http.wsUrl, data.login.token);
  };
  const admin = await login(ADMIN.username, ADMIN.password);
  let closed = false;
  return {
    app,
    config,
    http,
    database,
    url: http.url,
    wsUrl: http.wsUrl,
    anonymous,
    admin,
    login,
    statements: () => app.deps.db.statementCount(),
    async close() {
      if (closed) return;
      closed = true;
      await http.close();
      await closeApp(app);
    },
  };
}

/**
 * A second instance on the same database (and the same Redis, when configured): in server
 * mode a separate app with its own pool and pub/sub clients, as another process would have.
 * Embedded mode has one database per process, so there the second instance shares the app.
 */
export async function startSecondInstance(first: TestServer & { database: Database }): Promise<TestServer> {
  if (!serverMode) {
    const http = await startServer(first.app, { port: 0, host: "127.0.0.1" });
    const anonymous = new GraphQLClient(http.url, http.wsUrl);
    return {
      ...first,
      http,
      url: http.url,
      wsUrl: http.wsUrl,
      anonymous,
      admin: new GraphQLClient(http.url, http.wsUrl, first.admin.token),
      login: async (u, p) => {
        const client = await first.login(u, p);
        return new GraphQLClient(http.url, http.wsUrl, client.token);
      },
      close: () => http.close(),
    };
  }
  const second = await startTestServer({ database: first.database });
  return second;
}

/** Closes servers and drops the test database. */
export async function stopAll(...servers: (TestServer & { database?: Database })[]): Promise<void> {
  for (const server of [...servers].reverse()) await server.close();
  const database = servers[0]?.database;
  if (database) await database.drop();
}
