/**
 * The subscribers of bench/fanout.ts: a worker thread holding a share of the WebSockets. Each
 * speaks graphql-transport-ws directly (connection_init with the account's token, one subscribe),
 * and notes for every event it receives the request and kind, the time from the event's
 * `occurredAt` to its arrival here, and whether the household's head of household came masked.
 */
import { parentPort } from "node:worker_threads";
import WebSocket from "ws";

export interface SubscriberSpec {
  index: number;
  url: string;
  token: string;
  variables: Record<string, unknown>;
}

/** What one subscriber received: event keys (`requestId:kind`), latencies in ms, masked flags (1 masked, 0 not, -1 no household). */
export interface Received {
  index: number;
  keys: string[];
  latencies: number[];
  masked: number[];
  errors: string[];
  closed: string | null;
}

export type ToWorker =
  | { type: "open"; query: string; concurrency: number; subscribers: SubscriberSpec[] }
  | { type: "count" }
  | { type: "collect" }
  | { type: "close" };
export type FromWorker =
  | { type: "opened"; ok: number; failed: string[] }
  | { type: "counted"; received: number }
  | { type: "collected"; received: Received[] }
  | { type: "closed" };

interface EventMessage {
  kind: string;
  occurredAt: string;
  request: { id: string; household: { headName: string } | null };
}

function run(): void {
  const port = parentPort!;
  let sockets: WebSocket[] = [];
  let received: Received[] = [];
  let events = 0;

  /** Opens one subscriber's socket; resolves once its subscribe message is sent, or with what went wrong. */
  const open = (spec: SubscriberSpec, query: string): Promise<string | null> =>
    new Promise((resolve) => {
      const record: Received = { index: spec.index, keys: [], latencies: [], masked: [], errors: [], closed: null };
      received.push(record);
      const socket = new WebSocket(spec.url, "graphql-transport-ws", { perMessageDeflate: false });
      sockets.push(socket);
      let settled = false;
      const settle = (problem: string | null) => {
        if (!settled) resolve(problem);
        settled = true;
      };
      socket.on("open", () => socket.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${spec.token}` } })));
      socket.on("message", (data) => {
        const now = Date.now();
        const message = JSON.parse(data.toString()) as { type: string; payload?: { data?: { serviceRequestEvents?: EventMessage }; errors?: unknown } };
        if (message.type === "next") {
          const event = message.payload?.data?.serviceRequestEvents;
          if (message.payload?.errors || !event) {
            record.errors.push(JSON.stringify(message.payload?.errors ?? message.payload).slice(0, 300));
            return;
          }
          events += 1;
          record.keys.push(`${event.request.id}:${event.kind}`);
          record.latencies.push(now - Date.parse(event.occurredAt));
          const household = event.request.household;
          record.masked.push(household ? (household.headName.endsWith("**") ? 1 : 0) : -1);
        } else if (message.type === "connection_ack") {
          socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query, variables: spec.variables } }), (error) => settle(error ? error.message : null));
        } else if (message.type === "error") {
          record.errors.push(JSON.stringify(message.payload).slice(0, 300));
        }
      });
      socket.on("error", (error) => {
        record.errors.push(error.message);
        settle(error.message);
      });
      socket.on("close", (code, reason) => {
        record.closed = `${code} ${reason.toString()}`;
        settle(`closed ${record.closed}`);
      });
    });

  port.on("message", async (message: ToWorker) => {
    if (message.type === "open") {
      const failed: string[] = [];
      let ok = 0;
      let next = 0;
      const lane = async () => {
        while (next < message.subscribers.length) {
          const spec = message.subscribers[next++];
          const problem = await open(spec, message.query);
          if (problem) failed.push(`${spec.index}: ${problem}`);
          else ok += 1;
        }
      };
      await Promise.all(Array.from({ length: message.concurrency }, lane));
      port.postMessage({ type: "opened", ok, failed } satisfies FromWorker);
    } else if (message.type === "count") {
      port.postMessage({ type: "counted", received: events } satisfies FromWorker);
    } else if (message.type === "collect") {
      port.postMessage({ type: "collected", received } satisfies FromWorker);
    } else {
      await Promise.all(
        sockets.map(
          (socket) =>
            new Promise<void>((resolve) => {
              if (socket.readyState === WebSocket.CLOSED) return resolve();
              socket.once("close", () => resolve());
              socket.terminate();
            }),
        ),
      );
      sockets = [];
      received = [];
      events = 0;
      port.postMessage({ type: "closed" } satisfies FromWorker);
    }
  });
}

run();
