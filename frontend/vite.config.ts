/// <reference types="vitest/config" />
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

const monacoEsm = fileURLToPath(new URL("./node_modules/monaco-editor/esm/vs/", import.meta.url));
const backend = process.env.OBSERVER_BACKEND ?? "http://127.0.0.1:8000";

export default defineConfig({
  base: "/static/app/",
  plugins: [react()],
  resolve: {
    alias: [
      // Deep ESM imports of monaco (ours and y-monaco's) bypass the package's
      // "exports" map, which only knows .js files and would pull in every language.
      { find: /^monaco-editor\/esm\/vs\/(.*)$/, replacement: `${monacoEsm}$1` },
      { find: /^monaco-esm\/(.*)$/, replacement: `${monacoEsm}$1` },
    ],
  },
  build: {
    outDir: "../static/app",
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 4000,
    rolldownOptions: {
      output: {
        // Named chunks for the heavy, lazily loaded editor stack (the landing page needs none).
        advancedChunks: {
          groups: [
            // Vite's preload helper must not land in the monaco chunk (every page would load it).
            { name: "preload-helper", test: /vite\/preload-helper/, priority: 20 },
            { name: "monaco", test: /node_modules[\\/]monaco-editor[\\/]/, priority: 10 },
            { name: "xterm", test: /node_modules[\\/]@xterm[\\/]/ },
          ],
        },
      },
    },
  },
  server: {
    port: 5173,
    proxy: {
      "/api": { target: backend, changeOrigin: false },
      "/ws": { target: backend.replace(/^http/, "ws"), ws: true },
    },
  },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test/setup.ts"],
    css: false,
    restoreMocks: true,
    // Rendering a 50-row page through jsdom takes 5-9 s on a loaded 2-core machine (load 10):
    // the default 5 s limit failed tests that were only slow. Load must not fail a test.
    testTimeout: 30_000,
  },
});
