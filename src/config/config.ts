import path from "node:path";
import { z } from "zod";
import { passwordProblem } from "./password-policy";

/** Where the data lives: PGlite in a local folder, or a PostgreSQL server. */
export type StorageMode = "embedded" | "server";

const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** `true`/`false` (also `1`/`0`, `yes`/`no`). */
const flag = z
  .enum(["true", "false", "1", "0", "yes", "no"], { message: "must be true or false" })
  .transform((value) => value === "true" || value === "1" || value === "yes");

/** A duration: a number and s, m, h or d. */
const DURATION = /^\d+[smhd]$/;
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;

/** Seconds in a duration such as 15m or 12h. */
export function durationSeconds(value: string): number {
  return Number(value.slice(0, -1)) * UNIT_SECONDS[value.slice(-1) as keyof typeof UNIT_SECONDS];
}

const MAX_TOKEN_TTL_SECONDS = 30 * 86400;

const environmentSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default("127.0.0.1"),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgresql:// URL")
    .optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, "must be a redis:// URL")
    .optional(),
  REDIS_CHANNEL_PREFIX: z.string().max(100).default("zhulian:"),
  DATA_DIR: z.string().min(1).default("./data"),
  JWT_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  TOKEN_TTL: z
    .string()
    .regex(DURATION, "must look like 12h, 30m or 7d")
    .refine((value) => durationSeconds(value) >= 1 && durationSeconds(value) <= MAX_TOKEN_TTL_SECONDS, "must be 1s to 30d")
    .default("12h"),
  ADMIN_USERNAME: z.string().min(3).max(64).optional(),
  ADMIN_PASSWORD: z.string().max(128).optional(),
  ADMIN_RESET_PASSWORD: flag.default(false),
  SEED: z.enum(["demo", "none"]).optional(),
  ALLOW_DEMO_ACCOUNTS: flag.default(false),
  LOG_LEVEL: z.enum(logLevels).default("info"),
  MAX_QUERY_COMPLEXITY: z.coerce.number().int().min(10).default(250000),
  MAX_QUERY_DEPTH: z.coerce.number().int().min(0).max(1000).default(12),
  PASSWORD_MIN_LENGTH: z.coerce.number().int().min(8).max(128).default(10),
  LOGIN_MAX_FAILURES_PER_USERNAME: z.coerce.number().int().min(1).default(10),
  LOGIN_MAX_FAILURES_PER_ADDRESS: z.coerce.number().int().min(1).default(50),
  LOGIN_FAILURE_WINDOW: z.string().regex(DURATION, "must look like 15m").default("15m"),
  TOKEN_CHECK_SECONDS: z.coerce.number().min(0.1).max(5).default(2),
  TRUST_PROXY: z.string().max(500).optional(),
  WS_MAX_SOCKETS_PER_ACCOUNT: z.coerce.number().int().min(1).default(10),
  WS_MAX_SUBSCRIPTIONS_PER_SOCKET: z.coerce.number().int().min(1).default(20),
  DATABASE_CONNECT_TIMEOUT: z.string().regex(DURATION, "must look like 5s").default("5s"),
  DATABASE_STATEMENT_TIMEOUT: z.string().regex(DURATION, "must look like 30s").default("30s"),
  SHUTDOWN_GRACE: z.string().regex(DURATION, "must look like 10s").default("10s"),
  EVENT_POLL_INTERVAL: z.coerce.number().int().min(50).max(60_000).default(1000),
  EVENT_RETENTION: z
    .string()
    .regex(DURATION, "must look like 7d")
    .refine((value) => durationSeconds(value) >= 86_400, "must be at least 1d")
    .default("7d"),
  ZHULIAN_TEST_HOLD_EVENT_SIGNALS: flag.default(false),
  IDEMPOTENCY_KEY_TTL: z.string().regex(DURATION, "must look like 7d").default("7d"),
  MEDICAL_ALERT_INCOME_SHARE: z.coerce.number().gt(0, "must be above 0").max(10, "must be at most 10").default(0.5),
  MEDICAL_ALERT_MIN_AMOUNT: z.string().regex(/^\d{1,12}(\.\d{1,2})?$/, "must be an amount in yuan such as 10000.00").default("10000.00"),
  INTROSPECTION: flag.optional(),
  LANDING_PAGE: flag.optional(),
});

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly mode: StorageMode;
  readonly databaseUrl?: string;
  readonly redisUrl?: string;
  /** Start of every Redis pub/sub channel name: instances of one city share it. */
  readonly redisChannelPrefix: string;
  /** Absolute path of the embedded database and its generated secret. */
  readonly dataDir: string;
  /** Undefined in embedded mode until the data folder provides one (see ensureJwtSecret). */
  readonly jwtSecret?: string;
  readonly tokenTtl: string;
  readonly admin?: { readonly username: string; readonly password: string; readonly resetPassword: boolean };
  /** What to load into an empty database at start-up. */
  readonly seed: "demo" | "none";
  readonly logLevel: (typeof logLevels)[number];
  readonly maxQueryComplexity: number;
  /** Deepest selection an operation may have; 0 turns the limit off. */
  readonly maxQueryDepth: number;
  readonly passwordMinLength: number;
  /** Failed logins allowed per username, and per client address, within `loginFailureWindowSeconds`. */
  readonly loginMaxFailuresPerUsername: number;
  readonly loginMaxFailuresPerAddress: number;
  readonly loginFailureWindowSeconds: number;
  /** How long a token's account check (active, token version) may be reused: at most 5 s. */
  readonly tokenCheckSeconds: number;
  /** Express's `trust proxy` value (true, a hop count, or addresses/subnets); unset: the socket's address. */
  readonly trustProxy?: boolean | number | string;
  readonly wsMaxSocketsPerAccount: number;
  readonly wsMaxSubscriptionsPerSocket: number;
  /** PostgreSQL: how long to wait for a connection, and the longest a statement may run (ms). */
  readonly databaseConnectTimeoutMs: number;
  readonly databaseStatementTimeoutMs: number;
  /** On SIGTERM/SIGINT: how long in-flight requests and operations may take to finish (ms). */
  readonly shutdownGraceMs: number;
  /** How often (ms) each instance reads the event log without being told of a new event. */
  readonly eventPollMs: number;
  /** How long (s) events are kept for clients that resume with `after`. */
  readonly eventRetentionSeconds: number;
  /** Test hook (fault suite): after a commit, tell no instance (as a process killed right after committing). */
  readonly testHoldEventSignals: boolean;
  /** How long an idempotency key names its first result; after that the key is free again. */
  readonly idempotencyKeyTtlSeconds: number;
  /** 政策找人: a medical-expense alert needs 12 months' out-of-pocket spending of at least this share of the household's income… */
  readonly medicalAlertIncomeShare: number;
  /** …and at least this amount in yuan (a decimal string). */
  readonly medicalAlertMinAmount: string;
  /** Schema introspection on (default: embedded mode only). */
  readonly introspection: boolean;
  /** The GraphQL IDE (GraphiQL, served from this server) for a browser's GET /graphql; needs introspection (default: embedded mode only). */
  readonly landingPage: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/**
 * Reads and validates the environment once. Every problem names the variable at fault;
 * the result is frozen. This is the only place in the code that reads process.env.
 */
