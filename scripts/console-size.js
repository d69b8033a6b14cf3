#!/usr/bin/env node
// The gzipped size of what each page of the built console loads, from Vite's manifest: the
// console (index.html, every page and chart included) and the IDE (graphiql.html, with its
// editor's workers). The budget: the console under 1 MB gzipped.
const fs = require("node:fs");
const path = require("node:path");
const zlib = require("node:zlib");

const CONSOLE_DIR = path.resolve(__dirname, "..", "dist", "console");
const CONSOLE_BUDGET_BYTES = 1024 * 1024;

/** Every file an entry loads: its chunk, static and dynamic imports, CSS and assets. */
function filesOf(manifest, entry) {
  const files = new Set();
  const seen = new Set();
  const visit = (key) => {
    if (seen.has(key)) return;
    seen.add(key);
    const chunk = manifest[key];
    if (!chunk) return;
    files.add(chunk.file);
    for (const file of [...(chunk.css ?? []), ...(chunk.assets ?? [])]) files.add(file);
    for (const next of [...(chunk.imports ?? []), ...(chunk.dynamicImports ?? [])]) visit(next);
  };
  visit(entry);
  return [...files];
}

/** Files of an entry plus the workers its code starts (Vite names them *.worker-*.js). */
function pageSize(manifest, entry, extraFiles = []) {
  const files = [...new Set([...filesOf(manifest, entry), ...extraFiles])];
  let raw = 0;
  let gzipped = 0;
  for (const file of files) {
    const bytes = fs.readFileSync(path.join(CONSOLE_DIR, file));
    raw += bytes.length;
    gzipped += zlib.gzipSync(bytes, { level: 6 }).length;
  }
  return { files: files.length, raw, gzipped };
}

/** Sizes of the console and of the IDE, in bytes. */
function consoleSizes() {
  const manifest = JSON.parse(fs.readFileSync(path.join(CONSOLE_DIR, ".vite", "manifest.json"), "utf8"));
  const workers = fs.readdirSync(path.join(CONSOLE_DIR, "assets")).filter((file) => /\.worker-.*\.js$/.test(file)).map((file) => `assets/${file}`);
  return {
    console: pageSize(manifest, "index.html", ["index.html"]),
    ide: pageSize(manifest, "graphiql.html", ["graphiql.html", ...workers]),
    budget: CONSOLE_BUDGET_BYTES,
  };
}

module.exports = { consoleSizes, CONSOLE_BUDGET_BYTES };

if (require.main === module) {
  const sizes = consoleSizes();
  const kb = (bytes) => `${(bytes / 1024).toFixed(0)} KB`;
  console.log(`console: ${kb(sizes.console.gzipped)} gzipped (${kb(sizes.console.raw)} raw, ${sizes.console.files} files; budget ${kb(sizes.budget)})`);
  console.log(`IDE:     ${kb(sizes.ide.gzipped)} gzipped (${kb(sizes.ide.raw)} raw, ${sizes.ide.files} files)`);
  if (sizes.console.gzipped > sizes.budget) {
    console.error("console: over its size budget");
    process.exit(1);
  }
}
