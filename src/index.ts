import "reflect-metadata";
import { DEMO_ACCOUNTS, formatDemoAccounts } from "../prisma/seed";
import { closeApp, openApp } from "./app";
import { createLogger } from "./common/logger";
import { ConfigError, loadConfig } from "./config";
import { startServer } from "./server";

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
  process.stdout.write(
    `\n助联 GraphQL API (${config.mode} mode) ready at ${server.url}\n` +
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
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    await server.close();
    await closeApp(app);
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

main().catch((error: unknown) => {
  process.stderr.write(`助联 failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
