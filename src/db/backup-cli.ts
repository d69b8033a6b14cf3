/**
 * `npm run backup -- <file>` and `npm run restore -- <file> [--force]`, in both modes.
 *
 * Embedded (no DATABASE_URL): the backup is PGlite's dump of DATA_DIR/pglite (a tar, gzipped
 * when <file> ends in .gz or .tgz), taken while no server holds DATA_DIR; the restore loads one
 * into DATA_DIR/pglite. Server (DATABASE_URL): pg_dump / pg_restore in custom format, with
 * client tools of the server's major version or newer. A restore refuses a database that already
 * has data unless --force is given, and prints what it restored so a person can check it.
 * Exit codes: 0 done, 1 failed or refused, 2 usage or configuration.
 */
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { ConfigError, loadConfig, type Config } from "../config";
import { acquireDataDirLock, DataDirInUseError, type DataDirLock } from "./data-dir-lock";
import { openDatabase, type Database } from "./database";
import { pendingMigrations } from "./migrate";

const USAGE = `Usage:
  npm run backup -- <file>            write a backup of the configured database to <file>
  npm run restore -- <file> [--force] load <file> into the configured database
The database is DATABASE_URL's (pg_dump custom format), or without it the embedded one in
DATA_DIR/pglite (a tar; gzipped when <file> ends in .gz or .tgz). --force lets a restore replace
a database that already has data (embedded: the old folder is kept beside it).`;

/** The docker-compose.yml deployment: its PostgreSQL service, user and database. */
const COMPOSE_BACKUP = "docker-compose exec -T postgres pg_dump -U zhulian -Fc zhulian > backup.dump";
const COMPOSE_RESTORE = "docker-compose exec -T postgres pg_restore -U zhulian -d zhulian --clean --if-exists --no-owner < backup.dump";

/** Bad arguments: exit code 2. */
class UsageError extends Error {}

/** A refusal or failure explained to the person running the command: exit code 1. */
class BackupError extends Error {}

interface Command {
  readonly action: "backup" | "restore";
  readonly file: string;
  readonly force: boolean;
}

function parseArguments(args: string[]): Command | "help" {
  if (args.includes("--help") || args.includes("-h")) return "help";
  const [action, ...rest] = args;
  if (action !== "backup" && action !== "restore") throw new UsageError(`Unknown command ${action ?? "(none)"}: backup or restore`);
  const unknown = rest.filter((arg) => arg.startsWith("-") && !(action === "restore" && arg === "--force"));
  if (unknown.length) throw new UsageError(`Unknown option ${unknown[0]}`);
  const files = rest.filter((arg) => !arg.startsWith("-"));
  if (files.length !== 1) throw new UsageError(`npm run ${action} needs one file name: npm run ${action} -- <file>`);
  return { action, file: path.resolve(files[0]), force: rest.includes("--force") };
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function fileSize(file: string): string {
  const bytes = fs.statSync(file).size;
  return bytes < 1024 * 1024 ? `${Math.ceil(bytes / 1024)} kB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function counted(n: number, thing: string): string {
  return `${n} ${thing}${n === 1 ? "" : "s"}`;
}

function timestamp(): string {
  return new Date().toISOString().replace(/[:.]/g, "-");
}

/** What a database holds, in one line: enough for a person to recognise it. */
async function summarize(db: Database): Promise<string> {
  const pending = await db.withConnection((sql) => pendingMigrations(sql));
  const applied = await db.withConnection((sql) =>
    sql.query<{ count: number; latest: string | null }>(
      `SELECT count(*)::int AS count, max(migration_name) AS latest FROM "_prisma_migrations"
        WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
    ),
  ).catch(() => [{ count: 0, latest: null }]);
  const migrations =
    `${counted(applied[0].count, "migration")} applied` +
    (applied[0].latest ? ` (latest ${applied[0].latest})` : "") +
    (pending.length ? `, ${pending.length} pending (a server applies them when it starts)` : ", none pending");
  if (applied[0].count === 0) return `no 助联 data; ${migrations}`;
  const [alliances, households, accounts] = await Promise.all([
    db.prisma.alliance.count(),
    db.prisma.household.count(),
    db.prisma.account.count(),
  ]);
  return `${counted(alliances, "alliance")}, ${counted(households, "household")}, ${counted(accounts, "account")}; ${migrations}`;
}

