import { spawn, type ChildProcess } from "node:child_process";
import { GraphQLClient } from "./graphql";
import { ADMIN } from "./server";

/** The server running as a process of its own, as in production: it can be signalled and killed. */
export interface ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly wsUrl: string;
  readonly base: string;
  /** Everything the process wrote, stdout and stderr. */
  output(): string;
  /** Resolves with the exit code (or the signal's name) when the process ends. */
  readonly exited: Promise<number | string>;
  alive(): boolean;
  admin(): Promise<GraphQLClient>;
  /** SIGTERM, then SIGKILL after `ms` if it is still running. */
  stop(ms?: number): Promise<number | string>;
}

/** Starts `node <entry>` with the given environment and waits until it listens. */
export async function startServerProcess(entry: string, env: Record<string, string>, timeoutMs = 60_000): Promise<ServerProcess> {
  const child = spawn(process.execPath, [entry], {
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      PORT: "0",
      HOST: "127.0.0.1",
      JWT_SECRET: "test-secret-test-secret-test-secret-0123",
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
      SEED: "none",
      LOG_LEVEL: "warn",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let text = "";
  child.stdout?.on("data", (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown")));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start within ${timeoutMs} ms:\n${text}`)), timeoutMs);
    const look = () => {
      const match = /ready at (http:\/\/\S+)/.exec(text);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on("data", look);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code}) before it listened:\n${text}`));
    });
  });
  const base = url.replace(/\/graphql$/, "");
  const wsUrl = url.replace(/^http/, "ws");
  return {
    child,
    url,
    wsUrl,
    base,
    output: () => text,
    exited,
    alive: () => child.exitCode === null && child.signalCode === null,
    async admin() {
      const anonymous = new GraphQLClient(url, wsUrl);
      const data = await anonymous.query<{ login: { token: string } }>(
        `mutation ($u: String!, $p: String!) { login(username: $u, password: $p) { token } }`,
        { u: ADMIN.username, p: ADMIN.password },
      );
      return new GraphQLClient(url, wsUrl, data.login.token);
    },
    async stop(ms = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), ms);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
