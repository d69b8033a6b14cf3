import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { createScratchDatabase, type ScratchDatabase } from "../src/db/scratch-database";
import { coordinatorOf, createAlliance, createOrganization, registerHousehold } from "./helpers/factories";
import { serverMode, startTestServer, stopAll } from "./helpers/server";

type Started = Awaited<ReturnType<typeof startTestServer>>;

const CLI = path.join(__dirname, "../src/db/backup-cli.ts");

/** Runs the TypeScript sources in a child node as `npm run backup` runs the build: no build needed. */
const TRANSPILE_HOOK = `
const fs = require("node:fs");
const ts = require(${JSON.stringify(require.resolve("typescript"))});
require.extensions[".ts"] = (module, filename) => {
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, "utf8"), {
    fileName: filename,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, experimentalDecorators: true, emitDecoratorMetadata: true },
  });
  module._compile(outputText, filename);
};
`;

let scratch: string;
let hook: string;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npm run backup|restore -- …` against DATABASE_URL or DATA_DIR as given (nothing else inherited). */
function cli(args: string[], target: { url?: string; dataDir: string }, env: Record<string, string> = {}): Promise<CliResult> {
  const childEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: target.dataDir, ...env };
  if (target.url) childEnv.DATABASE_URL = target.url;
  return new Promise((resolve) => {
    execFile(process.execPath, ["-r", hook, CLI, ...args], { env: childEnv, timeout: 120_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const DATA_QUERY = `query ($household: ID!) {
  allianceRoots { name children { totalCount nodes { name children { totalCount } } } }
  households { totalCount }
  accounts { totalCount }
  household(id: $household) { headName category alliance { name } }
}`;

/** Four alliances, an organization, a household and a coordinator, made through the API. */
async function buildDataset(server: Started) {
  const city = await createAlliance(server.admin, { name: "台州市", level: "CITY", regionCode: "331000" });
  const county = await createAlliance(server.admin, { name: "温岭市", level: "COUNTY", regionCode: "331081", parentId: city.id });
  const township = await createAlliance(server.admin, { name: "太平街道", level: "TOWNSHIP", regionCode: "331081001", parentId: county.id });
  const village = await createAlliance(server.admin, { name: "东门村", level: "VILLAGE", regionCode: "331081001001", parentId: township.id });
  await createOrganization(server.admin, { name: "备份社工服务中心", allianceIds: [county.id] });
  const household = await registerHousehold(server.admin, { allianceId: village.id, headName: "林备份", category: "DIBAO" });
  const coordinator = await coordinatorOf(server, county.id);
  const coordinatorName = (await coordinator.query<{ me: { username: string } }>(`{ me { username } }`)).me.username;
  const before = await server.admin.query(DATA_QUERY, { household: household.id });
  return { household, coordinatorName, before };
}

/** Checks through GraphQL that a server on the restored database has the dataset. */
async function expectDataset(server: Started, dataset: Awaited<ReturnType<typeof buildDataset>>) {
  const after = await server.admin.query(DATA_QUERY, { household: dataset.household.id });
  expect(after).toEqual(dataset.before);
  expect(after.households.totalCount).toBe(1);
  expect(after.household).toEqual({ headName: "林备份", category: "DIBAO", alliance: { name: "东门村" } });
  // The coordinator's password hash came along: it signs in on the restored database.
  const coordinator = await server.login(dataset.coordinatorName, "password-123");
  expect((await coordinator.query(`{ me { username role } }`)).me).toEqual({ username: dataset.coordinatorName, role: "COORDINATOR" });
}

beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), "zhulian-backup-"));
  hook = path.join(scratch, "transpile-hook.js");
  fs.writeFileSync(hook, TRANSPILE_HOOK);
});

afterAll(() => {
  fs.rmSync(scratch, { recursive: true, force: true });
});

test("usage errors exit 2", async () => {
  const target = { dataDir: path.join(scratch, "unused") };
  expect((await cli([], target)).code).toBe(2);
  expect((await cli(["backup"], target)).stderr).toMatch(/needs one file name/);
  expect((await cli(["backup", "a", "--force"], target)).code).toBe(2);
  const missing = await cli(["restore", path.join(scratch, "no-such-file")], target);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toMatch(/Cannot read/);
}, 60_000);

(serverMode ? describe.skip : describe)("embedded mode", () => {
  let first: Started | undefined;
  let restored: Started | undefined;
  afterAll(async () => {
    await first?.close();
    await first?.database.drop();
    if (restored) await stopAll(restored);
  });

  test("backs up a stopped server's folder and restores it into another, where a server finds the data", async () => {
    first = await startTestServer({ persistent: true });
    const dataset = await buildDataset(first);
    const source = { dataDir: first.database.dataDir };
    const file = path.join(scratch, "embedded.tar.gz");

    const refused = await cli(["backup", file], source);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`in use by process ${process.pid}`);
    expect(refused.stderr).toMatch(/stop the server/);
    expect(fs.existsSync(file)).toBe(false);

    await first.close();
    expect(fs.existsSync(path.join(source.dataDir, "server.pid"))).toBe(false);
    const backup = await cli(["backup", file], source);
    expect(backup.stderr).toBe("");
    expect(backup.code).toBe(0);
    expect(backup.stdout).toContain("4 alliances, 1 household, 2 accounts");
    expect(fs.readFileSync(file).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));

    const target = { dataDir: path.join(scratch, "restored") };
    const restore = await cli(["restore", file], target);
    expect(restore.stderr).toBe("");
    expect(restore.code).toBe(0);
    expect(restore.stdout).toMatch(/It holds: 4 alliances, 1 household, 2 accounts; \d+ migrations applied .*none pending/);

    const again = await cli(["restore", file], target);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already holds a database.*\n.*--force/);
    const forced = await cli(["restore", file, "--force"], target);
    expect(forced.code).toBe(0);
    const aside = fs.readdirSync(target.dataDir).filter((name) => name.startsWith("pglite.before-restore-"));
    expect(aside).toHaveLength(1);
    expect(fs.existsSync(path.join(target.dataDir, aside[0], "PG_VERSION"))).toBe(true);
    expect(forced.stdout).toContain(aside[0]);

    restored = await startTestServer({
      database: { dataDir: target.dataDir, drop: async () => fs.rmSync(target.dataDir, { recursive: true, force: true }) },
    });
    await expectDataset(restored, dataset);
    const whileRunning = await cli(["restore", file, "--force"], target);
    expect(whileRunning.code).toBe(1);
    expect(whileRunning.stderr).toContain(`in use by process ${process.pid}`);
  }, 300_000);
});

(serverMode ? describe : describe.skip)("server mode", () => {
  let first: Started | undefined;
  let restored: Started | undefined;
  let target: ScratchDatabase | undefined;
  afterAll(async () => {
    await first?.close();
    await first?.database.drop();
    if (restored) await stopAll(restored);
    else await target?.drop();
  });

  test("pg_dump of one database, pg_restore into another, where a server finds the data", async () => {
    first = await startTestServer();
    const dataset = await buildDataset(first);
    await first.close();
    const source = { url: first.database.url, dataDir: first.database.dataDir };
    const file = path.join(scratch, "server.dump");

    const backup = await cli(["backup", file], source);
    expect(backup.stderr).toBe("");
    expect(backup.code).toBe(0);
    expect(backup.stdout).toContain("4 alliances, 1 household, 2 accounts");
    expect(fs.readFileSync(file).subarray(0, 5).toString()).toBe("PGDMP");

    target = await createScratchDatabase(process.env.DATABASE_URL as string, "zl_test");
    const into = { url: target.url, dataDir: fs.mkdtempSync(path.join(scratch, "restored-")) };
    const restore = await cli(["restore", file], into);
    expect(restore.stderr).toBe("");
    expect(restore.code).toBe(0);
    expect(restore.stdout).toMatch(/It holds: 4 alliances, 1 household, 2 accounts; \d+ migrations applied .*none pending/);

    const again = await cli(["restore", file], into);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/is not empty.*\n.*--force/);
    const forced = await cli(["restore", file, "--force"], into);
    expect(forced.stderr).toBe("");
    expect(forced.code).toBe(0);

    const wrongKind = await cli(["restore", path.join(scratch, "transpile-hook.js")], into);
    expect(wrongKind.code).toBe(1);
    expect(wrongKind.stderr).toMatch(/not a pg_dump custom-format archive/);

    restored = await startTestServer({
      database: { url: target.url, dataDir: into.dataDir, drop: async () => target?.drop() },
    });
    await expectDataset(restored, dataset);
  }, 300_000);

  test("client tools older than the server, or missing, stop it with a message naming both versions; no password shown", async () => {
    const url = new URL(process.env.DATABASE_URL as string);
    if (!url.password) url.password = "not-to-be-shown";
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    const serverNum = Number((await client.query("SHOW server_version_num")).rows[0].server_version_num);
    await client.end();
    const bin = fs.mkdtempSync(path.join(scratch, "bin-"));
    fs.writeFileSync(path.join(bin, "pg_dump"), `#!/bin/sh\necho "pg_dump (PostgreSQL) 9.6"\n`, { mode: 0o755 });
    const file = path.join(scratch, "never.dump");
    const target = { url: url.toString(), dataDir: scratch };

    const old = await cli(["backup", file], target, { PATH: `${bin}:${process.env.PATH}` });
    expect(old.code).toBe(1);
    expect(old.stderr).toContain(`pg_dump here is PostgreSQL 9.6, older than the server of`);
    expect(old.stderr).toContain(`(PostgreSQL ${Math.floor(serverNum / 10_000)})`);
    expect(old.stderr).toContain("docker-compose exec -T postgres pg_dump -U zhulian -Fc zhulian > backup.dump");
    expect(old.stderr).not.toContain(decodeURIComponent(url.password));
    expect(fs.existsSync(file)).toBe(false);

    const missing = await cli(["backup", file], target, { PATH: path.join(scratch, "no-tools-here") });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/pg_dump was not found on PATH/);
    expect(missing.stderr).not.toContain(decodeURIComponent(url.password));
  }, 60_000);
});
