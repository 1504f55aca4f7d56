#!/usr/bin/env node
// The `gatehouse` command: runs the compiled CLI (npm run build makes dist/).
import { existsSync } from "node:fs";

const cli = new URL("../dist/cli.js", import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write("gatehouse: not built yet: run `npm run build` (or `npm start`) first\n");
  process.exit(1);
}
const { run } = await import(cli.href);
await run(process.argv.slice(2));
