import { createTaizhouTree } from "./helpers/factories";
import { startTestServer, stopAll, type TestServer } from "./helpers/server";

let server: Awaited<ReturnType<typeof startTestServer>>;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => stopAll(server));

test("smoke: the admin builds a tree and reads it back", async () => {
  const tree = await createTaizhouTree(server.admin);
  const data = await server.admin.query(`{ allianceRoots { name children { totalCount nodes { name } } } }`);
  expect(data.allianceRoots[0].name).toBe("台州市");
  expect(data.allianceRoots[0].children.totalCount).toBe(2);
  expect(tree.taipingA.regionCode).toBe("331081001001");
});
