import { consoleSizes } from "../scripts/console-size";
import { ADMIN, startTestServer, type TestServer } from "./helpers/server";
import { createTaizhouTree } from "./helpers/factories";
import { describeInBrowser, ensureConsoleBuilt, launchBrowser, openConsole, originOf, PHONE, screenshot, signIn } from "./helpers/browser";
import type { Browser } from "playwright-core";

const CREATE_ACCOUNT = `mutation ($input: CreateAccountInput!) { createAccount(input: $input) { id username } }`;

let server: TestServer;
let base: string;

beforeAll(async () => {
  ensureConsoleBuilt();
  // The IDE is on only with introspection and LANDING_PAGE, which server mode leaves off by default.
  server = await startTestServer({ env: { INTROSPECTION: "true", LANDING_PAGE: "true" } });
  base = originOf(server.url);
}, 120_000);

afterAll(async () => {
  await server?.close();
});

describe("the console is served by the API server", () => {
  test("GET / is the console's page, with a policy that lets it load and connect only to this server", async () => {
    const response = await fetch(`${base}/`, { headers: { "accept-encoding": "gzip" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/text\/html/);
    const policy = response.headers.get("content-security-policy") ?? "";
    expect(policy).toContain("default-src 'self'");
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("connect-src 'self'");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    const html = await response.text();
    expect(html).toContain('lang="zh-CN"');
    const scripts = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const asset of scripts) expect(asset.startsWith("/assets/")).toBe(true);

    const asset = await fetch(`${base}${scripts.find((url) => url.endsWith(".js"))}`, { headers: { "accept-encoding": "gzip" } });
    expect(asset.status).toBe(200);
    expect(asset.headers.get("cache-control")).toMatch(/immutable/);
    expect(asset.headers.get("content-encoding")).toBe("gzip");
    expect((await fetch(`${base}/assets/no-such-file.js`)).status).toBe(404);
  });

  test("a POST to /graphql is still the API, and a GET asking for JSON is not the IDE", async () => {
    expect((await server.admin.query<{ me: { username: string } }>("{ me { username } }")).me.username).toBe(ADMIN.username);
    const json = await fetch(`${server.url}?query=${encodeURIComponent("{ __typename }")}`, {
      headers: { accept: "application/json", "apollo-require-preflight": "true" },
    });
    expect(await json.json()).toEqual({ data: { __typename: "Query" } });
  });

  test("the console without the IDE stays under its size budget of 1 MB gzipped", () => {
    const sizes = consoleSizes();
    expect(sizes.console.gzipped).toBeGreaterThan(10_000);
    expect(sizes.console.gzipped).toBeLessThan(sizes.budget);
  });
});

describeInBrowser("signing in and the GraphQL IDE, in Chromium", () => {
  let browser: Browser;
  let coordinator: { username: string; password: string; id: string };

  beforeAll(async () => {
    browser = await launchBrowser();
    const tree = await createTaizhouTree(server.admin);
    const username = "console-coordinator";
    const password = "console-password-1";
    const created = await server.admin.query<{ createAccount: { id: string } }>(CREATE_ACCOUNT, {
      input: { username, password, role: "COORDINATOR", allianceId: tree.wenling.id },
    });
    coordinator = { username, password, id: created.createAccount.id };
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
  });

  test("a wrong password is refused with a message; the right one opens the role's page with the token in session storage only", async () => {
    const console_ = await openConsole(browser, base);
    const { page } = console_;
    try {
      await page.goto(`${base}/`);
      await page.waitForSelector('input[name="username"]');
      await screenshot(page, "sign-in");
      await page.fill('input[name="username"]', coordinator.username);
      await page.fill('input[name="password"]', "not-the-password");
      await page.click('button[type="submit"]');
      await expect(page.locator('[data-test="sign-in-error"]').textContent({ timeout: 5000 })).resolves.toContain("用户名或密码不正确");

      await signIn(page, base, coordinator.username, coordinator.password);
      expect(page.url()).toMatch(/#\/dashboard/);
      await expect(page.locator('[data-test="who"]').textContent()).resolves.toContain(coordinator.username);
      const storage = await page.evaluate<{ session: string; local: number }>(
        `({ session: sessionStorage.getItem("zhulian.session") ?? "", local: Object.keys(localStorage).length })`,
      );
      expect(JSON.parse(storage.session).token).toEqual(expect.any(String));
      expect(storage.local).toBe(0);
      const token = JSON.parse(storage.session).token as string;
      for (const url of console_.requests) expect(url).not.toContain(token);
      expect(page.url()).not.toContain(token);
      expect(console_.foreignRequests()).toEqual([]);
      expect(console_.pageErrors).toEqual([]);
    } finally {
      await console_.close();
    }
  });

  test("a revoked token returns to the sign-in page with a message", async () => {
    const username = "console-revoked";
    const password = "console-password-2";
    const created = await server.admin.query<{ createAccount: { id: string } }>(CREATE_ACCOUNT, {
      input: { username, password, role: "COORDINATOR", allianceId: (await server.admin.query<{ allianceRoots: { id: string }[] }>("{ allianceRoots { id } }")).allianceRoots[0].id },
    });
    const console_ = await openConsole(browser, base);
    const { page } = console_;
    try {
      await signIn(page, base, username, password);
      await server.admin.query(`mutation ($id: ID!) { deactivateAccount(id: $id) { id active } }`, { id: created.createAccount.id });
      await page.reload();
      await page.waitForSelector('[data-test="sign-in-notice"]', { timeout: 5000 });
      await expect(page.locator('[data-test="sign-in-notice"]').textContent()).resolves.toContain("登录已过期或已被撤销");
      expect(page.url()).toMatch(/#\/sign-in/);
      expect(await page.evaluate(`sessionStorage.getItem("zhulian.session")`)).toBeNull();
    } finally {
      await console_.close();
    }
  });

  test("the IDE at /graphql is served locally and runs { me { username } } as the signed-in account", async () => {
    const console_ = await openConsole(browser, base);
    const { page } = console_;
    try {
      await signIn(page, base, coordinator.username, coordinator.password);
      await page.goto(`${base}/graphql`);
      const editor = page.locator(".graphiql-query-editor .monaco-editor").first();
      await editor.waitFor({ timeout: 15_000 });
      await editor.click();
      await page.keyboard.press("Control+A");
      await page.keyboard.press("Delete");
      await page.keyboard.insertText("{ me { username } }");
      await page.click(".graphiql-execute-button");
      const response = page.locator(".graphiql-response");
      await response.getByText(`"${coordinator.username}"`).waitFor({ timeout: 10_000 });
      expect(await response.textContent()).toMatch(/"username":\s*"console-coordinator"/);
      await screenshot(page, "graphql-ide");
      expect(console_.foreignRequests()).toEqual([]);
      expect(console_.requests.some((url) => url.includes(".worker-"))).toBe(true);
    } finally {
      await console_.close();
    }
  });

  test("the sign-in page fits a phone's screen", async () => {
    const console_ = await openConsole(browser, base, { viewport: PHONE });
    const { page } = console_;
    try {
      await page.goto(`${base}/`);
      await page.waitForSelector('input[name="username"]');
      const width = await page.evaluate<number>("document.documentElement.scrollWidth");
      expect(width).toBeLessThanOrEqual(PHONE.width);
      await screenshot(page, "sign-in-phone");
      expect(console_.foreignRequests()).toEqual([]);
    } finally {
      await console_.close();
    }
  });
});
