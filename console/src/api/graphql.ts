import { createClient, type Client } from "graphql-ws";
import { ref } from "vue";
import { t } from "../i18n";
import { onSignOut, session, signOut } from "./session";

/** An error the API answered with: its `extensions.code` and a message a person can act on. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** The sentence a person sees for a failed request: the API error's own, or a generic one. */
export function messageOf(caught: unknown): string {
  return caught instanceof ApiError ? caught.message : t.errors.INTERNAL_SERVER_ERROR;
}

/** Codes whose message says what to change: shown after the code's sentence; others get the sentence alone. */
const SHOWN_CODES = new Set(["BAD_USER_INPUT", "CONFLICT", "FORBIDDEN", "NOT_FOUND", "GRANT_EXHAUSTED", "RATE_LIMITED", "QUERY_TOO_COMPLEX"]);

/** The words of an error code (zh-CN), INTERNAL_SERVER_ERROR's for a code without its own. */
function sentenceOf(code: string): string {
  return t.errors[code as keyof typeof t.errors] ?? t.errors.INTERNAL_SERVER_ERROR;
}

/** An API error as the console shows it: the code's Chinese sentence, then the API's own words where they help. */
function toApiError(error: { message: string; extensions?: { code?: string } }): ApiError {
  const code = error.extensions?.code ?? "INTERNAL_SERVER_ERROR";
  if (code === "UNAUTHENTICATED") return new ApiError(code, t.auth.expired);
  return new ApiError(code, SHOWN_CODES.has(code) ? t.errorDetail(sentenceOf(code), error.message) : sentenceOf(code));
}

/**
 * Runs a query or mutation over HTTP with the session's token. An UNAUTHENTICATED answer (the
 * token expired or was revoked) signs out and returns to the sign-in page with a message.
 */
export async function request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(session.token ? { authorization: `Bearer ${session.token}` } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new ApiError("NETWORK", t.errors.NETWORK);
  }
  let body: GraphQLResponse<T>;
  try {
    body = (await response.json()) as GraphQLResponse<T>;
  } catch {
    throw new ApiError("NETWORK", t.errors.NETWORK);
  }
  if (body.errors?.length) {
    const error = toApiError(body.errors[0]);
    if (error.code === "UNAUTHENTICATED" && session.token) signOut(t.auth.expired);
    throw error;
  }
  return body.data as T;
}

/** WebSocket close code of a refused token (expired, revoked, deactivated). */
const CLOSE_FORBIDDEN = 4403;

/** The live connection: "idle" (no page subscribes), "connecting", "live", or "reconnecting" after a drop. */
export const liveState = ref<"idle" | "connecting" | "live" | "reconnecting">("idle");

/** WebSocket close code of a normal close: the lazy client closes once no page subscribes. */
const CLOSE_NORMAL = 1000;

let client: Client | null = null;

function liveClient(): Client {
  if (client) return client;
  const url = `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/graphql`;
  client = createClient({
    url,
    lazy: true,
    connectionParams: () => ({ authorization: `Bearer ${session.token ?? ""}` }),
    retryAttempts: Infinity,
    shouldRetry: (event) => !(event && typeof event === "object" && "code" in event && (event as CloseEvent).code === CLOSE_FORBIDDEN),
    retryWait: async (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(1000 * 2 ** retries, 10_000) * (0.5 + Math.random() / 2))),
    on: {
      connecting: () => {
        if (liveState.value !== "reconnecting") liveState.value = "connecting";
      },
      connected: () => {
        liveState.value = "live";
      },
      closed: (event) => {
        if (event && typeof event === "object" && "code" in event && (event as CloseEvent).code === CLOSE_FORBIDDEN) {
          signOut(t.auth.expired);
          return;
        }
        const code = event && typeof event === "object" && "code" in event ? (event as CloseEvent).code : undefined;
        liveState.value = code === CLOSE_NORMAL ? "idle" : "reconnecting";
      },
    },
  });
  return client;
}

onSignOut(() => {
  client?.dispose();
  client = null;
  liveState.value = "idle";
});

export interface Subscription {
  unsubscribe(): void;
}

/**
 * Subscribes over graphql-ws. `variables` is read at every (re)subscription: graphql-ws sends the
 * same payload again after a dropped connection, and its `variables` getter then gives the page's
 * current values, such as the id of the last event it saw as `after`, so it catches up with no gap.
 */
export function subscribe<T>(
  query: string,
  variables: () => Record<string, unknown>,
  handlers: { next(data: T): void; error?(error: ApiError): void },
): Subscription {
  const payload = {
    query,
    get variables() {
      return variables();
    },
  };
  const unsubscribe = liveClient().subscribe<T>(payload, {
    next: (result) => {
      if (result.errors?.length) {
        handlers.error?.(toApiError(result.errors[0] as { message: string; extensions?: { code?: string } }));
        return;
      }
      if (result.data) handlers.next(result.data as T);
    },
    error: (error) => {
      if (Array.isArray(error)) handlers.error?.(toApiError(error[0]));
    },
    complete: () => undefined,
  });
  return { unsubscribe };
}
