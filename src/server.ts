import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { unwrapResolverError } from "@apollo/server/errors";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { expressMiddleware } from "@as-integrations/express5";
import express from "express";
import proxyaddr from "proxy-addr";
import { GraphQLError, Kind, parse, validate, type DocumentNode, type ExecutionResult, type GraphQLSchema } from "graphql";
import { WebSocket, WebSocketServer } from "ws";
import { isReady } from "./app";
import { AccountStates, bearerToken, CLOSE_FORBIDDEN, CLOSE_TOO_MANY, LiveSockets, revokedToken, type Viewer } from "./auth";
import { assertComplexity } from "./common/complexity";
import { createContext, finishContext, type App, type Context } from "./context";
import { expandSharedPayload, sharedPayload, sharedSubscribe } from "./pubsub/shared-subscriptions";
import { useGraphqlWs } from "./websocket";
import { AppError, ErrorCode, formatError, isUnexpected, toAppError, unavailableCause } from "./errors";
import { buildAppSchema } from "./schema";
import { webConsole } from "./web-console";

export interface RunningServer {
  /** http://host:port/graphql */
  readonly url: string;
  /** ws://host:port/graphql */
  readonly wsUrl: string;
  readonly port: number;
  readonly schema: GraphQLSchema;
  /**
   * Drains: /readyz turns 503 and new connections are refused at once; in-flight HTTP requests
   * and WebSocket queries and mutations may finish for up to `graceMs` (SHUTDOWN_GRACE); then
   * every WebSocket is closed with 1001 and every remaining connection is cut.
   */
  close(graceMs?: number): Promise<void>;
}

/** WebSocket close code: the server is going away (shutting down). */
const CLOSE_GOING_AWAY = 1001;

/** The cost and depth limits of the configuration. */
function operationLimits(app: App) {
  return { maxComplexity: app.deps.config.maxQueryComplexity, maxDepth: app.deps.config.maxQueryDepth };
}

/** The largest WebSocket message a client may send; a larger one closes the socket (1009). */
const MAX_WS_PAYLOAD_BYTES = 1024 * 1024;

/** Root fields that run without a signed-in account. */
const PUBLIC_ROOT_FIELDS = new Set(["login", "__typename"]);

/** True when the operation asks for nothing but public root fields (a client signing in again). */
function onlyPublicFields(document: DocumentNode, operationName: string | null | undefined): boolean {
  const operation = document.definitions.find(
    (definition) => definition.kind === Kind.OPERATION_DEFINITION && (!operationName || definition.name?.value === operationName),
  );
  if (!operation || operation.kind !== Kind.OPERATION_DEFINITION) return false;
  return operation.selectionSet.selections.every((selection) => selection.kind === Kind.FIELD && PUBLIC_ROOT_FIELDS.has(selection.name.value));
}

/**
 * Who a bearer token signs in: null without a valid token. A token that verifies but that its
 * account no longer accepts (deactivated, password changed) comes back with the reason.
 */
async function authenticate(app: App, token: string | undefined, requestId: string): Promise<{ viewer: Viewer | null; refused?: string }> {
  const viewer = token ? await app.deps.tokens.verify(token, requestId) : null;
  if (!viewer) return { viewer: null };
  let refused: string | null;
  try {
    refused = await app.get(AccountStates).check(viewer);
  } catch (error) {
    app.deps.logger.error({ requestId, err: error }, "could not check a token's account");
    throw new AppError(ErrorCode.SERVICE_UNAVAILABLE, "Cannot check your token right now; try again shortly");
  }
  return refused ? { viewer: null, refused } : { viewer };
}

/** Answers UNAUTHENTICATED, saying why, to an operation sent with a token its account no longer accepts. */
function refusedTokenPlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, document, operationName }) {
          const refused = contextValue.refusedToken;
          if (refused && !onlyPublicFields(document, operationName)) throw revokedToken(refused);
        },
      };
    },
  };
}

