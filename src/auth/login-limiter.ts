import { once } from "node:events";
import { Redis } from "ioredis";
import type { App } from "../context";
import { AppError, ErrorCode } from "../errors";

/** A login attempt the limits let through: settle it once the password has been checked. */
export interface LoginAttempt {
  /** The password was right: the attempt no longer counts as a failure. */
  succeeded(): Promise<void>;
  /** The password was wrong: failures counted so far for the username and for the address. */
  failed(): { usernameFailures: number; addressFailures: number };
}

interface Counts {
  /** Failures for the username and the address before this attempt, and seconds left in their windows. */
  username: number;
  address: number;
  usernameTtl: number;
  addressTtl: number;
  /** True when the attempt was counted (not refused). */
  admitted: boolean;
}

/**
 * Checks both counters and, when neither is at its limit, counts the attempt as a failure in
 * advance (so that concurrent attempts cannot slip past the limit); a new counter expires
 * after the window. Returns the counts before the attempt, their TTLs and whether it was admitted.
 */
const RESERVE_SCRIPT = `
local u = tonumber(redis.call('GET', KEYS[1]) or '0')
local a = tonumber(redis.call('GET', KEYS[2]) or '0')
local ut = redis.call('TTL', KEYS[1])
local at = redis.call('TTL', KEYS[2])
if u >= tonumber(ARGV[1]) or a >= tonumber(ARGV[2]) then
  return {u, a, ut, at, 0}
end
for i = 1, 2 do
  if redis.call('INCR', KEYS[i]) == 1 then redis.call('EXPIRE', KEYS[i], ARGV[3]) end
end
return {u, a, ut, at, 1}
`;

/** Takes back an attempt counted in advance, where its counter still exists. */
const RELEASE_SCRIPT = `
for i = 1, 2 do
  if redis.call('EXISTS', KEYS[i]) == 1 and tonumber(redis.call('GET', KEYS[i])) > 0 then redis.call('DECR', KEYS[i]) end
end
return 1
`;

interface MemoryCounter {
  count: number;
  resetAt: number;
}

/**
 * Failed-login limits per username and per client address (LOGIN_MAX_FAILURES_PER_USERNAME,
 * LOGIN_MAX_FAILURES_PER_ADDRESS within LOGIN_FAILURE_WINDOW). Counters live in Redis when
 * REDIS_URL is set, so that every instance shares them; while Redis cannot be reached each
 * instance counts on its own, so a limit always holds.
 */
export class LoginLimiter {
  private readonly memory = new Map<string, MemoryCounter>();
  private readonly redis?: Redis;
  private redisDown = false;

  constructor(private readonly app: App) {
    const { redisUrl } = app.deps.config;
    if (redisUrl) {
      this.redis = new Redis(redisUrl, {
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        connectTimeout: 1_000,
        commandTimeout: 1_000,
        retryStrategy: (attempt) => Math.min(attempt * 250, 2_000),
      });
      this.redis.on("error", () => undefined);
      this.redis.defineCommand("reserveLogin", { numberOfKeys: 2, lua: RESERVE_SCRIPT });
      this.redis.defineCommand("releaseLogin", { numberOfKeys: 2, lua: RELEASE_SCRIPT });
      void this.redis.connect().catch(() => undefined);
    }
  }

  private get config() {
    return this.app.deps.config;
  }

  private keys(username: string, address: string): [string, string] {
    const prefix = `${this.config.redisChannelPrefix}login:`;
    return [`${prefix}username:${encodeURIComponent(username.slice(0, 128))}`, `${prefix}address:${address}`];
  }

  /**
   * Admits a login attempt or refuses it with RATE_LIMITED (before any password is checked)
   * when the username or the address has used up its failures for the window.
   */
  async begin(username: string, address: string): Promise<LoginAttempt> {
    const keys = this.keys(username, address);
    const counts = (await this.viaRedis((redis) => this.reserveInRedis(redis, keys))) ?? this.reserveInMemory(keys);
    if (!counts.admitted) {
      const usernameBlocked = counts.username >= this.config.loginMaxFailuresPerUsername;
      const ttls = [usernameBlocked ? counts.usernameTtl : 0, counts.address >= this.config.loginMaxFailuresPerAddress ? counts.addressTtl : 0];
      const retryAfterSeconds = Math.max(1, ...ttls);
      const minutes = Math.ceil(retryAfterSeconds / 60);
      throw new AppError(
        ErrorCode.RATE_LIMITED,
        `Too many failed sign-ins ${usernameBlocked ? "for this username" : "from this address"}: try again in ${minutes} minute${minutes === 1 ? "" : "s"}`,
        { retryAfterSeconds },
      );
    }
    return {
      succeeded: async () => {
        if (!(await this.viaRedis((redis) => this.releaseInRedis(redis, keys)))) this.releaseInMemory(keys);
      },
      failed: () => ({ usernameFailures: counts.username + 1, addressFailures: counts.address + 1 }),
    };
  }