async function summaryOf(options: { databaseUrl?: string; dataDir?: string }): Promise<string> {
  const db = await openDatabase({ ...options, poolSize: 1 });
  try {
    return await summarize(db);
  } finally {
    await db.close();
  }
}

const isGzip = (bytes: Buffer) => bytes[0] === 0x1f && bytes[1] === 0x8b;
const isPgDumpArchive = (bytes: Buffer) => bytes.subarray(0, 5).toString("latin1") === "PGDMP";
const isTar = (bytes: Buffer) => bytes.subarray(257, 262).toString("latin1") === "ustar";

/** The whole file, or with `head` its first 512 bytes (enough to tell the kind of archive). */
function readArchive(file: string, head = false): Buffer {
  try {
    if (!head) return fs.readFileSync(file);
    const bytes = Buffer.alloc(512);
    const descriptor = fs.openSync(file, "r");
    try {
      return bytes.subarray(0, fs.readSync(descriptor, bytes, 0, bytes.length, 0));
    } finally {
      fs.closeSync(descriptor);
    }
  } catch (error) {
    throw new BackupError(`Cannot read ${file}: ${(error as Error).message}`);
  }
}

/** Writes through `<file>.partial`, so a failed backup never leaves a truncated <file>. */
async function writeAtomically(file: string, write: (partial: string) => Promise<void>): Promise<void> {
  const partial = `${file}.partial`;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  try {
    await write(partial);
    fs.renameSync(partial, file);
  } catch (error) {
    fs.rmSync(partial, { force: true });
    throw error;
  }
}

function holdDataDir(dataDir: string, action: string): DataDirLock {
  try {
    return acquireDataDirLock(dataDir);
  } catch (error) {
    if (error instanceof DataDirInUseError) {
      throw new BackupError(
        `Not taking the ${action}: ${error.message}\n` +
          `The embedded database can be copied only while no server has it open: stop the server (Ctrl-C or SIGTERM), then run this again.`,
      );
    }
    throw error;
  }
}

const holdsDatabase = (folder: string) => fs.existsSync(folder) && fs.readdirSync(folder).length > 0;

async function backupEmbedded(config: Config, file: string): Promise<void> {
  const folder = path.join(config.dataDir, "pglite");
  if (!fs.existsSync(path.join(folder, "PG_VERSION"))) {
    throw new BackupError(`There is no embedded database in ${folder}: check DATA_DIR (or set DATABASE_URL for server mode).`);
  }
  const lock = holdDataDir(config.dataDir, "backup");
  try {
    const db = await openDatabase({ dataDir: folder });
    let summary: string;
    try {
      summary = await summarize(db);
      const dump = await db.dump!();
      const bytes = Buffer.from(await dump.arrayBuffer());
      await writeAtomically(file, async (partial) => {
        if (/\.(gz|tgz)$/.test(file)) await pipeline([bytes], createGzip(), fs.createWriteStream(partial));
        else fs.writeFileSync(partial, bytes);
      });
    } finally {
      await db.close();
    }
    say(`Backed up the embedded database in ${folder} to ${file} (${fileSize(file)}).`);
    say(`It holds: ${summary}.`);
  } finally {
    lock.release();
  }
}

async function restoreEmbedded(config: Config, file: string, force: boolean): Promise<void> {
  const archive = readArchive(file);
  if (isPgDumpArchive(archive)) {
    throw new BackupError(`${file} is a pg_dump archive (a server-mode backup): restore it with DATABASE_URL set to the target database.`);
  }
  if (!isGzip(archive) && !isTar(archive)) {
    throw new BackupError(`${file} is not an embedded-mode backup (a tar made by npm run backup).`);
  }
  const folder = path.join(config.dataDir, "pglite");
  const lock = holdDataDir(config.dataDir, "restore");
  try {
    const existing = holdsDatabase(folder);
    if (existing && !force) {
      throw new BackupError(
        `Not restoring: ${folder} already holds a database, which this would replace.\n` +
          `Restore into a new folder (set DATA_DIR to it), or add --force: the database there is then moved aside to ${folder}.before-restore-<time>, not deleted.`,
      );
    }
    const stamp = timestamp();
    const incoming = path.join(config.dataDir, `pglite.restoring-${stamp}`);
    let summary: string;
    try {
      const pglite = await PGlite.create({
        dataDir: incoming,
        loadDataDir: new Blob([archive], { type: isGzip(archive) ? "application/gzip" : "application/x-tar" }),
      });
      await pglite.close();
      if (!fs.existsSync(path.join(incoming, "PG_VERSION"))) throw new Error("it holds no PostgreSQL data folder");
      summary = await summaryOf({ dataDir: incoming });
    } catch (error) {
      fs.rmSync(incoming, { recursive: true, force: true });
      throw new BackupError(`Could not load ${file} (${(error as Error).message}); ${folder} is unchanged.`);
    }
    const aside = `${folder}.before-restore-${stamp}`;
    if (existing) fs.renameSync(folder, aside);
    else fs.rmSync(folder, { recursive: true, force: true });
    fs.renameSync(incoming, folder);
    say(`Restored ${file} into ${folder}.`);
    if (existing) say(`The database that was there is now in ${aside}.`);
    say(`It holds: ${summary}.`);
  } finally {
    lock.release();
  }
}

