import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { migrate, openDatabase, readMigrations } from "../../src/db";

/**
 * A dump of an empty, migrated PGlite database, made once per set of migrations and shared by
 * every test file: starting from it skips initdb and the migrations (seconds per file).
 */
export function templatePath(): string {
  const hash = createHash("sha256");
  for (const migration of readMigrations()) hash.update(migration.name).update(migration.checksum);
  return path.join(os.tmpdir(), `zhulian-pglite-template-${hash.digest("hex").slice(0, 16)}.tar`);
}

export async function ensureTemplate(): Promise<string> {
  const file = templatePath();
  if (fs.existsSync(file)) return file;
  const db = await openDatabase({ dataDir: "memory://" });
  try {
    await db.withConnection((sql) => migrate(sql));
    if (!db.dump) throw new Error("only PGlite makes a template");
    const dump = await db.dump();
    const temporary = `${file}.${process.pid}`;
    fs.writeFileSync(temporary, Buffer.from(await dump.arrayBuffer()));
    fs.renameSync(temporary, file);
  } finally {
    await db.close();
  }
  return file;
}
