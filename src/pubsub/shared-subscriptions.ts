import { randomBytes } from "node:crypto";
import { createSourceEventStream, execute, type DocumentNode, type ExecutionArgs, type ExecutionResult } from "graphql";
import type { AccessGround } from "../common/enums";
import { createContext, finishContext, type App, type Context } from "../context";
import { recordEventReads, takeUnmaskedReads } from "../modules/household";
import { deliveryOf } from "./event-feed";
import type { StoredEvent } from "./event-log";
import { viewKey } from "./view-key";

const documentIds = new WeakMap<DocumentNode, number>();
let documents = 0;

/** The operation of a subscription, as far as its results go: the document, the operation and the variables. */
function operationKey(args: ExecutionArgs): string {
  let id = documentIds.get(args.document);
  if (id === undefined) {
    id = ++documents;
    documentIds.set(args.document, id);
  }
  return `${id}|${args.operationName ?? ""}|${JSON.stringify(args.variableValues ?? {})}`;
}

/** The key of a shared payload's stand-in: random, so that no client can forge one. */
const MARKER = `zl_shared_${randomBytes(9).toString("hex")}`;
const PAYLOAD_PREFIX = `"payload":{"${MARKER}":`;
/** JSON of the shared results still alive, by their number; dropped when a result is collected. */
const serialized = new Map<number, string>();
const standIns = new WeakMap<object, Record<string, number>>();
const collected = new FinalizationRegistry<number>((number) => serialized.delete(number));
let sharedCount = 0;

/** Serialises a result handed to several subscribers once, for all of them (see sharedPayload). */
function share(result: ExecutionResult): void {
  if (result.errors) return;
  const number = ++sharedCount;
  standIns.set(result, { [MARKER]: number });
  serialized.set(number, JSON.stringify(result));
  collected.register(result, number);
}

/**
 * What graphql-ws should send as the payload of `result` (onNext's answer): for a result shared
 * by several subscribers, a small stand-in that `expandSharedPayload` replaces with the result's
 * JSON, serialised once; undefined for any other result (graphql-ws serialises it).
 */
export function sharedPayload(result: ExecutionResult): Record<string, number> | undefined {
  return standIns.get(result);
}

/** An outgoing graphql-ws message with a shared payload's stand-in (always its last field) replaced by the payload. */
export function expandSharedPayload(data: string): string {
  const at = data.indexOf(PAYLOAD_PREFIX, Math.max(0, data.length - PAYLOAD_PREFIX.length - 20));
  if (at < 0) return data;
  const json = serialized.get(Number(data.slice(at + PAYLOAD_PREFIX.length, -2)));
  return json === undefined ? data : `${data.slice(0, at)}"payload":${json}}`;
}

interface SharedResult {
  result: ExecutionResult;
  /** The households the execution read unmasked, with their grounds: recorded for each subscriber. */
  reads: ReadonlyMap<string, AccessGround>;
}

/**
 * Executes the subscription's selection for one event in a context of its own (fresh loaders,
 * primed by the event's delivery), as the first of its subscribers that see the same thing.
 */
async function executeOnce(app: App, args: ExecutionArgs, event: StoredEvent): Promise<SharedResult> {
  const first = args.contextValue as Context;
  const context = createContext(app, first.viewer, first.requestId, first.clientAddress);
  const result = await execute({ ...args, contextValue: context, rootValue: event });
  const reads = takeUnmaskedReads(context);
  await finishContext(context);
  share(result);
  return { result, reads };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof (value as AsyncIterable<unknown> | null)?.[Symbol.asyncIterator] === "function";
}

/**
 * graphql-ws's `subscribe`: graphql-js's, except that a live event (one the event feed delivers
 * to all its subscribers at once) is executed once per operation and view (`viewKey`) and the
 * result handed to every subscriber of that kind, each of whose unmasked reads is recorded under
 * its own account. Replayed events (`after`) are executed per subscriber, as graphql-js does.
 * The shared result lives in the event's delivery, so it is dropped with the event.
 */
export function sharedSubscribe(app: App): (args: ExecutionArgs) => Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  return async (args) => {
    const source = await createSourceEventStream(args);
    if (!isAsyncIterable(source)) return source as ExecutionResult;
    const viewer = (args.contextValue as Context).viewer;
    const key = viewer ? `${operationKey(args)}\n${viewKey(viewer, await app.deps.scopes.of(viewer))}` : null;
    const iterator = source[Symbol.asyncIterator]();

    const resultOf = async (event: StoredEvent): Promise<ExecutionResult> => {
      const delivery = key ? deliveryOf(event) : undefined;
      if (!delivery || !viewer || !key) return execute({ ...args, rootValue: event });
      let shared = delivery.shared.get(key) as Promise<SharedResult> | undefined;
      if (!shared) {
        shared = executeOnce(app, args, event);
        delivery.shared.set(key, shared);
      }
      const { result, reads } = await shared;
      recordEventReads(app, viewer.accountId, reads);
      return result;
    };

    const mapped: AsyncIterableIterator<ExecutionResult> = {
      async next() {
        const step = await iterator.next();
        if (step.done) return { done: true, value: undefined };
        return { done: false, value: await resultOf(step.value as StoredEvent) };
      },
      async return() {
        await iterator.return?.();
        return { done: true, value: undefined };
      },
      async throw(error: unknown) {
        await iterator.return?.();
        throw error;
      },
      [Symbol.asyncIterator]() {
        return mapped;
      },
    };
    return mapped;
  };
}
