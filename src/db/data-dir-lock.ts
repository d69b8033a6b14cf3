import fs from "node:fs";
import path from "node:path";

/** The file in DATA_DIR that names the process using the embedded database. */
export const LOCK_FILE = "server.pid";

/** DATA_DIR is in use by another live process (a server, a backup or a restore). */
export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `${dataDir} is in use by process ${pid} (a running server, backup or restore). ` +
        `Stop it first; if no such process is running, remove ${path.join(dataDir, LOCK_FILE)}.`,
    );
    this.name = "DataDirInUseError";
  }
}

/** A held DATA_DIR; `release` removes the mark (once; later calls do nothing). */
export interface DataDirLock {
  readonly dataDir: string;
  release(): void;
}

/** The folders this process holds: a pid file naming this process but not held here is stale. */
const heldHere = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readHolder(file: string): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * The live process that holds `dataDir`, if any. A mark left by a process that is gone (a crash,
 * a SIGKILL) does not count, nor one naming this process (a restarted container reuses pids)
 * unless this process holds the folder.
 */
export function dataDirHolder(dataDir: string): number | undefined {
  const folder = path.resolve(dataDir);
  const pid = readHolder(path.join(folder, LOCK_FILE));
  if (pid === undefined) return undefined;
  if (pid === process.pid) return heldHere.has(folder) ? pid : undefined;
  return isAlive(pid) ? pid : undefined;
}

/**
 * Marks `dataDir` as used by this process (`DATA_DIR/server.pid`, created exclusively), so that
 * a second server or a backup sees it and stops. A stale mark is replaced.
 * Throws DataDirInUseError when a live process holds the folder.
 */
export function acquireDataDirLock(dataDir: string): DataDirLock {
  const folder = path.resolve(dataDir);
  const file = path.join(folder, LOCK_FILE);
  fs.mkdirSync(folder, { recursive: true });
  for (let attempt = 0; ; attempt += 1) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: "wx" });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = dataDirHolder(folder);
      if (holder !== undefined || attempt > 0) throw new DataDirInUseError(folder, holder ?? readHolder(file) ?? 0);
      fs.rmSync(file, { force: true });
    }
  }
  heldHere.add(folder);
  let released = false;
  return {
    dataDir: folder,
    release() {
      if (released) return;
      released = true;
      heldHere.delete(folder);
      if (readHolder(file) === process.pid) fs.rmSync(file, { force: true });
    },
  };
}
