import { vitePlugin as remix } from "@remix-run/dev";
import { defineConfig } from "vite";
import path from "node:path";

declare module "@remix-run/node" {
  interface Future {
    v3_singleFetch: true;
  }
}

// The Remix plugin is skipped under vitest (STACK.md): tests import server modules directly.
export default defineConfig({
  resolve: { alias: { "~": path.resolve(__dirname, "app") } },
  plugins: process.env.VITEST
    ? []
    : [
        remix({
          ignoredRouteFiles: ["**/*.test.*"],
          future: {
            v3_fetcherPersist: true,
            v3_relativeSplatPath: true,
            v3_throwAbortReason: true,
            v3_singleFetch: true,
            v3_lazyRouteDiscovery: true,
          },
        }),
      ],
  build: { target: "es2022" },
});
