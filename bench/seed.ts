/**
 * The demo dataset: how long generating it and loading it take, on PGlite (in memory) and, when
 * DATABASE_URL is set, on a fresh PostgreSQL database (dropped afterwards); then the latency of
 * `stats` over HTTP for the city, a county and a township on the loaded data: for the closed first
 * half of 2025 (stored figures) and for the open year 2025 (computed).
 *
 *   npm run build && node dist/bench/seed.js [iterations=20]
 *   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres node dist/bench/seed.js
 *
 * Prints a table and writes bench/results/seed-<timestamp>.json. Wall times depend on what else
 * the machine is doing: the load average at the start is recorded beside them.
 */
import "reflect-metadata";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DEMO_FIGURES, generateDemoDataset, loadDemoDataset } from "../prisma/seed";
import { closeApp, openApp } from "../src/app";
import { createLogger } from "../src/common/logger";
import { projectRoot } from "../src/common/paths";
import { loadConfig } from "../src/config";
import { createScratchDatabase } from "../src/db/scratch-database";
import { startServer } from "../src/server";

const ITERATIONS = Number(process.argv[2] ?? 20);
const ADMIN = { username: "bench-admin", password: "bench-admin-password" };
const STATS = `query ($id: ID!, $from: Date!, $to: Date!) { stats(allianceId: $id, from: $from, to: $to) {
  lowIncomePopulation { total otherMonitored } projectCount fundingTotal linkedDepartments participatingSocialOrganizations
  householdTimesServed householdsServed visitHouseholdTimes happinessListsDelivered standardOperationRate openServiceRequests } }`;

interface Timing {
  medianMs: number;
  p95Ms: number;
  minMs: number;
}

interface ModeResult {
  mode: "pglite" | "postgres";
  rows: number;
  loadSeconds: number;
  loadCpuSeconds: number;
  stats: Record<string, Timing>;
}

const seconds = (ms: number) => Math.round(ms) / 1000;

function timing(samples: number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] * 10) / 10;
  return { medianMs: at(0.5), p95Ms: at(0.95), minMs: at(0) };
}


async function runMode(mode: "pglite" | "postgres"): Promise<ModeResult> {
  const database = mode === "postgres" ? await createScratchDatabase(process.env.DATABASE_URL!, "zl_bench_seed") : undefined;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "zhulian-bench-seed-"));
  const config = loadConfig({
    PORT: "0",
    DATA_DIR: dataDir,
    JWT_SECRET: "bench-secret-bench-secret-bench-secret-00",
    ADMIN_USERNAME: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
    SEED: "none",
    LOG_LEVEL: "silent",
    ...(database ? { DATABASE_URL: database.url } : {}),
  });
  const app = await openApp(config, createLogger("silent"), { inMemory: !database });
  try {
    const cpu = process.cpuUsage();
    const started = performance.now();
    const result = await app.deps.db.withConnection((sql) => loadDemoDataset(sql));
    const loadMs = performance.now() - started;
    const cpuUsed = process.cpuUsage(cpu);
    const rows = Object.values(result.rows).reduce((sum, n) => sum + n, 0);

    const server = await startServer(app, { port: 0, host: "127.0.0.1" });
    try {
      const call = async (query: string, variables: Record<string, unknown>, token?: string) => {
        const response = await fetch(server.url, {
          method: "POST",
          headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify({ query, variables }),
        });
        const body = (await response.json()) as { data?: Record<string, any>; errors?: unknown[] };
        if (body.errors) throw new Error(JSON.stringify(body.errors));
        return body.data!;
      };
      const { login } = await call(`mutation ($u: String!, $p: String!) { login(username: $u, password: $p) { token } }`, { u: ADMIN.username, p: ADMIN.password });
      const places: Record<string, string> = {
        "台州市 (city)": result.landmarks!.cityId,
        "温岭市 (county)": result.landmarks!.wenlingId,
        "太平街道 (township)": result.landmarks!.taipingId,
      };
      // H1 2025 is closed in the demo city: its figures are stored on the first ask and read back
      // after; a period ending after the closed date (the whole of 2025) is computed every time.
      const periods: Record<string, { from: string; to: string }> = {
        "H1 2025, closed: stored": { from: DEMO_FIGURES.from, to: DEMO_FIGURES.to },
        "2025, open: computed": { from: "2025-01-01", to: "2025-12-31" },
      };
      const stats: Record<string, Timing> = {};
      for (const [periodName, period] of Object.entries(periods)) {
        for (const [name, id] of Object.entries(places)) {
          const variables = { id, ...period };
          const first = await call(STATS, variables, login.token);
          if (name.startsWith("台州市") && period.to === DEMO_FIGURES.to && first.stats.fundingTotal !== DEMO_FIGURES.fundingTotal) {
            throw new Error(`unexpected city figures: ${JSON.stringify(first.stats)}`);
          }
          const samples: number[] = [];
          for (let i = 0; i < ITERATIONS; i += 1) {
            const t = performance.now();
            await call(STATS, variables, login.token);
            samples.push(performance.now() - t);
          }
          stats[`${name}, ${periodName}`] = timing(samples);
        }
      }
      return { mode, rows, loadSeconds: seconds(loadMs), loadCpuSeconds: seconds((cpuUsed.user + cpuUsed.system) / 1000), stats };
    } finally {
      await server.close();
    }
  } finally {
    await closeApp(app);
    await database?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const loadAverage = os.loadavg()[0];
  const generateStarted = performance.now();
  const { members } = generateDemoDataset();
  for (const chunk of members.chunks(10_000)) chunk.length = 0;
  const generateSeconds = seconds(performance.now() - generateStarted);

  const modes: ModeResult[] = [await runMode("pglite")];
  if (process.env.DATABASE_URL) modes.push(await runMode("postgres"));
  else process.stdout.write("DATABASE_URL is not set: PostgreSQL skipped\n");

  process.stdout.write(`\nDemo dataset (load average ${loadAverage.toFixed(1)} on ${os.cpus().length} CPUs); generating it in memory: ${generateSeconds} s\n\n`);
  process.stdout.write("| database | rows | load (s) | load, this process's CPU (s) |\n| --- | ---: | ---: | ---: |\n");
  for (const m of modes) process.stdout.write(`| ${m.mode} | ${m.rows} | ${m.loadSeconds} | ${m.loadCpuSeconds} |\n`);
  process.stdout.write(`\nstats over HTTP, ${ITERATIONS} calls each (ms)\n\n| database | alliance | median | p95 | min |\n| --- | --- | ---: | ---: | ---: |\n`);
  for (const m of modes) {
    for (const [name, t] of Object.entries(m.stats)) process.stdout.write(`| ${m.mode} | ${name} | ${t.medianMs} | ${t.p95Ms} | ${t.minMs} |\n`);
  }

  const dir = path.join(projectRoot, "bench/results");
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `seed-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  fs.writeFileSync(
    file,
    `${JSON.stringify({ benchmark: "seed", date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, loadAverage, iterations: ITERATIONS, generateSeconds, modes }, null, 2)}\n`,
  );
  process.stdout.write(`\nSaved ${path.relative(projectRoot, file)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
