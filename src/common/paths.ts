import fs from "node:fs";
import path from "node:path";

function findRoot(start: string): string {
  let dir = start;
  while (!fs.existsSync(path.join(dir, "package.json"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`No package.json above ${start}`);
    dir = parent;
  }
  return dir;
}

/** The project folder, from the sources (src/…) and from the build (dist/src/…) alike. */
export const projectRoot = findRoot(__dirname);
