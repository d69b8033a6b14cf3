import path from "node:path";
import { z } from "zod";

/** Where the data lives: PGlite in a local folder, or a PostgreSQL server. */
export type StorageMode = "embedded" | "server";

const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

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
  TOKEN_TTL: z.string().regex(/^\d+[smhd]$/, "must look like 12h, 30m or 7d").default("12h"),
  ADMIN_USERNAME: z.string().min(3).max(64).optional(),
  ADMIN_PASSWORD: z.string().min(8, "must be at least 8 characters").optional(),
  SEED: z.enum(["demo", "none"]).optional(),
  LOG_LEVEL: z.enum(logLevels).default("info"),
  MAX_QUERY_COMPLEXITY: z.coerce.number().int().min(10).default(250000),
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
  readonly admin?: { readonly username: string; readonly password: string };
  /** What to load into an empty database at start-up. */
  readonly seed: "demo" | "none";
  readonly logLevel: (typeof logLevels)[number];
  readonly maxQueryComplexity: number;
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
  if (problems.length > 0) throw new ConfigError(problems);

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
        ? Object.freeze({ username: env.ADMIN_USERNAME, password: env.ADMIN_PASSWORD })
        : undefined,
    seed: env.SEED ?? (mode === "embedded" ? "demo" : "none"),
    logLevel: env.LOG_LEVEL,
    maxQueryComplexity: env.MAX_QUERY_COMPLEXITY,
  });
}
