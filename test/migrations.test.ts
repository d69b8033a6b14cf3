import { migrate, readMigrations } from "../src/db";
import { freshDatabase, serverMode, startTestServer, stopAll } from "./helpers/server";

const migrationRows = (server: Awaited<ReturnType<typeof startTestServer>>) =>
  server.app.prisma.$queryRawUnsafe<{ migration_name: string; checksum: string }[]>(
    `SELECT migration_name, checksum FROM "_prisma_migrations" ORDER BY migration_name`,
  );

test("the migrations in prisma/migrations are applied once each and recorded with Prisma's checksums", async () => {
  const server = await startTestServer();
  try {
    const rows = await migrationRows(server);
    expect(rows).toEqual(readMigrations().map((m) => ({ migration_name: m.name, checksum: m.checksum })));
    // Running the runner again finds nothing to do.
    expect(await server.app.deps.db.withConnection((sql) => migrate(sql))).toEqual([]);
    expect(await migrationRows(server)).toEqual(rows);
  } finally {
    await stopAll(server);
  }
});

test("a migration edited after it was applied stops start-up with a message naming it", async () => {
  const server = await startTestServer();
  try {
    const [first, ...rest] = readMigrations();
    const edited = [{ ...first, sql: `${first.sql}\n-- edited`, checksum: "0".repeat(64) }, ...rest];
    await expect(server.app.deps.db.withConnection((sql) => migrate(sql, edited))).rejects.toThrow(
      `Migration ${first.name} was changed after it was applied`,
    );
  } finally {
    await stopAll(server);
  }
});

// Embedded mode has one process per database, so only server mode can start two at once.
(serverMode ? test : test.skip)(
  "two instances starting together on an empty PostgreSQL database both come up; it is migrated once",
  async () => {
    const database = await freshDatabase();
    const [a, b] = await Promise.all([startTestServer({ database }), startTestServer({ database })]);
    try {
      const rows = await migrationRows(a);
      expect(rows.map((r) => r.migration_name)).toEqual(readMigrations().map((m) => m.name));
      expect(await a.app.prisma.account.count({ where: { username: "admin" } })).toBe(1);
      for (const instance of [a, b]) {
        const response = await fetch(instance.url.replace("/graphql", "/readyz"));
        expect(response.status).toBe(200);
        expect((await instance.admin.query(`{ me { username } }`)).me.username).toBe("admin");
      }
    } finally {
      await b.close();
      await stopAll(a);
    }
  },
  120_000,
);
