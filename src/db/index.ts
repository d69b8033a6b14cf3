export { openDatabase } from "./database";
export type { Database, DatabaseOptions, PrismaClient } from "./database";
export { migrate, pendingMigrations, readMigrations } from "./migrate";
export type { SqlRunner } from "./sql-runner";
export { startHousekeeping, type Housekeeping } from "./housekeeping";