/** A PostgreSQL version in server_version_num terms, cut to the major version (15 → 150000, 9.6 → 90600). */
function majorVersionNumber(versionNum: number): number {
  return versionNum >= 100_000 ? Math.floor(versionNum / 10_000) * 10_000 : Math.floor(versionNum / 100) * 100;
}

function majorVersionName(majorNum: number): string {
  return majorNum >= 100_000 ? String(majorNum / 10_000) : `${Math.floor(majorNum / 10_000)}.${(majorNum / 100) % 100}`;
}

/** The URL with its password hidden, for messages. */
function redacted(url: URL): string {
  const copy = new URL(url.toString());
  if (copy.password) copy.password = "***";
  return copy.toString();
}

interface Connection {
  /** The URL for libpq, without the password (which goes in PGPASSWORD, out of `ps`). */
  readonly url: string;
  readonly env: NodeJS.ProcessEnv;
  readonly shown: string;
}

function connectionOf(databaseUrl: string): Connection {
  const url = new URL(databaseUrl);
  const password = url.password ? decodeURIComponent(url.password) : undefined;
  const bare = new URL(url.toString());
  bare.password = "";
  return {
    url: bare.toString(),
    env: password === undefined ? process.env : { ...process.env, PGPASSWORD: password },
    shown: redacted(url),
  };
}

