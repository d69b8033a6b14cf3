import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { expressMiddleware } from "@as-integrations/express5";
import express from "express";
import { GraphQLError, parse, validate, type ExecutionResult, type GraphQLSchema } from "graphql";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer } from "ws";
import { isReady } from "./app";
import { bearerToken, type Viewer } from "./auth";
import { assertComplexity } from "./common/complexity";
import { createContext, finishContext, type App, type Context } from "./context";
import { ErrorCode, formatError, isUnexpected, toAppError } from "./errors";
import { buildAppSchema } from "./schema";

export interface RunningServer {
  /** http://host:port/graphql */
  readonly url: string;
  /** ws://host:port/graphql */
  readonly wsUrl: string;
  readonly port: number;
  readonly schema: GraphQLSchema;
  /** Stops accepting, lets in-flight requests finish, closes sockets. */
  close(): Promise<void>;
}

/** The cost and depth limits of the configuration. */
function operationLimits(app: App) {
  return { maxComplexity: app.deps.config.maxQueryComplexity, maxDepth: app.deps.config.maxQueryDepth };
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

/**
 * Serves GraphQL over HTTP (POST /graphql) and WebSocket (graphql-ws, same path), plus
 * GET /healthz (alive) and GET /readyz (database migrated, pub/sub reachable).
 */
export async function startServer(app: App, listen: { port: number; host: string }): Promise<RunningServer> {
  const { logger } = app.deps;
  const schema = await buildAppSchema(app.deps.pubsub.pubSub);
  const expressApp = express();
  const httpServer = http.createServer(expressApp);
  // Idle keep-alive sockets outlive a client's (or load balancer's) reuse window; a shorter server
  // timeout races the client's next request on the same socket and resets it (ECONNRESET).
  httpServer.keepAliveTimeout = 65_000;
  httpServer.headersTimeout = 66_000;
  const wsServer = new WebSocketServer({ server: httpServer, path: "/graphql" });

  const wsCleanup = useServer<Record<string, unknown>, { viewer?: Viewer; expiry?: NodeJS.Timeout }>(
    {
      schema,
      async onConnect(ctx) {
        const token = bearerToken(ctx.connectionParams?.authorization);
        const viewer = token ? await app.deps.tokens.verify(token, randomUUID()) : null;
        if (!viewer) return false;
        ctx.extra.viewer = viewer;
        if (viewer.expiresAt) {
          // A socket lives no longer than its token: the client signs in again and reconnects.
          ctx.extra.expiry = setTimeout(() => ctx.extra.socket.close(4403, "Token expired"), viewer.expiresAt - Date.now());
          ctx.extra.expiry.unref();
        }
        return true;
      },
      onClose(ctx) {
        clearTimeout(ctx.extra.expiry);
      },
      context: (ctx) => {
        const requestId = randomUUID();
        const viewer = ctx.extra.viewer ? { ...ctx.extra.viewer, requestId } : null;
        return createContext(app, viewer, requestId, ctx.extra.request.socket.remoteAddress ?? "unknown");
      },
      onSubscribe(_ctx, _id, payload) {
        try {
          const document = parse(payload.query);
          const errors = validate(schema, document);
          if (errors.length) return errors;
          assertComplexity(schema, document, payload.variables ?? undefined, payload.operationName, operationLimits(app));
        } catch (error) {
          return [error instanceof GraphQLError ? error : new GraphQLError("Cannot parse this operation")];
        }
        return undefined;
      },
      onNext: async (_ctx, _id, _payload, args, result) => {
        const context = args.contextValue as Context;
        for (const error of (result as ExecutionResult).errors ?? []) {
          if (isUnexpected(error)) logger.error({ requestId: context.requestId, err: error.originalError ?? error, path: error.path }, "unexpected error");
        }
        await finishContext(context);
        return formatResult(result as ExecutionResult);
      },
      onError: (_ctx, _id, _payload, errors) => errors.map(formatWsError),
    },
    wsServer,
  );

  const apollo = new ApolloServer<Context>({
    schema,
    formatError,
    includeStacktraceInErrorResponses: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await wsCleanup.dispose();
            },
          };
        },
      },
      operationPlugin(app, schema),
    ],
  });
  await apollo.start();

  expressApp.disable("x-powered-by");
  if (app.deps.config.trustProxy !== undefined) expressApp.set("trust proxy", app.deps.config.trustProxy);
  expressApp.use((req, res, next) => {
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
    const readiness = await isReady(app);
    res.status(readiness.ready ? 200 : 503).json({ status: readiness.ready ? "ready" : "not ready", ...readiness });
  });
  expressApp.use(
    "/graphql",
    express.json({ limit: "1mb" }),
    expressMiddleware(apollo, {
      context: async ({ req, res }) => {
        const requestId = res.locals.requestId as string;
        const token = bearerToken(req.headers.authorization);
        const viewer = token ? await app.deps.tokens.verify(token, requestId) : null;
        return createContext(app, viewer, requestId, req.ip ?? req.socket.remoteAddress ?? "unknown");
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
    async close() {
      await apollo.stop();
    },
  };
}
