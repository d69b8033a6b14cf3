import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { LoginLimiter, ScopeResolver, TokenIssuer } from "./auth";
import type { Config } from "./config";
import type { Logger } from "./common/logger";
import { App } from "./context";
import { migrate, openDatabase, pendingMigrations, startHousekeeping, type Database, type Housekeeping } from "./db";
import { acquireDataDirLock, type DataDirLock } from "./db/data-dir-lock";
import { createAppPubSub, type PubSubHandle } from "./pubsub";
import { AccountService } from "./modules/account";
import { flushAccessRecords } from "./modules/household";
import { loadDemoDataset } from "../prisma/seed";

/** The embedded mode's token secret: made once, kept in DATA_DIR beside the database. */
function embeddedJwtSecret(dataDir: string): string {
  const file = path.join(dataDir, "jwt-secret");
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(file, randomBytes(48).toString("base64url"), { mode: 0o600, flag: "wx" });
  }
  return fs.readFileSync(file, "utf8").trim();
}

/** The embedded data folders held by open apps (see data-dir-lock). */
const dataDirLocks = new WeakMap<App, DataDirLock>();
/** Each open app's database housekeeping (expired idempotency keys), stopped by closeApp. */
const housekeepings = new WeakMap<App, Housekeeping>();

export interface OpenAppOptions {
  /** Keep PGlite in memory instead of DATA_DIR (tests). */
  inMemory?: boolean;
  /** Start PGlite from this dump of an already migrated database (tests: saves initdb). */
  pgliteTemplate?: string;
}

/** The housekeeping of an open app (expired idempotency keys), for tests and tools that run it now. */
export function housekeepingOf(app: App): Housekeeping | undefined {
  return housekeepings.get(app);
}

/**
 * Opens what the process needs, in order: the database (migrated), pub/sub, the token issuer,
 * the configured ADMIN account, on an empty database the configured seed, and the database's
 * housekeeping (src/db/housekeeping.ts).
 */
export async function openApp(config: Config, logger: Logger, options: OpenAppOptions = {}): Promise<App> {
  const onDisk = !config.databaseUrl && !options.inMemory && !options.pgliteTemplate;
  const dataDirLock = onDisk ? acquireDataDirLock(config.dataDir) : undefined;
  const db: Database = await openDatabase({
    databaseUrl: config.databaseUrl,
    connectTimeoutMs: config.databaseConnectTimeoutMs,
    statementTimeoutMs: config.databaseStatementTimeoutMs,
    onPoolError: (error) => logger.warn({ err: error }, "a database connection failed"),
    dataDir: options.inMemory ? "memory://" : path.join(config.dataDir, "pglite"),
    pgliteTemplate: options.pgliteTemplate,
  }).catch((error: unknown) => {
    dataDirLock?.release();
    throw error;
  });
  let pubsub: PubSubHandle | undefined;
  let app: App | undefined;
  try {
    const applied = await db.withConnection((sql) => migrate(sql));
    if (applied.length) {
      logger.info({ migrations: applied }, "applied migrations");
      await db.refreshTypes();
    }
    const jwtSecret = config.jwtSecret ?? embeddedJwtSecret(config.dataDir);
    pubsub = createAppPubSub(db, logger, {
      redisUrl: config.redisUrl,
      channelPrefix: config.redisChannelPrefix,
      pollMs: config.eventPollMs,
      retentionSeconds: config.eventRetentionSeconds,
      holdSignals: config.testHoldEventSignals,
    });
    await pubsub.start();
    app = new App({
      config,
      db,
      prisma: db.prisma,
      pubsub,
      logger,
      tokens: new TokenIssuer(jwtSecret, config.tokenTtl),
      scopes: new ScopeResolver(db),
    });
    app.get(LoginLimiter);
    if (config.admin) {
      const outcome = await app.get(AccountService).ensureAdmin(config.admin);
      if (outcome === "created") logger.info({ username: config.admin.username }, "created the ADMIN account");
      if (outcome === "reset") logger.warn({ username: config.admin.username }, "reset the ADMIN password (ADMIN_RESET_PASSWORD=true)");
    }
    if (config.seed === "demo") await loadDemoIfEmpty(app, logger);
    if (dataDirLock) dataDirLocks.set(app, dataDirLock);
    housekeepings.set(app, startHousekeeping(db, config, logger));
    return app;
  } catch (error) {
    await pubsub?.close();
    await app?.get(LoginLimiter).close();
    await db.close();
    dataDirLock?.release();
    throw error;
  }
}

/**
 * Loads the demo dataset when the database has no alliance yet (the first start), logging its
 * progress every 10%. Two instances starting together take turns; the second loads nothing.
 */
async function loadDemoIfEmpty(app: App, logger: Logger): Promise<void> {
  if ((await app.prisma.alliance.count()) > 0) return;
  logger.info("the database is empty: loading the demo dataset (SEED=demo)");
  const started = Date.now();
  let nextPercent = 10;
  const result = await app.deps.db.withConnection((sql) =>
    loadDemoDataset(sql, {
      onProgress: ({ table, done, total }) => {
        const percent = Math.floor((done * 100) / total);
        if (percent >= nextPercent) {
          logger.info({ percent, table }, "loading the demo dataset");
          nextPercent = percent - (percent % 10) + 10;
        }
      },
    }),
  );
  if (result.loaded) {
    const rows = Object.values(result.rows).reduce((sum, n) => sum + n, 0);
    logger.info({ rows, seconds: (Date.now() - started) / 1000 }, "loaded the demo dataset");
  }
}

/**
 * Ready when the database answers and every migration is applied. Redis is reported
 * (`pubsub`) but does not make an instance unready: without it the API works and events reach
 * other instances by polling the event log.
 */
export async function isReady(app: App): Promise<{ ready: boolean; database: boolean; migrations: boolean; pubsub: boolean }> {
  const [database, pubsub] = await Promise.all([
    app.deps.db
      .withConnection((sql) => pendingMigrations(sql))
      .then((pending) => ({ up: true, migrated: pending.length === 0 }))
      .catch(() => ({ up: false, migrated: false })),
    app.deps.pubsub.ready(),
  ]);
  return { ready: database.up && database.migrated, database: database.up, migrations: database.migrated, pubsub };
}

/** Stops the housekeeping, closes pub/sub and the login limits' Redis, writes the personal-data reads still buffered, and closes the database. */
export async function closeApp(app: App): Promise<void> {
  await housekeepings.get(app)?.stop();
  await app.deps.pubsub.close();
  await app.get(LoginLimiter).close();
  await flushAccessRecords(app);
  await app.deps.db.close();
  dataDirLocks.get(app)?.release();
}
