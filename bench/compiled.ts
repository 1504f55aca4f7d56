/**
 * Server processes of a benchmark run compiled the way production runs them
 * (esbuild, as scripts/build-server.mjs does), not through tsx: tsx's transform
 * wraps every function in a keepNames helper call, a per-request cost for each
 * closure that production code does not pay.
 */
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

/** Compiles a bench script (and what it imports from the repo) to .cache/<name>.mjs and returns its path. */
export function compiled(entryUrl: string, name: string): Promise<string> {
  let done = builds.get(name);
  if (!done) {
    const out = fileURLToPath(new URL(`../.cache/${name}.mjs`, import.meta.url));
    done = build({ entryPoints: [fileURLToPath(entryUrl)], outfile: out, bundle: true, format: "esm", platform: "node", target: "node20", packages: "external", logLevel: "warning" }).then(() => out);
    builds.set(name, done);
  }
  return done;
}

const builds = new Map<string, Promise<string>>();
