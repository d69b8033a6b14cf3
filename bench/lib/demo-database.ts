import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadDemoDataset, type DemoLandmarks } from "../../prisma/seed";
import { closeApp, openApp } from "../../src/app";
import { createLogger } from "../../src/common/logger";
import { loadConfig } from "../../src/config";

/**
 * Loads the demo dataset into the (empty, migrated on open) PostgreSQL database at `databaseUrl`
 * the way start-up would, then VACUUM ANALYZE so the first measured plans are the real ones.
 */
export async function loadDemoDatabase(databaseUrl: string, jwtSecret: string): Promise<DemoLandmarks> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "zhulian-bench-"));
  const config = loadConfig({ DATABASE_URL: databaseUrl, DATA_DIR: dataDir, JWT_SECRET: jwtSecret, SEED: "none", LOG_LEVEL: "silent", PORT: "0" });
  const app = await openApp(config, createLogger("silent"));
  try {
    const result = await app.deps.db.withConnection(async (sql) => {
      const loaded = await loadDemoDataset(sql);
      await sql.exec("VACUUM (ANALYZE)");
      return loaded;
    });
    if (!result.landmarks) throw new Error("the demo dataset was not loaded");
    return result.landmarks;
  } finally {
    await closeApp(app);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
