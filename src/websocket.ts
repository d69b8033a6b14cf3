import type { IncomingMessage } from "node:http";
import { CloseCode, handleProtocols, makeServer, type ConnectionInitMessage, type ServerOptions } from "graphql-ws";
import type { WebSocket, WebSocketServer } from "ws";
import type { Logger } from "./common/logger";

/** What graphql-ws's context carries of a socket: the socket and the client's address (not the whole upgrade request). */
export interface SocketExtra {
  readonly socket: WebSocket;
  readonly clientAddress: string;
}

export interface GraphqlWsOptions {
  logger: Logger;
  /** How often each socket is pinged; one without a pong by its next ping is terminated (graphql-ws's 12 s). */
  keepAliveMs?: number;
  /** Rewrites an outgoing message just before it is sent (a live event's payload serialised once for all). */
  outgoing?: (data: string) => string;
  /** The client's address from the upgrade request (default: the socket's, whatever X-Forwarded-For says). */
  clientAddress?: (request: IncomingMessage) => string;
}

/** Ticks per keep-alive period: each tick pings the sockets of one slot, so pings are spread over the period. */
const KEEP_ALIVE_SLOTS = 48;

/**
 * graphql-ws on a `ws` server: graphql-ws's own `useServer` (which invites copying it), with one
 * timer for the keep-alive pings of every socket (spread over the period in slots) instead of an
 * interval and a timeout per socket, the client's address kept instead of the upgrade request,
 * errors logged through the app's logger, and a hook on outgoing messages.
 */
export function useGraphqlWs<P extends ConnectionInitMessage["payload"], E extends Record<PropertyKey, unknown>>(
  options: ServerOptions<P, SocketExtra & Partial<E>>,
  wsServer: WebSocketServer,
  { logger, keepAliveMs = 12_000, outgoing = (data) => data, clientAddress = (request) => request.socket.remoteAddress ?? "unknown" }: GraphqlWsOptions,
): { dispose(): Promise<void> } {
  const server = makeServer(options);
  wsServer.options.handleProtocols = handleProtocols;

  const slots = Array.from({ length: KEEP_ALIVE_SLOTS }, () => new Set<WebSocket>());
  const awaitingPong = new WeakSet<WebSocket>();
  let nextSlot = 0;
  let tick = 0;
  const heartbeat = setInterval(() => {
    for (const socket of slots[tick++ % KEEP_ALIVE_SLOTS]) {
      if (socket.readyState !== socket.OPEN) continue;
      if (awaitingPong.has(socket)) {
        socket.terminate();
        continue;
      }
      awaitingPong.add(socket);
      socket.ping();
    }
  }, keepAliveMs / KEEP_ALIVE_SLOTS);
  heartbeat.unref();

  wsServer.once("error", (error) => {
    logger.error({ err: error }, "the WebSocket server failed; closing every socket");
    for (const client of wsServer.clients) client.close(CloseCode.InternalServerError, "Internal server error");
  });

  wsServer.on("connection", (socket: WebSocket, request: IncomingMessage) => {
    socket.once("error", (error) => {
      logger.error({ err: error }, "a WebSocket failed");
      socket.close(CloseCode.InternalServerError, "Internal server error");
    });
    const slot = slots[nextSlot++ % KEEP_ALIVE_SLOTS];
    slot.add(socket);
    socket.on("pong", () => awaitingPong.delete(socket));

    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            socket.send(outgoing(data), (error) => (error ? reject(error) : resolve()));
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on("message", async (message) => {
            try {
              await handle(String(message));
            } catch (error) {
              logger.error({ err: error }, "a WebSocket message could not be handled");
              socket.close(CloseCode.InternalServerError, "Internal server error");
            }
          }),
      },
      { socket, clientAddress: clientAddress(request) } as SocketExtra & Partial<E>,
    );
    socket.once("close", (code, reason) => {
      slot.delete(socket);
      void closed(code, String(reason));
    });
  });

  return {
    async dispose() {
      clearInterval(heartbeat);
      for (const client of wsServer.clients) client.close(1001, "Going away");
      wsServer.removeAllListeners();
      await new Promise<void>((resolve, reject) => wsServer.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
