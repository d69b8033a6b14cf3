import { fileURLToPath } from "node:url";
import vue from "@vitejs/plugin-vue";
import { defineConfig } from "vite";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * The console (index.html) and the GraphQL IDE (graphiql.html), built into dist/console and served
 * by the API server itself: every asset is local, nothing is fetched from another origin.
 */
export default defineConfig({
  root: here("."),
  base: "/",
  plugins: [vue()],
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
