import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { closeApp, openApp } from "../src/app";
import { createLogger } from "../src/common/logger";
import { ConfigError, loadConfig } from "../src/config";

const SECRET = "a-secret-of-at-least-32-characters!!";

/** The problems loadConfig reports for `env`, or [] when it accepts it. */
function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe("loadConfig", () => {
  test("with nothing set: embedded mode on 127.0.0.1:4000, data in ./data, demo seed", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 4000,
      host: "127.0.0.1",
      mode: "embedded",
      databaseUrl: undefined,
      redisUrl: undefined,
      dataDir: path.resolve("./data"),
      jwtSecret: undefined,
      tokenTtl: "12h",
      admin: undefined,
      seed: "demo",
      logLevel: "info",
      maxQueryComplexity: 250000,
      maxQueryDepth: 12,
      passwordMinLength: 10,
      loginMaxFailuresPerUsername: 10,
      loginMaxFailuresPerAddress: 50,
      loginFailureWindowSeconds: 900,
      tokenCheckSeconds: 2,
      trustProxy: undefined,
      wsMaxSocketsPerAccount: 10,
      wsMaxSubscriptionsPerSocket: 20,
      introspection: true,
      landingPage: true,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  test("server mode turns introspection and the landing page off unless they are asked for", () => {
    const server = { DATABASE_URL: "postgresql://db/zhulian", JWT_SECRET: SECRET };
    expect(loadConfig(server)).toMatchObject({ introspection: false, landingPage: false });
    expect(loadConfig({ ...server, INTROSPECTION: "true", LANDING_PAGE: "true" })).toMatchObject({ introspection: true, landingPage: true });
    expect(loadConfig({ INTROSPECTION: "false", LANDING_PAGE: "0" })).toMatchObject({ introspection: false, landingPage: false });
    expect(problems({ INTROSPECTION: "maybe" })).toEqual([expect.stringMatching(/^INTROSPECTION: /)]);
  });

  test("TOKEN_CHECK_SECONDS is at most 5, and TRUST_PROXY takes true, a hop count or addresses", () => {
    expect(problems({ TOKEN_CHECK_SECONDS: "6" })).toEqual([expect.stringMatching(/^TOKEN_CHECK_SECONDS: /)]);
    expect(loadConfig({ TOKEN_CHECK_SECONDS: "5" }).tokenCheckSeconds).toBe(5);
    expect(loadConfig({ TRUST_PROXY: "true" }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: "2" }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: "10.0.0.0/8" }).trustProxy).toBe("10.0.0.0/8");
  });

  test("DATABASE_URL switches to server mode, which seeds nothing by default and needs JWT_SECRET", () => {
    expect(problems({ DATABASE_URL: "postgresql://db/zhulian" })).toEqual([expect.stringMatching(/^JWT_SECRET: required/)]);
    const config = loadConfig({ DATABASE_URL: "postgresql://db/zhulian", JWT_SECRET: SECRET, REDIS_URL: "redis://cache:6379" });
    expect(config).toMatchObject({ mode: "server", seed: "none", jwtSecret: SECRET, redisUrl: "redis://cache:6379" });
  });

  test("a short JWT_SECRET is refused, naming it", () => {
    expect(problems({ JWT_SECRET: "short" })).toEqual([expect.stringMatching(/^JWT_SECRET: .*32/)]);
  });

  test.each(["abc", "-1", "65536", "1.5"])("PORT=%s is refused, naming PORT", (port) => {
    const found = problems({ PORT: port });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^PORT: /);
  });

  test("SEED must be demo or none", () => {
    expect(problems({ SEED: "all" })).toEqual([expect.stringMatching(/^SEED: /)]);
    expect(loadConfig({ SEED: "none" }).seed).toBe("none");
    expect(loadConfig({ DATABASE_URL: "postgresql://db/x", JWT_SECRET: SECRET, SEED: "demo", ALLOW_DEMO_ACCOUNTS: "true" }).seed).toBe("demo");
  });

  test("SEED=demo with a DATABASE_URL is refused unless ALLOW_DEMO_ACCOUNTS=true: the demo passwords are public", () => {
    expect(problems({ DATABASE_URL: "postgresql://db/x", JWT_SECRET: SECRET, SEED: "demo" })).toEqual([
      expect.stringMatching(/^SEED: .*ALLOW_DEMO_ACCOUNTS=true/),
    ]);
    expect(loadConfig({ SEED: "demo" }).seed).toBe("demo");
  });

  test("URLs must have the right scheme", () => {
    expect(problems({ DATABASE_URL: "mysql://db/x", JWT_SECRET: SECRET })).toEqual([expect.stringMatching(/^DATABASE_URL: /)]);
    expect(problems({ REDIS_URL: "http://cache" })).toEqual([expect.stringMatching(/^REDIS_URL: /)]);
  });

  test("ADMIN_USERNAME and ADMIN_PASSWORD come together, and the password follows the password policy", () => {
    expect(problems({ ADMIN_USERNAME: "admin" })).toEqual([expect.stringMatching(/ADMIN_USERNAME and ADMIN_PASSWORD/)]);
    expect(problems({ ADMIN_USERNAME: "admin", ADMIN_PASSWORD: "short-pw1" })).toEqual([expect.stringMatching(/^ADMIN_PASSWORD: .*10 characters/)]);
    expect(problems({ ADMIN_USERNAME: "administrator", ADMIN_PASSWORD: "administrator" })).toEqual([expect.stringMatching(/^ADMIN_PASSWORD: .*username/)]);
    expect(problems({ ADMIN_USERNAME: "admin", ADMIN_PASSWORD: "Password123" })).toEqual([expect.stringMatching(/^ADMIN_PASSWORD: .*common/)]);
    expect(problems({ ADMIN_USERNAME: "admin", ADMIN_PASSWORD: "short-pw1", PASSWORD_MIN_LENGTH: "8" })).toEqual([]);
    expect(loadConfig({ ADMIN_USERNAME: "admin", ADMIN_PASSWORD: "long-enough" }).admin).toEqual({
      username: "admin",
      password: "long-enough",
      resetPassword: false,
    });
    expect(loadConfig({ ADMIN_USERNAME: "admin", ADMIN_PASSWORD: "long-enough", ADMIN_RESET_PASSWORD: "true" }).admin?.resetPassword).toBe(true);
  });

  test("TOKEN_TTL, LOG_LEVEL and MAX_QUERY_COMPLEXITY are checked", () => {
    expect(problems({ TOKEN_TTL: "12 hours" })).toContainEqual(expect.stringMatching(/^TOKEN_TTL: must look like/));
    expect(problems({ TOKEN_TTL: "31d" })).toEqual([expect.stringMatching(/^TOKEN_TTL: .*30d/)]);
    expect(problems({ TOKEN_TTL: "721h" })).toEqual([expect.stringMatching(/^TOKEN_TTL: /)]);
    expect(loadConfig({ TOKEN_TTL: "30d" }).tokenTtl).toBe("30d");
    expect(problems({ LOG_LEVEL: "loud" })).toEqual([expect.stringMatching(/^LOG_LEVEL: /)]);
    expect(problems({ MAX_QUERY_COMPLEXITY: "5" })).toEqual([expect.stringMatching(/^MAX_QUERY_COMPLEXITY: /)]);
    expect(loadConfig({ TOKEN_TTL: "30m", LOG_LEVEL: "debug", MAX_QUERY_COMPLEXITY: "1000" })).toMatchObject({
      tokenTtl: "30m",
      logLevel: "debug",
      maxQueryComplexity: 1000,
    });
  });

  test("every problem is reported at once, and empty values count as unset", () => {
    const found = problems({ PORT: "x", SEED: "all", JWT_SECRET: "" });
    expect(found.map((p) => p.split(":")[0]).sort()).toEqual(["PORT", "SEED"]);
    expect(loadConfig({ PORT: "", DATABASE_URL: "" }).mode).toBe("embedded");
  });

  test("does not read process.env when given an environment", () => {
    const saved = process.env.PORT;
    process.env.PORT = "not-a-port";
    try {
      expect(loadConfig({}).port).toBe(4000);
    } finally {
      if (saved === undefined) delete process.env.PORT;
      else process.env.PORT = saved;
    }
  });
});

