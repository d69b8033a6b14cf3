import { fileURLToPath } from "node:url";
import vue from "@vitejs/plugin-vue";
import { defineConfig, type Plugin } from "vite";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * The two pages people open first, the partner board and the dashboard, preloaded by index.html
 * (`modulepreload`): their chunks then load beside the entry instead of after it has run.
 */
function preloadFirstPages(pages: string[]): Plugin {
  return {
    name: "zhulian-preload-first-pages",
    transformIndexHtml: {
      order: "post",
      handler(_html, context) {
        if (!context.bundle || !context.filename.endsWith("index.html")) return [];
        return Object.values(context.bundle)
          .filter((chunk) => chunk.type === "chunk" && pages.some((page) => chunk.facadeModuleId?.endsWith(`/pages/${page}`)))
          .map((chunk) => ({ tag: "link", attrs: { rel: "modulepreload", crossorigin: true, href: `/${chunk.fileName}` }, injectTo: "head" as const }));
      },
    },
  };
}

/**
 * The console (index.html) and the GraphQL IDE (graphiql.html), built into dist/console and served
 * by the API server itself: every asset is local, nothing is fetched from another origin.
 */
export default defineConfig({
  root: here("."),
  base: "/",
  plugins: [vue(), preloadFirstPages(["PartnerBoardPage.vue", "DashboardPage.vue"])],
  build: {
    outDir: here("../dist/console"),
    emptyOutDir: true,
    // .vite/manifest.json: which files each page loads (the size budget reads it).
    manifest: true,
    chunkSizeWarningLimit: 4096,
    rollupOptions: {
      input: { index: here("index.html"), graphiql: here("graphiql.html") },
      // GraphiQL's dependencies mark React modules "use client", which means nothing here.
      onwarn(warning, warn) {
        if (warning.code !== "MODULE_LEVEL_DIRECTIVE") warn(warning);
      },
    },
  },
  worker: { format: "es" },
});
