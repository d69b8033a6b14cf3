import { defineConfig } from "prisma/config";

// Prisma 7 reads the connection URL here, not from schema.prisma. The server itself never
// uses this file: it opens the database through a driver adapter (src/db/client.ts).
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://localhost/zhulian" },
});
