import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { CONSOLE_DIR } from "../../src/web-console";

/** Debian's Chromium (or CHROMIUM_PATH); the browser tests skip, saying so, without one. */
export const chromiumPath = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"].find(
  (candidate): candidate is string => Boolean(candidate && fs.existsSync(candidate)),
);

/** `describe` when a Chromium is installed; otherwise the block is skipped with a message. */
export function describeInBrowser(name: string, body: () => void): void {
  if (chromiumPath) {
    describe(name, body);
    return;
  }
  describe(name, () => {
    it.skip(`needs Chromium: apt-get install -y chromium fonts-noto-cjk (or set CHROMIUM_PATH) — ${name}`, () => undefined);
  });
  // eslint-disable-next-line no-console
  console.warn(`Skipped "${name}": no Chromium found (apt-get install -y chromium fonts-noto-cjk, or set CHROMIUM_PATH).`);
}

/** Where screenshots go: test/artifacts/console (not committed). */
export const ARTIFACTS_DIR = path.join(__dirname, "..", "artifacts", "console");

/** Builds the console once if this checkout has not (npm install builds it). */
export function ensureConsoleBuilt(): void {
  if (fs.existsSync(path.join(CONSOLE_DIR, "index.html"))) return;
  execFileSync(process.execPath, [path.join(__dirname, "..", "..", "scripts", "build-console.js")], { stdio: "inherit" });
}

/**
 * Starts headless Chromium as the sandbox here needs it: no sandbox as root, and none of the
 * background connections to Google's hosts that this closed network refuses.
 */
export async function launchBrowser(): Promise<Browser> {
  ensureConsoleBuilt();
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
}

/** A page with its own browser context (its own session storage) and a log of every request it made. */
export interface ConsolePage {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Every URL the page and its workers requested, WebSocket included. */
  readonly requests: string[];
  /** The requested URLs whose origin is not the server's. */
  foreignRequests(): string[];
  /** Errors thrown in the page (uncaught exceptions). */
  readonly pageErrors: string[];
  close(): Promise<void>;
}

/** Phone and desktop viewports. */
export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1366, height: 900 };

/** Opens a new context on `baseUrl` (http://127.0.0.1:port), logging the requests of its pages. */
export async function openConsole(browser: Browser, baseUrl: string, options: { viewport?: { width: number; height: number } } = {}): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport: options.viewport ?? DESKTOP, locale: "zh-CN", timezoneId: "Asia/Shanghai", acceptDownloads: true });
  const requests: string[] = [];
  const pageErrors: string[] = [];
  const origin = new URL(baseUrl).origin;
  const wsOrigin = origin.replace(/^http/, "ws");
  context.on("request", (request) => requests.push(request.url()));
  context.on("page", (page) => {
    page.on("websocket", (socket) => requests.push(socket.url()));
    page.on("pageerror", (error) => pageErrors.push(String(error)));
  });
  const page = await context.newPage();
  return {
    context,
    page,
    requests,
    pageErrors,
    foreignRequests: () =>
      requests.filter((url) => {
        if (url.startsWith("data:") || url.startsWith("blob:")) return false;
        const requestOrigin = new URL(url).origin;
        return requestOrigin !== origin && requestOrigin !== wsOrigin;
      }),
    close: () => context.close(),
  };
}

const SIGN_IN_TIMEOUT = 90_000;

/** Signs in on the console's sign-in page and waits for the role's first page. */
export async function signIn(page: Page, baseUrl: string, username: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/#/sign-in`);
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', password);
  await page.click('button[type="submit"]');
  // In CI, beside another file loading the demo city, the first page took over 30 s to settle.
  await page.waitForSelector('[data-test="who"]', { timeout: SIGN_IN_TIMEOUT });
  await page.waitForURL((url) => !url.hash.startsWith("#/sign-in"), { timeout: SIGN_IN_TIMEOUT });
}

/** Saves a full-page screenshot as test/artifacts/console/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, `${name}${process.env.DATABASE_URL ? "-server" : ""}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** The server's origin (http://127.0.0.1:port) from its GraphQL URL. */
export function originOf(graphqlUrl: string): string {
  return new URL(graphqlUrl).origin;
}
