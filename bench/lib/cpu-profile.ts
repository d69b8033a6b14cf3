/**
 * CPU profiles of a child process started with `--inspect=127.0.0.1:<port>`: connect to its
 * inspector only for the recording (the measured runs go without a debugger attached), record
 * with the V8 sampling profiler while some load runs, and summarise the result: the functions
 * with the most self time, and self time by package (node_modules/<pkg>, node: internals, V8's
 * own buckets, our src/), as shares of the non-idle time.
 *
 * The .cpuprofile written beside the results opens in Chrome DevTools (Performance → Load
 * profile) or https://www.speedscope.app.
 */
import fs from "node:fs";
import { SourceMap } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";

interface CallFrame {
  functionName: string;
  scriptId: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}

/** What V8's Profiler.stop returns (the .cpuprofile format). */
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileShare {
  /** "function (file:line)" for a function, the package or bucket for a group. */
  name: string;
  selfMs: number;
  /** Share of the non-idle time (sampled time less "(idle)"), in percent. */
  percent: number;
}

export interface ProfileSummary {
  sampledMs: number;
  idleMs: number;
  nonIdleMs: number;
  /** The functions with the most self time. */
  top: ProfileShare[];
  /** Self time by package or bucket, largest first. */
  groups: ProfileShare[];
}

/** One DevTools-protocol session over the inspector's WebSocket. */
class InspectorSession {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

  private constructor(private readonly socket: WebSocket) {
    socket.on("message", (data) => {
      const message = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } };
      if (message.id === undefined) return;
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.error) waiter.reject(new Error(message.error.message));
      else waiter.resolve(message.result);
    });
    socket.on("close", () => {
      for (const waiter of this.pending.values()) waiter.reject(new Error("the inspector closed the connection"));
      this.pending.clear();
    });
  }

  static async connect(port: number): Promise<InspectorSession> {
    const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { webSocketDebuggerUrl?: string }[];
    const url = targets.find((t) => t.webSocketDebuggerUrl)?.webSocketDebuggerUrl;
    if (!url) throw new Error(`no inspector target on port ${port}`);
    const socket = new WebSocket(url, { perMessageDeflate: false, maxPayload: 1024 * 1024 * 1024 });
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    return new InspectorSession(socket);
  }

  send<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      this.socket.once("close", () => resolve());
      this.socket.close();
    });
  }
}

/**
 * Attaches to the inspector on `port`, samples the CPU every `intervalUs` while `during` runs,
 * and detaches. Resolves with the profile and whatever `during` resolved with.
 */
export async function recordCpuProfile<T>(port: number, during: () => Promise<T>, intervalUs = 1000): Promise<{ profile: CpuProfile; result: T }> {
  const session = await InspectorSession.connect(port);
  try {
    await session.send("Profiler.enable");
    await session.send("Profiler.setSamplingInterval", { interval: intervalUs });
    await session.send("Profiler.start");
    let outcome: { ok: true; value: T } | { ok: false; error: unknown };
    try {
      outcome = { ok: true, value: await during() };
    } catch (error) {
      outcome = { ok: false, error };
    }
    const { profile } = await session.send<{ profile: CpuProfile }>("Profiler.stop");
    await session.send("Profiler.disable");
    if (!outcome.ok) throw outcome.error;
    return { profile, result: outcome.value };
  } finally {
    await session.close();
  }
}

const V8_BUCKETS = new Set(["(garbage collector)", "(program)", "(idle)", "(root)"]);

/** Maps generated positions in our compiled files back to src/*.ts through their .js.map files. */
class SourceMaps {
  private readonly maps = new Map<string, SourceMap | null>();

  constructor(private readonly root: string) {}

  /** file:line (1-based) of a frame, relative to the project, in the original source when known. */
  locate(file: string, line: number, column: number): string {
    const map = this.load(file);
    if (map) {
      const entry = map.findEntry(line, column) as { originalSource?: string; originalLine?: number };
      if (entry && entry.originalSource && entry.originalLine !== undefined) {
        const source = entry.originalSource.startsWith("file:")
          ? fileURLToPath(entry.originalSource)
          : path.resolve(path.dirname(file), entry.originalSource);
        return `${path.relative(this.root, source)}:${entry.originalLine + 1}`;
      }
    }
    return `${this.shorten(file)}:${line + 1}`;
  }

  private shorten(file: string): string {
    const at = file.lastIndexOf("/node_modules/");
    if (at !== -1) return file.slice(at + 1);
    return file.startsWith(this.root) ? path.relative(this.root, file) : file;
  }