export function loadConfig(environment: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(
    Object.entries(environment).filter(([, value]) => value !== undefined && value !== ""),
  );
  const parsed = environmentSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`),
    );
  }
  const env = parsed.data;
  const problems: string[] = [];
  const mode: StorageMode = env.DATABASE_URL ? "server" : "embedded";
  if (mode === "server" && !env.JWT_SECRET) {
    problems.push("JWT_SECRET: required when DATABASE_URL is set (at least 32 characters)");
  }
  if (Boolean(env.ADMIN_USERNAME) !== Boolean(env.ADMIN_PASSWORD)) {
    problems.push("ADMIN_USERNAME and ADMIN_PASSWORD: set both or neither");
  }
  if (env.ADMIN_USERNAME && env.ADMIN_PASSWORD) {
    const weakness = passwordProblem(env.ADMIN_PASSWORD, env.ADMIN_USERNAME, env.PASSWORD_MIN_LENGTH);
    if (weakness) problems.push(`ADMIN_PASSWORD: ${weakness}`);
  }
  if (mode === "server" && env.SEED === "demo" && !env.ALLOW_DEMO_ACCOUNTS) {
    problems.push("SEED: demo loads accounts whose passwords are public; with DATABASE_URL also set ALLOW_DEMO_ACCOUNTS=true");
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const trustProxy = env.TRUST_PROXY === undefined ? undefined
    : /^(true|false)$/.test(env.TRUST_PROXY) ? env.TRUST_PROXY === "true"
    : /^\d+$/.test(env.TRUST_PROXY) ? Number(env.TRUST_PROXY)
    : env.TRUST_PROXY;
  return Object.freeze({
    port: env.PORT,
    host: env.HOST,
    mode,
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    redisChannelPrefix: env.REDIS_CHANNEL_PREFIX,
    dataDir: path.resolve(env.DATA_DIR),
    jwtSecret: env.JWT_SECRET,
    tokenTtl: env.TOKEN_TTL,
    admin:
      env.ADMIN_USERNAME && env.ADMIN_PASSWORD
        ? Object.freeze({ username: env.ADMIN_USERNAME, password: env.ADMIN_PASSWORD, resetPassword: env.ADMIN_RESET_PASSWORD })
        : undefined,
    seed: env.SEED ?? (mode === "embedded" ? "demo" : "none"),
    logLevel: env.LOG_LEVEL,
    maxQueryComplexity: env.MAX_QUERY_COMPLEXITY,
    maxQueryDepth: env.MAX_QUERY_DEPTH,
    passwordMinLength: env.PASSWORD_MIN_LENGTH,
    loginMaxFailuresPerUsername: env.LOGIN_MAX_FAILURES_PER_USERNAME,
    loginMaxFailuresPerAddress: env.LOGIN_MAX_FAILURES_PER_ADDRESS,
    loginFailureWindowSeconds: durationSeconds(env.LOGIN_FAILURE_WINDOW),
    tokenCheckSeconds: env.TOKEN_CHECK_SECONDS,
    trustProxy,
    wsMaxSocketsPerAccount: env.WS_MAX_SOCKETS_PER_ACCOUNT,
    wsMaxSubscriptionsPerSocket: env.WS_MAX_SUBSCRIPTIONS_PER_SOCKET,
    databaseConnectTimeoutMs: durationSeconds(env.DATABASE_CONNECT_TIMEOUT) * 1000,
    databaseStatementTimeoutMs: durationSeconds(env.DATABASE_STATEMENT_TIMEOUT) * 1000,
    shutdownGraceMs: durationSeconds(env.SHUTDOWN_GRACE) * 1000,
    eventPollMs: env.EVENT_POLL_INTERVAL,
    eventRetentionSeconds: durationSeconds(env.EVENT_RETENTION),
    testHoldEventSignals: env.ZHULIAN_TEST_HOLD_EVENT_SIGNALS,
    idempotencyKeyTtlSeconds: durationSeconds(env.IDEMPOTENCY_KEY_TTL),
    medicalAlertIncomeShare: env.MEDICAL_ALERT_INCOME_SHARE,
    medicalAlertMinAmount: env.MEDICAL_ALERT_MIN_AMOUNT,
    introspection: env.INTROSPECTION ?? mode === "embedded",
    landingPage: env.LANDING_PAGE ?? mode === "embedded",
  });
}
