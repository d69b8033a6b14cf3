#!/usr/bin/env node
// Builds the web console (console/) into dist/console with Vite. Run by `npm install` (after the
// Prisma client) and by `npm run build`. An install without devDependencies has no Vite: it says
// so and leaves the console unbuilt (the Docker image builds it in its build stage).
const { execFileSync } = require("node:child_process");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
let vite;
try {
  vite = path.join(path.dirname(require.resolve("vite/package.json", { paths: [root] })), "bin", "vite.js");
} catch {
  console.warn("console: Vite is not installed (devDependencies omitted); the console is not built.");
  process.exit(0);
}
execFileSync(process.execPath, [vite, "build", "--config", path.join(root, "console", "vite.config.mts"), "--logLevel", "warn"], {
  cwd: root,
  stdio: "inherit",
});
execFileSync(process.execPath, [path.join(__dirname, "console-size.js")], { cwd: root, stdio: "inherit" });
