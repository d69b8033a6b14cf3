import "reflect-metadata";
import fs from "node:fs";
import path from "node:path";
import { DEMO_ACCOUNTS, formatDemoAccounts } from "../prisma/seed";
import { closeApp, openApp } from "./app";
import { createLogger } from "./common/logger";
import { ConfigError, loadConfig } from "./config";
import { startServer } from "./server";
import { CONSOLE_DIR } from "./web-console";

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const app = await openApp(config, logger);
  const server = await startServer(app, { port: config.port, host: config.host });
  logger.info(
    { mode: config.mode, pubsub: app.deps.pubsub.kind, url: server.url, dataDir: config.mode === "embedded" ? config.dataDir : undefined },
    "助联 is listening",
  );
  const consoleUrl = server.url.replace(/\/graphql$/, "/");
  process.stdout.write(
    `\n助联 GraphQL API (${config.mode} mode) ready at ${server.url}\n` +
      `Console (控制台) at ${consoleUrl}${fs.existsSync(path.join(CONSOLE_DIR, "index.html")) ? "" : " (not built: npm run build)"}\n` +
      (config.landingPage && config.introspection ? `GraphQL IDE: open ${server.url} in a browser\n` : "") +
      `WebSocket subscriptions at ${server.wsUrl}\n` +
      (config.mode === "embedded" ? `Data in ${config.dataDir}\n` : "") +
      "\n",
  );
  if (config.mode === "embedded" && config.seed === "demo") {
    const present = await app.prisma.account.findMany({
      where: { username: { in: DEMO_ACCOUNTS.map((a) => a.username) } },
      select: { username: true },
    });
    const usernames = new Set(present.map((a) => a.username));
    const accounts = DEMO_ACCOUNTS.filter((a) => usernames.has(a.username));
    if (accounts.length) {
      process.stdout.write(`${formatDemoAccounts(accounts)}\n`);
    }
  }

  let stopping = false;
  const stop = async (signal: string, exitCode = 0, graceMs = config.shutdownGraceMs) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, graceMs }, "shutting down: draining requests and sockets");
    // If anything below hangs, the process still ends, shortly after the grace period.
    setTimeout(() => {
      logger.error("shutdown did not finish in time; exiting");
      process.exit(1);
    }, graceMs + 10_000).unref();
    await server.close(graceMs);
    await closeApp(app);
    logger.info("stopped");
    process.exit(exitCode);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  // A rejection nobody handled is a bug to log, not a reason to drop every other user's request.
  process.on("unhandledRejection", (reason) => logger.error({ err: reason }, "unhandled promise rejection"));
  // After an exception nothing caught, the process's state is unknown: stop taking work and exit.
  process.on("uncaughtException", (error) => {
    logger.fatal({ err: error }, "uncaught exception: stopping");
    void stop("uncaughtException", 1, 2_000);
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`助联 failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