  private load(file: string): SourceMap | null {
    if (!file.startsWith(path.join(this.root, "dist") + path.sep)) return null;
    if (!this.maps.has(file)) {
      let map: SourceMap | null = null;
      try {
        map = new SourceMap(JSON.parse(fs.readFileSync(`${file}.map`, "utf8")));
      } catch {
        map = null;
      }
      this.maps.set(file, map);
    }
    return this.maps.get(file) ?? null;
  }
}

function scriptPath(url: string): string {
  if (url.startsWith("file://")) {
    try {
      return fileURLToPath(url);
    } catch {
      return url;
    }
  }
  return url;
}

/** The package or bucket a frame's self time belongs to. */
function groupOf(frame: CallFrame, root: string): string {
  if (!frame.url) return V8_BUCKETS.has(frame.functionName) ? frame.functionName : "(V8 builtins, native)";
  if (frame.url.startsWith("node:")) return "node: internals";
  if (frame.url.startsWith("wasm://")) return "wasm";
  const file = scriptPath(frame.url);
  const at = file.lastIndexOf("/node_modules/");
  if (at !== -1) {
    const parts = file.slice(at + "/node_modules/".length).split("/");
    return `node_modules/${parts[0].startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]}`;
  }
  const relative = path.relative(root, file);
  if (relative.startsWith(`dist${path.sep}src${path.sep}generated${path.sep}`)) return "src/generated (Prisma client)";
  if (relative.startsWith(`dist${path.sep}src${path.sep}`)) return "src/ (ours)";
  if (relative.startsWith(`dist${path.sep}`)) return `${relative.split(path.sep).slice(1, 2).join("")}/ (ours)`;
  return "(other scripts)";
}

/** Self time per function and per package, as shares of the non-idle time. */
export function summarizeProfile(profile: CpuProfile, root: string, top = 10): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  if (samples.length > 0) {
    // Each sample stands for the time until the next one (the last: until the profile's end).
    let at = profile.startTime;
    const stamps = deltas.map((delta) => (at += delta));
    for (let i = 0; i < samples.length; i += 1) {
      const span = (i + 1 < stamps.length ? stamps[i + 1] : profile.endTime) - stamps[i];
      selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + Math.max(0, span));
    }
  } else {
    const total = profile.endTime - profile.startTime;
    const hits = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0) || 1;
    for (const node of profile.nodes) selfUs.set(node.id, ((node.hitCount ?? 0) * total) / hits);
  }

  // WebAssembly frames have no names worth showing: attribute each to the package of the nearest
  // JavaScript frame above it (PGlite's PostgreSQL, or Prisma's query compiler).
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const wasmOwner = new Map<number, string>();
  const ownerOf = (id: number): string => {
    const known = wasmOwner.get(id);
    if (known !== undefined) return known;
    let owner = "unknown caller";
    for (let up = parents.get(id); up !== undefined; up = parents.get(up)) {
      const frame = byId.get(up)?.callFrame;
      if (frame && frame.url && !frame.url.startsWith("wasm://")) {
        owner = groupOf(frame, root);
        break;
      }
    }
    wasmOwner.set(id, owner);
    return owner;
  };

  const maps = new SourceMaps(root);
  const functions = new Map<string, number>();
  const groups = new Map<string, number>();
  let sampled = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node || us === 0) continue;
    const frame = node.callFrame;
    sampled += us;
    if (frame.functionName === "(idle)" && !frame.url) idle += us;
    const wasm = frame.url.startsWith("wasm://");
    const group = wasm ? `wasm, called from ${ownerOf(id)}` : groupOf(frame, root);
    groups.set(group, (groups.get(group) ?? 0) + us);
    const name = !frame.url
      ? V8_BUCKETS.has(frame.functionName)
        ? frame.functionName
        : `${frame.functionName || "(anonymous)"} (native)`
      : wasm
        ? `${frame.functionName || "(anonymous)"} (${frame.url}, called from ${ownerOf(id)})`
        : `${frame.functionName || "(anonymous)"} (${frame.url.startsWith("file://") ? maps.locate(scriptPath(frame.url), frame.lineNumber, frame.columnNumber) : `${frame.url}:${frame.lineNumber + 1}`})`;
    functions.set(name, (functions.get(name) ?? 0) + us);
  }
  const nonIdle = sampled - idle || 1;
  const share = ([name, us]: [string, number]): ProfileShare => ({
    name,
    selfMs: Math.round(us / 100) / 10,
    percent: Math.round((us / nonIdle) * 1000) / 10,
  });
  return {
    sampledMs: Math.round(sampled / 1000),
    idleMs: Math.round(idle / 1000),
    nonIdleMs: Math.round((sampled - idle) / 1000),
    top: [...functions].filter(([name]) => name !== "(idle)").sort((a, b) => b[1] - a[1]).slice(0, top).map(share),
    groups: [...groups].filter(([name]) => name !== "(idle)").sort((a, b) => b[1] - a[1]).map(share),
  };
}