  /** Lifts a username's lock: its failures are forgotten on every instance. */
  async clear(username: string): Promise<void> {
    const [usernameKey] = this.keys(username, "");
    this.memory.delete(usernameKey);
    await this.viaRedis(async (redis) => (await redis.del(usernameKey)) >= 0);
  }

  /** Closes the Redis connection. */
  async close(): Promise<void> {
    this.redis?.disconnect();
  }

  /** Runs `work` on Redis; undefined when there is no Redis or it fails (warned once per outage). */
  private async viaRedis<T>(work: (redis: Redis) => Promise<T>): Promise<T | undefined> {
    if (!this.redis) return undefined;
    try {
      await this.connected(this.redis);
      const result = await work(this.redis);
      if (this.redisDown) {
        this.redisDown = false;
        this.app.deps.logger.info("login limits: Redis answers again; counting there");
      }
      return result;
    } catch (error) {
      if (!this.redisDown) {
        this.redisDown = true;
        this.app.deps.logger.warn(
          { err: error },
          "login limits: Redis cannot be reached; counting failed logins per instance until it answers",
        );
      }
      return undefined;
    }
  }

  /** Waits (up to a second) for a connection still being opened; a broken one fails at once. */
  private async connected(redis: Redis): Promise<void> {
    if (redis.status !== "wait" && redis.status !== "connecting" && redis.status !== "connect") return;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        once(redis, "ready"),
        new Promise((resolve) => {
          timer = setTimeout(resolve, 1_000);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async reserveInRedis(redis: Redis, keys: [string, string]): Promise<Counts> {
    const { loginMaxFailuresPerUsername, loginMaxFailuresPerAddress, loginFailureWindowSeconds } = this.config;
    const reply = (await (redis as Redis & { reserveLogin(...args: unknown[]): Promise<number[]> }).reserveLogin(
      ...keys,
      loginMaxFailuresPerUsername,
      loginMaxFailuresPerAddress,
      loginFailureWindowSeconds,
    )) as number[];
    const [username, address, usernameTtl, addressTtl, admitted] = reply.map(Number);
    return { username, address, usernameTtl, addressTtl, admitted: admitted === 1 };
  }

  private async releaseInRedis(redis: Redis, keys: [string, string]): Promise<boolean> {
    await (redis as Redis & { releaseLogin(...args: unknown[]): Promise<number> }).releaseLogin(...keys);
    return true;
  }

  private counter(key: string, now: number): MemoryCounter | undefined {
    const counter = this.memory.get(key);
    if (counter && counter.resetAt <= now) {
      this.memory.delete(key);
      return undefined;
    }
    return counter;
  }

  private reserveInMemory(keys: [string, string]): Counts {
    const now = Date.now();
    const [user, address] = keys.map((key) => this.counter(key, now));
    const secondsLeft = (counter?: MemoryCounter) => (counter ? Math.ceil((counter.resetAt - now) / 1000) : -2);
    const counts = {
      username: user?.count ?? 0,
      address: address?.count ?? 0,
      usernameTtl: secondsLeft(user),
      addressTtl: secondsLeft(address),
      admitted: false,
    };
    if (counts.username >= this.config.loginMaxFailuresPerUsername || counts.address >= this.config.loginMaxFailuresPerAddress) {
      return counts;
    }
    if (this.memory.size > 100_000) this.pruneMemory(now);
    const resetAt = now + this.config.loginFailureWindowSeconds * 1000;
    for (const key of keys) {
      const counter = this.counter(key, now);
      if (counter) counter.count += 1;
      else this.memory.set(key, { count: 1, resetAt });
    }
    return { ...counts, admitted: true };
  }

  private releaseInMemory(keys: [string, string]): void {
    const now = Date.now();
    for (const key of keys) {
      const counter = this.counter(key, now);
      if (counter && counter.count > 0) counter.count -= 1;
    }
  }

  private pruneMemory(now: number): void {
    for (const [key, counter] of this.memory) if (counter.resetAt <= now) this.memory.delete(key);
  }
}
