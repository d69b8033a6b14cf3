import fs from "node:fs";
import path from "node:path";
import { createAlliance, createOrganization } from "./helpers/factories";
import { GraphQLClient } from "./helpers/graphql";
import { serverMode, startTestServer, stopAll } from "./helpers/server";

type Started = Awaited<ReturnType<typeof startTestServer>>;
let first: Started | undefined;
let second: Started | undefined;

afterAll(async () => {
  await first?.close();
  if (second) await stopAll(second);
  else if (first) await first.database.drop();
});

// Embedded mode runs without JWT_SECRET, as `npm start` does: the secret is made in DATA_DIR.
const env: Record<string, string> = serverMode ? {} : { JWT_SECRET: "" };

test("a restarted server keeps its data, its migrations and its token secret", async () => {
  first = await startTestServer({ persistent: true, env });
  const city = await createAlliance(first.admin, { name: "台州市", level: "CITY", regionCode: "331000" });
  const county = await createAlliance(first.admin, { name: "温岭市", level: "COUNTY", regionCode: "331081", parentId: city.id });
  const organization = await createOrganization(first.admin, { name: "重启后仍在", allianceIds: [county.id] });
  const token = first.admin.token as string;
  const migrations = await first.app.prisma.$queryRawUnsafe<{ n: bigint }[]>(`SELECT count(*) AS n FROM "_prisma_migrations"`);
  if (!serverMode) {
    const secretFile = path.join(first.config.dataDir, "jwt-secret");
    expect(fs.existsSync(secretFile)).toBe(true);
    expect(fs.statSync(secretFile).mode & 0o777).toBe(0o600);
  }
  await first.close();

  second = await startTestServer({ database: first.database, env });
  const data = await second.admin.query(
    `query ($id: ID!) { allianceRoots { name children { totalCount } } organization(id: $id) { name alliances { name } } }`,
    { id: organization.id },
  );
  expect(data.allianceRoots).toEqual([{ name: "台州市", children: { totalCount: 1 } }]);
  expect(data.organization).toEqual({ name: "重启后仍在", alliances: [{ name: "温岭市" }] });
  expect(await second.app.prisma.alliance.count()).toBe(2);
  const again = await second.app.prisma.$queryRawUnsafe<{ n: bigint }[]>(`SELECT count(*) AS n FROM "_prisma_migrations"`);
  expect(again[0].n).toBe(migrations[0].n);

  // A token issued before the restart still signs in: the secret was kept, not made anew.
  const before = new GraphQLClient(second.url, second.wsUrl, token);
  expect((await before.query(`{ me { username } }`)).me.username).toBe("admin");
}, 120_000); // a file-backed PGlite is slower than one in memory
