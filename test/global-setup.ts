import { ensureTemplate } from "./helpers/pglite-template";

/** Embedded mode: make the migrated PGlite template once, before the test files start. */
export default async function globalSetup(): Promise<void> {
  if (!process.env.DATABASE_URL) await ensureTemplate();
}
