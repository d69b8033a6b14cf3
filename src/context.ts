import type DataLoader from "dataloader";
import type { ScopeResolver, TokenIssuer, Viewer } from "./auth";
import type { Config } from "./config";
import type { Logger } from "./common/logger";
import type { Database, PrismaClient } from "./db";
import type { PubSubHandle } from "./pubsub";

/** What the whole process shares: opened once at start-up, stateless after that. */
export interface AppDeps {
  readonly config: Config;
  readonly db: Database;
  readonly prisma: PrismaClient;
  readonly pubsub: PubSubHandle;
  readonly logger: Logger;
  readonly tokens: TokenIssuer;
  readonly scopes: ScopeResolver;
}

/** A service class: stateless, built once per process from the app. */
export type ServiceClass<S> = new (app: App) => S;

/** The process-wide dependencies and one instance of each service, made on first use. */
export class App {
  private readonly services = new Map<ServiceClass<unknown>, unknown>();

  constructor(readonly deps: AppDeps) {}

  get prisma(): PrismaClient {
    return this.deps.prisma;
  }

  get<S>(service: ServiceClass<S>): S {
    let instance = this.services.get(service) as S | undefined;
    if (!instance) {
      instance = new service(this);
      this.services.set(service, instance);
    }
    return instance;
  }
}

/** One GraphQL request (HTTP) or operation (WebSocket). */
export interface Context {
  readonly requestId: string;
  readonly viewer: Viewer | null;
  readonly app: App;
  /** The client's address: the socket's, or X-Forwarded-For's when TRUST_PROXY says so. */
  readonly clientAddress: string;
  /** Why a bearer token that verifies was refused (account deactivated, password changed); no viewer then. */
  readonly refusedToken?: string;
  /** DataLoaders of this request, made on first use (see defineLoader). */
  readonly loaders: Map<unknown, unknown>;
  /**
   * Work to run once the result is complete, before it is sent (HTTP) or after each result
   * of a WebSocket operation, subscription events included: see finishContext.
   */
  readonly finishers: Set<() => Promise<void>>;
}

export function createContext(app: App, viewer: Viewer | null, requestId: string, clientAddress = "unknown"): Context {
  return { app, viewer, requestId, clientAddress, loaders: new Map(), finishers: new Set() };
}

/** Runs and clears a context's finishers; a failing one is logged, never thrown at the client. */
export async function finishContext(ctx: Context): Promise<void> {
  if (ctx.finishers.size === 0) return;
  const work = [...ctx.finishers];
  ctx.finishers.clear();
  const results = await Promise.allSettled(work.map((finish) => finish()));
  for (const result of results) {
    if (result.status === "rejected") {
      ctx.app.deps.logger.error({ requestId: ctx.requestId, err: result.reason }, "a request finisher failed");
    }
  }
}

/**
 * Declares a per-request DataLoader: `const byId = defineLoader((ctx) => new DataLoader(...))`,
 * then `byId(ctx).load(id)` anywhere in the same request shares one batch and one cache.
 * Connection fields whose arguments shape the batch pass them as `variant`
 * (`childrenPage(ctx, { first, after })`): one loader per distinct variant.
 */
export function defineLoader<K, V, C = K, A = undefined>(
  create: (ctx: Context, variant: A) => DataLoader<K, V, C>,
): (ctx: Context, variant?: A) => DataLoader<K, V, C> {
  return (ctx, variant) => {
    let variants = ctx.loaders.get(create) as Map<string, DataLoader<K, V, C>> | undefined;
    if (!variants) {
      variants = new Map();
      ctx.loaders.set(create, variants);
    }
    const key = variant === undefined ? "" : JSON.stringify(variant);
    let loader = variants.get(key);
    if (!loader) {
      loader = create(ctx, variant as A);
      variants.set(key, loader);
    }
    return loader;
  };
}