describe("the embedded token secret", () => {
  test("is made once in DATA_DIR/jwt-secret and reused on the next start", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "zhulian-config-"));
    try {
      const config = loadConfig({ DATA_DIR: dataDir, SEED: "none", LOG_LEVEL: "silent" });
      const logger = createLogger("silent");
      const first = await openApp(config, logger, { inMemory: true });
      const secretFile = path.join(dataDir, "jwt-secret");
      const secret = fs.readFileSync(secretFile, "utf8");
      expect(secret.length).toBeGreaterThanOrEqual(32);
      expect(fs.statSync(secretFile).mode & 0o777).toBe(0o600);
      const token = await first.deps.tokens.sign({ id: "3f0c1a52-0000-4000-8000-000000000001", role: "ADMIN", allianceId: null, organizationId: null, tokenVersion: 0 });
      await closeApp(first);

      const second = await openApp(config, logger, { inMemory: true });
      try {
        expect(fs.readFileSync(secretFile, "utf8")).toBe(secret);
        expect(await second.deps.tokens.verify(token, "request-1")).toMatchObject({ accountId: "3f0c1a52-0000-4000-8000-000000000001", role: "ADMIN" });
      } finally {
        await closeApp(second);
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test("is not used when JWT_SECRET is set", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "zhulian-config-"));
    try {
      const app = await openApp(loadConfig({ DATA_DIR: dataDir, JWT_SECRET: SECRET, SEED: "none", LOG_LEVEL: "silent" }), createLogger("silent"), { inMemory: true });
      await closeApp(app);
      expect(fs.existsSync(path.join(dataDir, "jwt-secret"))).toBe(false);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
