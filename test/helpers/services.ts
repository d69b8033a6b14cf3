import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function which(command: string): string | null {
  const found = spawnSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" });
  return found.status === 0 ? found.stdout.trim() : null;
}

/** What the fault suite needs on this machine; the reason it must skip otherwise. */
export function missingServiceTools(): string | null {
  for (const tool of ["initdb", "pg_ctl", "redis-server", "runuser"]) {
    if (!which(tool)) return `${tool} is not installed`;
  }
  if (process.getuid?.() !== 0) return "initdb and pg_ctl run as the postgres user: the suite needs root to switch to it";
  return null;
}

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} within ${timeoutMs} ms`);
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** A PostgreSQL cluster of the test's own (initdb as the postgres user), on a free port. */
export class PostgresCluster {
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  static async create(): Promise<PostgresCluster> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zhulian-pg-"));
    fs.chmodSync(dir, 0o777);
    const data = path.join(dir, "data");
    execFileSync("runuser", ["-u", "postgres", "--", "initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync"], { stdio: "pipe" });
    const cluster = new PostgresCluster(dir, await freePort());
    await cluster.start();
    return cluster;
  }

  get url(): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/postgres`;
  }

  async start(): Promise<void> {
    execFileSync(
      "runuser",
      ["-u", "postgres", "--", "pg_ctl", "-D", path.join(this.dir, "data"), "-l", path.join(this.dir, "log"), "-w", "-o", `-p ${this.port} -k ${this.dir} -c fsync=off -c listen_addresses=127.0.0.1`, "start"],
      { stdio: "pipe" },
    );
    await waitFor(() => answers(this.port), 20_000, "PostgreSQL did not start");
  }

  /** Fast shutdown: open connections are cut, as when a database host goes down. */
  stop(): void {
    execFileSync("runuser", ["-u", "postgres", "--", "pg_ctl", "-D", path.join(this.dir, "data"), "-m", "fast", "-w", "stop"], { stdio: "pipe" });
  }

  destroy(): void {
    try {
      this.stop();
    } catch {
      // already stopped
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A redis-server of the test's own, on a free port; it can be stopped and started again on that port. */
export class RedisServer {
  private process: ChildProcess | null = null;

  private constructor(readonly port: number) {}

  static async create(): Promise<RedisServer> {
    const server = new RedisServer(await freePort());
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.process = spawn("redis-server", ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
    await waitFor(() => answers(this.port), 10_000, "redis-server did not start");
  }

  async stop(): Promise<void> {
    const child = this.process;
    this.process = null;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGKILL");
    });
  }
}

/**
 * A TCP proxy in front of a server. `silence()` cuts the open connections and then accepts new
 * ones without ever answering (a database host that stopped responding); `restore()` forwards again.
 */
export class SilenceableProxy {
  private silent = false;
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async create(targetPort: number): Promise<SilenceableProxy> {
    const port = await freePort();
    let proxy: SilenceableProxy | undefined;
    const server = net.createServer((client) => {
      proxy?.sockets.add(client);
      client.on("close", () => proxy?.sockets.delete(client));
      client.on("error", () => undefined);
      if (proxy?.silent) return;
      const upstream = net.connect(targetPort, "127.0.0.1");
      proxy?.sockets.add(upstream);
      upstream.on("close", () => {
        proxy?.sockets.delete(upstream);
        client.destroy();
      });
      upstream.on("error", () => client.destroy());
      client.on("close", () => upstream.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    proxy = new SilenceableProxy(server, port);
    return proxy;
  }

  silence(): void {
    this.silent = true;
    for (const socket of this.sockets) socket.destroy();
  }

  restore(): void {
    for (const socket of this.sockets) socket.destroy();
    this.silent = false;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