/** Logs unexpected errors with the request id, and rejects over-complex operations. */
function operationPlugin(app: App, schema: GraphQLSchema): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request, operationName }) {
          assertComplexity(schema, document, request.variables, operationName, operationLimits(app));
        },
        async willSendResponse({ contextValue }) {
          await finishContext(contextValue);
        },
        async didEncounterErrors({ errors, contextValue, operationName }) {
          for (const error of errors) {
            if (isUnexpected(error)) {
              app.deps.logger.error(
                { requestId: contextValue.requestId, operationName, err: error.originalError ?? error, path: error.path },
                "unexpected error",
              );
            } else {
              const cause = unavailableCause(unwrapResolverError(error));
              if (cause) app.deps.logger.warn({ requestId: contextValue.requestId, operationName, path: error.path, cause }, "database unavailable");
            }
          }
        },
      };
    },
  };
}

/**
 * An error with no path and no code came before execution (syntax, validation, variable values):
 * the request's fault, BAD_USER_INPUT as Apollo makes it on HTTP, not an internal error.
 */
function asRequestError(error: GraphQLError): GraphQLError {
  if (error.path || error.extensions?.code || toAppError(error.originalError)) return error;
  return new GraphQLError(error.message, { nodes: error.nodes, extensions: { code: ErrorCode.BAD_USER_INPUT } });
}

/** Formats a WebSocket operation's errors the way HTTP's formatError does. */
function formatWsError(error: GraphQLError): GraphQLError {
  const request = asRequestError(error);
  const formatted = formatError(request.toJSON(), request);
  return new GraphQLError(formatted.message, { path: formatted.path, extensions: formatted.extensions });
}

/** Formats a WebSocket result's errors the way HTTP's formatError does. */
function formatResult(result: ExecutionResult): ExecutionResult {
  if (!result.errors) return result;
  return { ...result, errors: result.errors.map(formatWsError) };
}

/** How many distinct WebSocket operation texts keep their parsed and validated document. */
const CACHED_DOCUMENTS = 1_000;

/**
 * WebSocket operations parsed and validated once per text: thousands of clients subscribe with
 * the same few documents, and share one parsed document each. The oldest text goes first.
 */
class DocumentCache {
  private readonly entries = new Map<string, { document: DocumentNode; errors: readonly GraphQLError[] }>();

  constructor(private readonly schema: GraphQLSchema) {}

  /** The document of `query` and its validation errors; a syntax error is thrown. */
  get(query: string): { document: DocumentNode; errors: readonly GraphQLError[] } {
    let entry = this.entries.get(query);
    if (!entry) {
      const document = parse(query);
      entry = { document, errors: validate(this.schema, document) };
      if (this.entries.size >= CACHED_DOCUMENTS) this.entries.delete(this.entries.keys().next().value as string);
      this.entries.set(query, entry);
    }
    return entry;
  }
}

/**
 * Serves GraphQL over HTTP (POST /graphql) and WebSocket (graphql-ws, same path), plus
 * GET /healthz (alive) and GET /readyz (database migrated, pub/sub reachable).
 */
