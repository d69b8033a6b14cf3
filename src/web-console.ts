import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import zlib from "node:zlib";
import compression from "compression";
import express, { type Request, type Response, type NextFunction } from "express";
import { projectRoot } from "./common/paths";

/** Where `npm run build` puts the console (console/ built by Vite). */
export const CONSOLE_DIR = path.join(projectRoot, "dist", "console");

/**
 * Every page and asset comes from this server: scripts only from here, connections only back to
 * here (HTTP and WebSocket), no frames. Styles may be inline (ECharts and the IDE's editor set
 * them), workers come from here.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join("; ");

function pageHeaders(res: Response): void {
  res.setHeader("content-security-policy", CONTENT_SECURITY_POLICY);
  res.setHeader("x-content-type-options", "nosniff");
  res.setHeader("referrer-policy", "no-referrer");
  res.setHeader("x-frame-options", "DENY");
}

function sendPage(res: Response, file: string): void {
  pageHeaders(res);
  res.setHeader("cache-control", "no-cache");
  res.sendFile(path.join(CONSOLE_DIR, file));
}

/** True for a browser opening /graphql (it asks for HTML and sends no operation). */
function browserOpening(req: Request): boolean {
  return req.method === "GET" && req.query.query === undefined && req.accepts(["application/json", "text/html"]) === "text/html";
}

/**
 * The web console at `/` and, when `ide` is on, the GraphQL IDE (GraphiQL) for a browser's
 * `GET /graphql`; mounted before the GraphQL endpoint, whose other requests pass through.
 */
export function webConsole(options: { ide: boolean; consoleDir?: string }): express.Router {
  const dir = options.consoleDir ?? CONSOLE_DIR;
  const router = express.Router();
  // Pages and assets only: GraphQL responses are not compressed here.
  const compress = compression();
  const built = () => fs.existsSync(path.join(dir, "index.html"));
  router.get("/graphql", (req: Request, res: Response, next: NextFunction) => {
    if (!options.ide || !browserOpening(req) || !built()) return next();
    compress(req, res, () => sendPage(res, "graphiql.html"));
  });
  router.get(["/", "/index.html"], compress, (_req, res) => {
    if (!built()) {
      res.status(503).type("text/plain; charset=utf-8").send("The console is not built: run `npm run build` (控制台尚未构建：请运行 npm run build)。\n");
      return;
    }
    sendPage(res, "index.html");
  });
  const assets = assetCache(path.join(dir, "assets"));
  router.get("/assets/:name", async (req: Request, res: Response, next: NextFunction) => {
    try {
      const asset = await assets(String(req.params.name));
      if (!asset) {
        res.status(404).type("text/plain; charset=utf-8").send("Not found\n");
        return;
      }
      pageHeaders(res);
      res.setHeader("cache-control", "public, max-age=31536000, immutable");
      res.setHeader("vary", "Accept-Encoding");
      res.type(path.extname(asset.name));
      const gzipped = req.acceptsEncodings(["gzip", "identity"]) === "gzip";
      if (gzipped) res.setHeader("content-encoding", "gzip");
      res.end(gzipped ? asset.gzip : asset.raw);
    } catch (error) {
      next(error);
    }
  });
  return router;
}

const gzip = promisify(zlib.gzip);
/** Asset names as Vite writes them: no folders, nothing hidden. */
const ASSET_NAME = /^[\w-][\w.-]*$/;

interface Asset {
  name: string;
  raw: Buffer;
  gzip: Buffer;
}

/**
 * The built assets, read and compressed once each (on first request, off the main thread) and
 * then sent from memory in one write. Embedded mode runs PGlite on the same thread: a file
 * streamed and compressed chunk by chunk waited behind every query for each chunk, and the
 * dashboard's charts arrived a second late.
 */
function assetCache(dir: string): (name: string) => Promise<Asset | undefined> {
  const cache = new Map<string, Promise<Asset | undefined>>();
  return (name) => {
    if (!ASSET_NAME.test(name)) return Promise.resolve(undefined);
    let asset = cache.get(name);
    if (!asset) {
      asset = fs.promises.readFile(path.join(dir, name)).then(
        async (raw) => ({ name, raw, gzip: await gzip(raw, { level: 9 }) }),
        () => undefined,
      );
      // A name not found is not kept: a rebuild may add it.
      asset.then((found) => found ?? cache.delete(name)).catch(() => cache.delete(name));
      cache.set(name, asset);
    }
    return asset;
  };
}
