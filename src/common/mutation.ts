import { createHash } from "node:crypto";
import type { Viewer } from "../auth";
import type { App } from "../context";
import { badInput, conflict } from "../errors";
import type { Prisma } from "../generated/prisma/client";
import { appendEvents, type PendingEvent } from "../pubsub";

export type Tx = Prisma.TransactionClient;

export interface MutationSpec<T> {
  /** The mutation's name, as in the schema (`createAlliance`). */
  operation: string;
  /** The arguments as received: written to the audit log, secrets removed. */
  input: unknown;
  /** What the idempotency key is bound to, when `input` is a masked copy (default: `input`). */
  keyInput?: unknown;
  /** A create mutation's idempotency key: a retry with the same key returns the first result. */
  idempotencyKey?: string | null;
  /** Loads the first result again for a retried key. */
  findExisting?: (tx: Tx, id: string) => Promise<T | null>;
}

/** Events the work raises: written to the event log in the same transaction, delivered after it commits. */
export type Emit = (event: PendingEvent) => void;

const SECRET_KEYS = /password|secret|token/i;

function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (value && typeof value === "object" && !(value instanceof Date)) {
    if (typeof (value as { toFixed?: unknown }).toFixed === "function") return String(value);
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => !SECRET_KEYS.test(key))
        .map(([key, inner]) => [key, withoutSecrets(inner)]),
    );
  }
  return value;
}

/** JSON with object keys sorted, so that equal inputs hash alike whatever their key order. */
function canonical(value: unknown): string {
  if (value === undefined || value === null) return "null";
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (typeof value === "object") {
    if (typeof (value as { toFixed?: unknown }).toFixed === "function") return JSON.stringify(String(value));
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([key, inner]) => key !== "idempotencyKey" && inner !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${canonical(inner)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** sha256 of an input, the idempotency key left out. */
function inputHash(input: unknown): string {
  return createHash("sha256").update(canonical(input)).digest("hex");
}

const TRANSACTION_OPTIONS = { maxWait: 15_000, timeout: 30_000 } as const;

/**
 * Runs a mutation's writes in one transaction with its audit-log row and, when a key is given,
 * its idempotency record; publishes the events it raised after commit. A retry with a key
 * already used by the same account for the same input returns the first result and writes
 * nothing new; the same key with another input is a CONFLICT. Keys expire after
 * IDEMPOTENCY_KEY_TTL, when they may name a new record.
 */
export async function runMutation<T extends { id: string | bigint }>(
  app: App,
  viewer: Viewer | null,
  spec: MutationSpec<T>,
  work: (tx: Tx, emit: Emit) => Promise<T>,
): Promise<T> {
  const key = spec.idempotencyKey ?? undefined;
  if (key !== undefined && (key.length < 1 || key.length > 128)) {
    throw badInput("idempotencyKey", "must be 1 to 128 characters");
  }
  const events: PendingEvent[] = [];
  const outcome = await app.prisma.$transaction(async (tx) => {
    if (key !== undefined && viewer) {
      const hash = inputHash(spec.keyInput ?? spec.input);
      const ttl = app.deps.config.idempotencyKeyTtlSeconds;
      const claimed = await tx.$executeRaw`
        INSERT INTO idempotency_key (account_id, operation, key, input_hash)
        VALUES (${viewer.accountId}::uuid, ${spec.operation}, ${key}, ${hash})
        ON CONFLICT (account_id, operation, key) DO UPDATE
          SET input_hash = EXCLUDED.input_hash, result_id = NULL, created_at = now()
        WHERE idempotency_key.created_at < now() - make_interval(secs => ${ttl})`;
      if (claimed === 0) {
        const first = await tx.idempotencyKey.findUnique({
          where: { accountId_operation_key: { accountId: viewer.accountId, operation: spec.operation, key } },
        });
        if (first?.inputHash && first.inputHash !== hash) {
          throw conflict("idempotencyKey: this key was used for a different input; use a new key for a new request", {
            field: "idempotencyKey",
          });
        }
        const existing = first?.resultId && spec.findExisting ? await spec.findExisting(tx, first.resultId) : null;
        if (existing) return { result: existing, replayed: true };
      }
    }
    const result = await work(tx, (event) => events.push(event));
    const resultId = String(result.id);
    if (key !== undefined && viewer) {
      await tx.idempotencyKey.update({
        where: { accountId_operation_key: { accountId: viewer.accountId, operation: spec.operation, key } },
        data: { resultId },
      });
    }
    await tx.auditLog.create({
      data: {
        accountId: viewer?.accountId ?? null,
        operation: spec.operation,
        input: withoutSecrets(spec.input ?? {}) as Prisma.InputJsonValue,
        resultId,
        requestId: viewer?.requestId ?? null,
      },
    });
    // Last: the event log's lock is held from here to the commit.
    await appendEvents(tx, events);
    return { result, replayed: false };
  }, TRANSACTION_OPTIONS);
  if (!outcome.replayed && events.length) app.deps.pubsub.committed();
  return outcome.result;
}
