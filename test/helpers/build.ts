import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { projectRoot } from "../../src/common/paths";

/** Folders whose sources make the build. */
const SOURCES = ["src", "prisma/seed", "bench"];

function hashSources(): string {
  const hash = createHash("sha256");
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "generated") walk(full);
      } else if (entry.name.endsWith(".ts")) {
        hash.update(full).update(fs.readFileSync(full));
      }
    }
  };
  for (const folder of SOURCES) {
    const dir = path.join(projectRoot, folder);
    if (fs.existsSync(dir)) walk(dir);
  }
  hash.update(fs.readFileSync(path.join(projectRoot, "prisma/schema.prisma")));
  return hash.digest("hex").slice(0, 16);
}

/**
 * The compiled server (for tests that run it as a child process, to signal or kill it): built
 * once per set of sources into node_modules/.cache, shared by test files and both test runs.
 * Returns the path of `src/index.js` in that build.
 */
export function ensureBuild(): string {
  const out = path.join(projectRoot, "node_modules/.cache/zhulian-test-build", hashSources());
  const entry = path.join(out, "src/index.js");
  if (fs.existsSync(path.join(out, ".done"))) return entry;
  const lock = `${out}.lock`;
  fs.mkdirSync(path.dirname(out), { recursive: true });
  for (const deadline = Date.now() + 180_000; ; ) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      if (fs.existsSync(path.join(out, ".done"))) return entry;
      if (Date.now() > deadline) throw new Error(`another test's build at ${lock} did not finish`);
      execFileSync("sleep", ["1"]);
    }
  }
  try {
    if (!fs.existsSync(path.join(out, ".done"))) {
      execFileSync(process.execPath, [path.join(projectRoot, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json", "--outDir", out], {
        cwd: projectRoot,
        stdio: "pipe",
      });
      fs.writeFileSync(path.join(out, ".done"), new Date().toISOString());
    }
  } finally {
    fs.rmdirSync(lock);
  }
  return entry;
}
