import { createClient, type Client } from "graphql-ws";
import WebSocket from "ws";

export interface GraphQLResponse<T = Record<string, any>> {
  data?: T | null;
  errors?: { message: string; path?: string[]; extensions?: { code?: string; [key: string]: unknown } }[];
}

/** Speaks GraphQL over HTTP to a running server, as one account (or none). */
export class GraphQLClient {
  constructor(
    readonly url: string,
    readonly wsUrl: string,
    readonly token?: string,
  ) {}

  /** Any response, errors included. */
  async raw<T = Record<string, any>>(query: string, variables: Record<string, unknown> = {}): Promise<GraphQLResponse<T>> {
    const response = await fetch(this.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as GraphQLResponse<T>;
  }

  /** The data of a response that must have no errors. */
  async query<T = Record<string, any>>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const response = await this.raw<T>(query, variables);
    if (response.errors?.length) {
      throw new Error(`Unexpected GraphQL errors: ${JSON.stringify(response.errors, null, 2)}`);
    }
    return response.data as T;
  }

  /** The first error of a response that must fail; its code must be `code`. */
  async expectError(code: string, query: string, variables: Record<string, unknown> = {}) {
    const response = await this.raw(query, variables);
    const error = response.errors?.[0];
    if (!error) throw new Error(`Expected ${code}, got data: ${JSON.stringify(response.data)}`);
    if (error.extensions?.code !== code) {
      throw new Error(`Expected ${code}, got ${error.extensions?.code}: ${error.message}`);
    }
    return { error, data: response.data };
  }

  /** A graphql-ws client with this account's token in connection_init. */
  ws(options: { lazy?: boolean } = {}): Client {
    return createClient({
      url: this.wsUrl,
      webSocketImpl: WebSocket,
      lazy: options.lazy ?? true,
      retryAttempts: 0,
      connectionParams: this.token ? { authorization: `Bearer ${this.token}` } : {},
    });
  }

  /** Subscribes over WebSocket and collects what arrives (see Subscription). */
  subscribe<T = Record<string, any>>(query: string, variables: Record<string, unknown> = {}): Subscription<T> {
    return new Subscription<T>(this.ws(), query, variables);
  }
}

/** A live subscription: received events queue up until a test takes them. */
export class Subscription<T> {
  private readonly received: GraphQLResponse<T>[] = [];
  private waiters: (() => void)[] = [];
  private readonly dispose: () => void;
  private readonly connected: Promise<void>;
  error?: unknown;
  completed = false;

  constructor(
    private readonly client: Client,
    query: string,
    variables: Record<string, unknown>,
  ) {
    this.connected = new Promise((resolve) => client.on("connected", () => resolve()));
    client.on("closed", (event) => {
      this.error ??= event;
      this.wake();
    });
    this.dispose = client.subscribe<T>(
      { query, variables },
      {
        next: (value) => {
          this.received.push(value as GraphQLResponse<T>);
          this.wake();
        },
        error: (error) => {
          this.error = error;
          this.wake();
        },
        complete: () => {
          this.completed = true;
          this.wake();
        },
      },
    );
  }

  private wake() {
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((w) => w());
  }

  /** Waits until the server has acknowledged the connection and taken the subscription. */
  async ready(timeout = 5000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.connected,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error("WebSocket did not connect")), timeout);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
    // The subscribe message follows the ack on the same socket; give the server a moment to start it.
    await new Promise((resolve) => setTimeout(resolve, 150));
  }

  /** The next event, or a failure after `timeout` ms. */
  async next(timeout = 2000): Promise<GraphQLResponse<T>> {
    const deadline = Date.now() + timeout;
    while (this.received.length === 0) {
      if (this.error) throw new Error(`Subscription failed: ${JSON.stringify(this.error)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`No event within ${timeout} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.received.shift() as GraphQLResponse<T>;
  }

  /** Events that arrived within `ms` ms (for asserting that nothing came). */
  async drain(ms = 500): Promise<GraphQLResponse<T>[]> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return this.received.splice(0);
  }

  async close(): Promise<void> {
    this.dispose();
    await this.client.dispose();
  }
}
