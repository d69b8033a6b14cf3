/**
 * `npm run seed [-- --seed <number>]`: loads the demo dataset into the configured database
 * (DATABASE_URL, or the embedded database in DATA_DIR), migrating it first, with a progress bar
 * and the time taken. It refuses a database that already has alliances, and writes nothing
 * there: point DATABASE_URL at an empty database, or remove DATA_DIR, to load it again. The demo
 * accounts' passwords are public, so a DATABASE_URL also needs ALLOW_DEMO_ACCOUNTS=true.
 */
import "reflect-metadata";
import path from "node:path";
import { SingleBar } from "cli-progress";
import { DEMO_SEED, formatDemoAccounts, loadDemoDataset } from "../../prisma/seed";
import { ConfigError, loadConfig } from "../config";
import { migrate } from "./migrate";
import { openDatabase } from "./database";

function parseSeed(args: string[]): number {
  const index = args.findIndex((a) => a === "--seed" || a.startsWith("--seed="));
  if (index < 0) return DEMO_SEED;
  const value = args[index].includes("=") ? args[index].split("=")[1] : args[index + 1];
  if (!value || !/^\d{1,9}$/.test(value)) throw new ConfigError(["--seed: must be a whole number, e.g. --seed 42"]);
  return Number(value);
}

async function main(): Promise<number> {
  let config;
  let seed: number;
  try {
    // Seeding signs no token: a placeholder secret spares server mode's JWT_SECRET requirement.
    // SEED=demo makes loadConfig refuse a DATABASE_URL without ALLOW_DEMO_ACCOUNTS=true, as at start-up.
    config = loadConfig({ JWT_SECRET: "npm-run-seed-signs-no-tokens-0000000000", ...process.env, SEED: "demo" });
    seed = parseSeed(process.argv.slice(2));
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const where = config.databaseUrl ? "the PostgreSQL database of DATABASE_URL" : `the embedded database in ${config.dataDir}`;
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: path.join(config.dataDir, "pglite") });
  try {
    await db.withConnection((sql) => migrate(sql));
    const alliances = await db.prisma.alliance.count();
    if (alliances > 0) {
      process.stderr.write(
        `Not loading: ${where} already has data (${alliances} alliances). The demo dataset loads only into an empty database:\n` +
          (config.databaseUrl ? "point DATABASE_URL at an empty database.\n" : `remove ${config.dataDir} (or set DATA_DIR to a new folder).\n`),
      );
      return 1;
    }
    process.stdout.write(`Generating the demo dataset (seed ${seed}), then loading it into ${where}\n`);
    const bar = new SingleBar({ format: "{bar} {percentage}% | {value}/{total} rows | {table}", hideCursor: true });
    const started = Date.now();
    let startedBar = false;
    const result = await db.withConnection((sql) =>
      loadDemoDataset(sql, {
        seed,
        onProgress: ({ table, done, total }) => {
          if (!startedBar) {
            bar.start(total, 0, { table });
            startedBar = true;
          }
          bar.update(done, { table });
        },
      }),
    );
    bar.stop();
    if (!result.loaded) {
      process.stderr.write(`Not loading: ${where} received data while this ran.\n`);
      return 1;
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const rows = Object.values(result.rows).reduce((sum, n) => sum + n, 0);
    process.stdout.write(
      `Loaded ${rows.toLocaleString("en")} rows in ${seconds} s.\n\n` +
        formatDemoAccounts(),
    );
    return 0;
  } finally {
    await db.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`Seeding failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