async function serverVersion(databaseUrl: string, shown: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    const rows = (await client.query<{ server_version_num: string }>("SHOW server_version_num")).rows;
    return Number(rows[0].server_version_num);
  } catch (error) {
    throw new BackupError(`Cannot reach the database ${shown}: ${(error as Error).message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function installAdvice(serverMajor: string, tool: "pg_dump" | "pg_restore"): string {
  return (
    `Install the PostgreSQL client tools, version ${serverMajor} or newer, and put them first on PATH:\n` +
    `  Debian/Ubuntu: add the PostgreSQL apt repository (https://www.postgresql.org/download/linux/), then apt-get install postgresql-client-${serverMajor}\n` +
    `  macOS: brew install libpq (then brew link --force libpq, or add its bin folder to PATH)\n` +
    `  elsewhere: https://www.postgresql.org/download/\n` +
    `or run ${tool} inside the database's container; with docker-compose.yml (PostgreSQL 16):\n` +
    `  ${tool === "pg_dump" ? COMPOSE_BACKUP : COMPOSE_RESTORE}`
  );
}

/** Checks that `tool` is on PATH and not older than the server's major version. */
function checkClientTool(tool: "pg_dump" | "pg_restore", serverVersionNum: number, shown: string): void {
  const serverMajor = majorVersionNumber(serverVersionNum);
  const serverName = majorVersionName(serverMajor);
  const result = spawnSync(tool, ["--version"], { encoding: "utf8" });
  if (result.error) {
    const missing = (result.error as NodeJS.ErrnoException).code === "ENOENT";
    throw new BackupError(
      (missing ? `${tool} was not found on PATH.` : `${tool} --version failed: ${result.error.message}.`) +
        ` Server mode backs up and restores with PostgreSQL's own client tools; the server is PostgreSQL ${serverName}.\n` +
        installAdvice(serverName, tool),
    );
  }
  const match = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(result.stdout);
  if (!match) throw new BackupError(`Cannot tell the version of ${tool} from "${result.stdout.trim()}".\n${installAdvice(serverName, tool)}`);
  const major = Number(match[1]);
  const toolMajor = major >= 10 ? major * 10_000 : major * 10_000 + Number(match[2] ?? 0) * 100;
  if (toolMajor < serverMajor) {
    throw new BackupError(
      `${tool} here is PostgreSQL ${majorVersionName(toolMajor)}, older than the server of ${shown} (PostgreSQL ${serverName}): ` +
        `${tool} must be of the server's major version or newer.\n` +
        installAdvice(serverName, tool),
    );
  }
}

function run(tool: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { env, stdio: ["ignore", "inherit", "inherit"] });
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function backupServer(databaseUrl: string, file: string): Promise<void> {
  const connection = connectionOf(databaseUrl);
  checkClientTool("pg_dump", await serverVersion(databaseUrl, connection.shown), connection.shown);
  const summary = await summaryOf({ databaseUrl });
  await writeAtomically(file, async (partial) => {
    const code = await run("pg_dump", ["--format=custom", "--file", partial, "--dbname", connection.url], connection.env);
    if (code !== 0) throw new BackupError(`pg_dump failed (exit code ${code}); its message is above. Nothing was written to ${file}.`);
  });
  say(`Backed up ${connection.shown} to ${file} (${fileSize(file)}).`);
  say(`It holds: ${summary}.`);
}

async function restoreServer(databaseUrl: string, file: string, force: boolean): Promise<void> {
  const archive = readArchive(file, true);
  if (!isPgDumpArchive(archive)) {
    throw new BackupError(
      isGzip(archive) || isTar(archive)
        ? `${file} is an embedded-mode backup (a PGlite data folder): restore it without DATABASE_URL, into DATA_DIR.`
        : `${file} is not a pg_dump custom-format archive (made by npm run backup, or pg_dump -Fc).`,
    );
  }
  const connection = connectionOf(databaseUrl);
  checkClientTool("pg_restore", await serverVersion(databaseUrl, connection.shown), connection.shown);
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  let tables: number;
  let others: number;
  try {
    tables = (
      await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
          WHERE c.relkind IN ('r', 'p') AND s.nspname NOT IN ('pg_catalog', 'information_schema') AND s.nspname NOT LIKE 'pg_toast%'`,
      )
    ).rows[0].n;
    others = (
      await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`,
      )
    ).rows[0].n;
  } finally {
    await client.end();
  }
  if (tables > 0 && !force) {
    throw new BackupError(
      `Not restoring: ${connection.shown} is not empty (${tables} tables). pg_restore --clean would drop and replace what the backup holds.\n` +
        `Restore into a new, empty database (createdb, then point DATABASE_URL at it), or add --force to replace this one's contents.`,
    );
  }
  if (others > 0) {
    throw new BackupError(
      `Not restoring: ${others} other connection(s) are open to ${connection.shown} (a running server?). Stop every server using it, then run this again.`,
    );
  }
  const code = await run(
    "pg_restore",
    ["--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error", "--dbname", connection.url, file],
    connection.env,
  );
  if (code !== 0) throw new BackupError(`pg_restore failed (exit code ${code}); its message is above. It ran in one transaction, so the database is unchanged.`);
  say(`Restored ${file} into ${connection.shown}.`);
  say(`It holds: ${await summaryOf({ databaseUrl })}.`);
}

async function main(): Promise<number> {
  let command: Command | "help";
  let config: Config;
  try {
    command = parseArguments(process.argv.slice(2));
    // Backups sign no token: a placeholder secret spares server mode's JWT_SECRET requirement.
    config = loadConfig({ JWT_SECRET: "backups-sign-no-tokens-000000000000000", ...process.env });
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n${error instanceof UsageError ? `${USAGE}\n` : ""}`);
      return 2;
    }
    throw error;
  }
  if (command === "help") {
    say(USAGE);
    return 0;
  }
  try {
    if (config.databaseUrl) {
      if (command.action === "backup") await backupServer(config.databaseUrl, command.file);
      else await restoreServer(config.databaseUrl, command.file, command.force);
    } else if (command.action === "backup") await backupEmbedded(config, command.file);
    else await restoreEmbedded(config, command.file, command.force);
    return 0;
  } catch (error) {
    if (error instanceof BackupError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${process.argv[2] === "restore" ? "Restore" : "Backup"} failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
