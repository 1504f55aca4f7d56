import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["build/", "dist/", "node_modules/", ".data/", "test-results/", ".cache/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: "readonly", console: "readonly", Buffer: "readonly", URL: "readonly", URLSearchParams: "readonly",
        setTimeout: "readonly", clearTimeout: "readonly", setInterval: "readonly", clearInterval: "readonly",
        setImmediate: "readonly", crypto: "readonly", fetch: "readonly", Response: "readonly", Request: "readonly",
        Headers: "readonly", AbortController: "readonly", AbortSignal: "readonly", TextEncoder: "readonly",
        TextDecoder: "readonly", structuredClone: "readonly", queueMicrotask: "readonly", performance: "readonly",
        window: "readonly", document: "readonly", navigator: "readonly", FormData: "readonly", Blob: "readonly",
      },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      "@typescript-eslint/no-explicit-any": "warn",
      "no-empty": ["error", { allowEmptyCatch: true }],
    },
  },
);
