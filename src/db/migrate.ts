import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { projectRoot } from "../common/paths";
import type { SqlRunner } from "./sql-runner";

/** prisma/migrations, the SQL of every migration in order. */
export const migrationsDir = path.join(projectRoot, "prisma/migrations");

/** Any fixed number: the advisory lock that serialises instances migrating one database. */
const MIGRATION_LOCK = 72_297;

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export function readMigrations(dir = migrationsDir): Migration[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(dir, entry.name, "migration.sql")))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = fs.readFileSync(path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });
}

const createMigrationsTable = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

async function appliedMigrations(sql: SqlRunner): Promise<Map<string, string>> {
  const rows = await sql.query<{ migration_name: string; checksum: string }>(
    `SELECT migration_name, checksum FROM "_prisma_migrations"
      WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
  );
  return new Map(rows.map((row) => [row.migration_name, row.checksum]));
}

/**
 * Applies the migrations not yet applied, each in its own transaction, and records them in
 * Prisma's `_prisma_migrations` table so that Prisma's tools agree. An advisory lock makes
 * instances that start together take turns; the second finds nothing left to do.
 * Returns the names it applied.
 */
export async function migrate(sql: SqlRunner, migrations = readMigrations()): Promise<string[]> {
  const applied: string[] = [];
  await sql.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
  try {
    await sql.exec(createMigrationsTable);
    const done = await appliedMigrations(sql);
    for (const migration of migrations) {
      const checksum = done.get(migration.name);
      if (checksum !== undefined) {
        if (checksum !== migration.checksum) {
          throw new Error(`Migration ${migration.name} was changed after it was applied (checksum differs)`);
        }
        continue;
      }
      await sql.exec("BEGIN");
      try {
        await sql.exec(migration.sql);
        await sql.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count)
           VALUES ($1, $2, now(), $3, 1)`,
          [randomUUID(), migration.checksum, migration.name],
        );
        await sql.exec("COMMIT");
      } catch (error) {
        await sql.exec("ROLLBACK");
        throw new Error(`Migration ${migration.name} failed: ${(error as Error).message}`);
      }
      applied.push(migration.name);
    }
  } finally {
    await sql.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK]);
  }
  return applied;
}

/** The migrations in the folder that the database has not applied (empty when ready). */
export async function pendingMigrations(sql: SqlRunner, migrations = readMigrations()): Promise<string[]> {
  const exists = await sql.query<{ exists: boolean }>(
    `SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS exists`,
  );
  if (!exists[0]?.exists) return migrations.map((m) => m.name);
  const done = await appliedMigrations(sql);
  return migrations.filter((m) => !done.has(m.name)).map((m) => m.name);
}