export async function startServer(app: App, listen: { port: number; host: string }): Promise<RunningServer> {
  const { logger } = app.deps;
  const schema = await buildAppSchema();
  const expressApp = express();
  const httpServer = http.createServer(expressApp);
  // Idle keep-alive sockets outlive a client's (or load balancer's) reuse window; a shorter server
  // timeout races the client's next request on the same socket and resets it (ECONNRESET).
  httpServer.keepAliveTimeout = 65_000;
  httpServer.headersTimeout = 66_000;
  const wsServer = new WebSocketServer({ server: httpServer, path: "/graphql", maxPayload: MAX_WS_PAYLOAD_BYTES });
  const { wsMaxSocketsPerAccount, wsMaxSubscriptionsPerSocket } = app.deps.config;
  const liveSockets = new LiveSockets(app.get(AccountStates), logger, wsMaxSocketsPerAccount);
  let draining = false;
  let httpInFlight = 0;
  /** WebSocket queries and mutations running (subscriptions are not waited for). */
  const wsInFlight = new Set<string>();

  let socketSerial = 0;
  const documents = new DocumentCache(schema);
  const loggedResults = new WeakSet<object>();
  const wsCleanup = useGraphqlWs<Record<string, unknown>, { viewer?: Viewer; serial?: number }>(
    {
      schema,
      async onConnect(ctx) {
        const { socket } = ctx.extra;
        const token = bearerToken(ctx.connectionParams?.authorization);
        const { viewer, refused } = await authenticate(app, token, randomUUID()).catch(() => ({
          viewer: null,
          refused: "Cannot check your token right now; try again shortly",
        }));
        if (refused) socket.close(CLOSE_FORBIDDEN, refused);
        if (!viewer || socket.readyState !== WebSocket.OPEN) return false;
        // The sweep of liveSockets closes the socket when the token expires or is revoked.
        const unregister = liveSockets.add(viewer, socket);
        if (!unregister) {
          socket.close(CLOSE_TOO_MANY, "Too many connections");
          return false;
        }
        socket.once("close", unregister);
        ctx.extra.viewer = viewer;
        ctx.extra.serial = ++socketSerial;
        return true;
      },
      context: (ctx) => {
        const requestId = randomUUID();
        const viewer = ctx.extra.viewer ? { ...ctx.extra.viewer, requestId } : null;
        return createContext(app, viewer, requestId, ctx.extra.clientAddress);
      },
      onSubscribe(ctx, id, payload) {
        if (Object.keys(ctx.subscriptions).length > wsMaxSubscriptionsPerSocket) {
          return [
            new AppError(
              ErrorCode.RATE_LIMITED,
              `At most ${wsMaxSubscriptionsPerSocket} operations may run at once on one socket: complete one, or open another socket`,
            ),
          ];
        }
        try {
          const { document, errors } = documents.get(payload.query);
          if (errors.length) return errors;
          assertComplexity(schema, document, payload.variables ?? undefined, payload.operationName, operationLimits(app));
          const operation = document.definitions.find(
            (definition) => definition.kind === Kind.OPERATION_DEFINITION && (!payload.operationName || definition.name?.value === payload.operationName),
          );
          if (operation?.kind === Kind.OPERATION_DEFINITION && operation.operation !== "subscription") wsInFlight.add(`${ctx.extra.serial}:${id}`);
          // Parsed and validated here, so graphql-ws does neither again.
          return { schema, document, operationName: payload.operationName, variableValues: payload.variables };
        } catch (error) {
          return [error instanceof GraphQLError ? error : new GraphQLError("Cannot parse this operation")];
        }
      },
      // One execution per live event for all subscribers of an operation who see the same thing.
      subscribe: sharedSubscribe(app),
      onNext: async (_ctx, _id, _payload, args, result) => {
        const context = args.contextValue as Context;
        const { errors } = result as ExecutionResult;
        // A live event's result may be shared by thousands of subscribers: its errors are logged once.
        if (errors && !loggedResults.has(result)) {
          loggedResults.add(result);
          for (const error of errors) {
            if (isUnexpected(error)) logger.error({ requestId: context.requestId, err: error.originalError ?? error, path: error.path }, "unexpected error");
            else {
              const cause = unavailableCause(unwrapResolverError(error));
              if (cause) logger.warn({ requestId: context.requestId, path: error.path, cause }, "database unavailable");
            }
          }
        }
        if (context.finishers.size) await finishContext(context);
        return errors ? formatResult(result as ExecutionResult) : sharedPayload(result as ExecutionResult);
      },
      onError: (_ctx, _id, _payload, errors) => errors.map(formatWsError),
      onComplete(ctx, id) {
        wsInFlight.delete(`${ctx.extra.serial}:${id}`);
      },
      onClose(ctx) {
        for (const key of [...wsInFlight]) if (key.startsWith(`${ctx.extra.serial}:`)) wsInFlight.delete(key);
      },
    },
    wsServer,
    {
      logger,
      outgoing: expandSharedPayload,
      // The address HTTP requests get (req.ip): X-Forwarded-For only as far as TRUST_PROXY trusts it.
      clientAddress: (request) => proxyaddr(request, expressApp.get("trust proxy fn") as (address: string, hop: number) => boolean),
    },
  );

  const apollo = new ApolloServer<Context>({
    schema,
    formatError,
    includeStacktraceInErrorResponses: false,
    // The process's own handlers drain and stop it (src/index.ts); Apollo's would race them.
    stopOnTerminationSignals: false,
    introspection: app.deps.config.introspection,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              liveSockets.stop();
              await wsCleanup.dispose();
            },
          };
        },
      },
      // The IDE is our own GraphiQL, served locally (src/web-console.ts); Apollo's loads from a CDN.
      ApolloServerPluginLandingPageDisabled(),
      // No cache hints are used; the default plugin would wrap every field's resolver to collect them.
      ApolloServerPluginCacheControlDisabled(),
      refusedTokenPlugin(),
      operationPlugin(app, schema),
    ],
  });
  await apollo.start();

  expressApp.disable("x-powered-by");
  if (app.deps.config.trustProxy !== undefined) expressApp.set("trust proxy", app.deps.config.trustProxy);
  expressApp.use((req, res, next) => {
    httpInFlight += 1;
    let counted = true;
    const done = () => {
      if (counted) httpInFlight -= 1;
      counted = false;
    };
    res.once("finish", done);
    res.once("close", done);
    // While draining, a kept-alive connection closes after its current response.
    if (draining) res.setHeader("connection", "close");
    const requestId = (req.get("x-request-id") ?? "").slice(0, 64) || randomUUID();
    res.locals.requestId = requestId;
    res.setHeader("x-request-id", requestId);
    const started = process.hrtime.bigint();
    res.on("finish", () => {
      logger.info(
        {
          requestId,
          method: req.method,
          path: req.originalUrl.split("?")[0],
          status: res.statusCode,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
          operationName: (req.body as { operationName?: unknown } | undefined)?.operationName ?? undefined,
        },
        "request",
      );
    });
    next();
  });
  expressApp.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  expressApp.get("/readyz", async (_req, res) => {
    if (draining) {
      res.status(503).json({ status: "shutting down", ready: false });
      return;
    }
    const readiness = await isReady(app);
    res.status(readiness.ready ? 200 : 503).json({ status: readiness.ready ? "ready" : "not ready", ...readiness });
  });
  expressApp.use(webConsole({ ide: app.deps.config.landingPage && app.deps.config.introspection }));
  expressApp.use(
    "/graphql",
    express.json({ limit: "1mb" }),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const requestId = res.locals.requestId as string;
        const { viewer, refused } = await authenticate(app, bearerToken(req.headers.authorization), requestId);
        const context = createContext(app, viewer, requestId, req.ip ?? req.socket.remoteAddress ?? "unknown");
        return refused ? { ...context, refusedToken: refused } : context;
      },
    }),
  );

  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(listen.port, listen.host, () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
  const host = listen.host.includes(":") ? `[${listen.host}]` : listen.host;
  return {
    url: `http://${host}:${port}/graphql`,
    wsUrl: `ws://${host}:${port}/graphql`,
    port,
    schema,
    async close(graceMs = app.deps.config.shutdownGraceMs) {
      draining = true;
      liveSockets.stop();
      httpServer.close();
      const deadline = Date.now() + graceMs;
      while ((httpInFlight > 0 || wsInFlight.size > 0) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      if (httpInFlight > 0 || wsInFlight.size > 0) {
        logger.warn({ http: httpInFlight, webSocket: wsInFlight.size }, "the shutdown grace period ended with operations still running");
      }
      for (const client of wsServer.clients) client.close(CLOSE_GOING_AWAY, "Server shutting down");
      httpServer.closeAllConnections();
      await apollo.stop();
    },
  };
}
