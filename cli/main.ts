/**
 * The `gatehouse` CLI. Every subcommand answers --help.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { ConfigError, loadConfig, type Config } from "../lib/config";
import { createLogger, type Logger } from "../lib/log";

export const VERSION = "0.1.0";

interface Command {
  summary: string;
  usage: string;
  help: string;
  options: NonNullable<ParseArgsConfig["options"]>;
  allowPositionals?: boolean;
  run(args: { values: Record<string, string | boolean | undefined>; positionals: string[] }): Promise<number | void>;
}

export class UsageError extends Error {
  override name = "UsageError";
}

function logger(config: Config, component: string): Logger {
  return createLogger({ level: config.logLevel, format: config.logFormat, component });
}

const commands: Record<string, Command> = {
  start: {
    summary: "run everything on one machine: control plane, one data plane, the demo upstream",
    usage: "gatehouse start [--no-demo]",
    help: `Starts the control plane (portal ${"$"}PORTAL_LISTEN, Admin API ${"$"}ADMIN_LISTEN, cluster ${"$"}CLUSTER_LISTEN),
one data plane in its own process (proxy ${"$"}PROXY_LISTEN, status ${"$"}STATUS_LISTEN) and the demo upstream
(${"$"}DEMO_UPSTREAM_LISTEN). The first start creates the database, runs migrations, creates the first admin
and seeds the demo API. Prints the URLs once everything is ready; Ctrl-C stops every process.

Options:
  --no-demo   do not run the demo upstream nor seed the demo API`,
    options: { "no-demo": { type: "boolean" } },
    async run({ values }) {
      const config = loadConfig();
      const { runStart } = await import("./start");
      return runStart(config, { demo: !values["no-demo"] });
    },
  },
  "control-plane": {
    summary: "run the control plane: portal, built-in issuer, Admin API, cluster listener",
    usage: "gatehouse control-plane",
    help: `Runs the control plane alone. It owns the database (DATABASE_URL, or PGlite in ${"$"}DATA_DIR/pglite),
runs pending migrations on boot and holds the lock file ${"$"}DATA_DIR/gatehouse.pid.`,
    options: { ipc: { type: "boolean" } },
    async run() {
      const config = loadConfig();
      const { runControlPlaneProcess } = await import("./processes");
      return runControlPlaneProcess(config, logger(config, "cp"));
    },
  },
  gateway: {
    summary: "run a data plane (hybrid with --control-plane, DB-less with --config)",
    usage: "gatehouse gateway (--control-plane URL | --config kong.yaml)",
    help: `Runs a gateway data plane on ${"$"}PROXY_LISTEN with its status listener on ${"$"}STATUS_LISTEN.

Options:
  --control-plane URL   hybrid mode: long-poll this cluster listener (with ${"$"}CLUSTER_TOKEN) for config;
                        the last snapshot is cached in ${"$"}DATA_DIR and used when the control plane is down
  --config FILE         DB-less mode: serve Kong's declarative format (_format_version "3.0")`,
    options: { "control-plane": { type: "string" }, config: { type: "string" } },
    async run({ values }) {
      const cpUrl = values["control-plane"] as string | undefined;
      const file = values.config as string | undefined;
      if (!!cpUrl === !!file) throw new UsageError("gateway needs exactly one of --control-plane URL or --config FILE");
      const config = loadConfig(process.env, { role: "data-plane" });
      const { runDataPlaneProcess } = await import("./processes");
      return runDataPlaneProcess(config, logger(config, "dp"), { controlPlane: cpUrl, declarativeFile: file });
    },
  },
  migrate: {
    summary: "apply pending database migrations",
    usage: "gatehouse migrate [--status]",
    help: `Applies pending migrations to DATABASE_URL, or to the embedded database in ${"$"}DATA_DIR/pglite.
With the embedded database it refuses while a control plane holds ${"$"}DATA_DIR/gatehouse.pid
(the control plane runs pending migrations itself when it starts).

Options:
  --status   list applied and pending migrations, change nothing`,
    options: { status: { type: "boolean" } },
    async run({ values }) {
      const config = loadConfig();
      const { runMigrate } = await import("./migrate");
      return runMigrate(config, { statusOnly: !!values.status });
    },
  },
  keys: {
    summary: "manage the built-in issuer's signing keys (keys rotate)",
    usage: "gatehouse keys rotate",
    help: `keys rotate   publish a new signing key now and start signing with it once data planes and
              relying parties have had time to fetch it; retired keys stay published until the
              tokens they signed have expired.`,
    options: {},
    allowPositionals: true,
    async run({ positionals }) {
      if (positionals[0] !== "rotate") throw new UsageError("usage: gatehouse keys rotate");
      const config = loadConfig();
      const { runKeysRotate } = await import("./keys");
      return runKeysRotate(config, logger(config, "keys"));
    },
  },
  config: {
    summary: "check a declarative config file (config validate FILE)",
    usage: "gatehouse config validate FILE",
    help: "config validate FILE   check a Kong declarative file (kong.yaml) and report every error with its path.",
    options: {},
    allowPositionals: true,
    async run({ positionals }) {
      if (positionals[0] !== "validate" || !positionals[1]) throw new UsageError("usage: gatehouse config validate FILE");
      const { runConfigValidate } = await import("./config-validate");
      return runConfigValidate(positionals[1]);
    },
  },
};

function mainHelp(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return `gatehouse ${VERSION}: developer portal, OAuth2 issuer and API gateway

Usage: gatehouse <command> [options]

Commands:
${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
  .join("\n")}

Run \`gatehouse <command> --help\` for a command's options. Environment variables: see README.md.`;
}

/** Known failures print one line; anything else is a bug and keeps its stack. */
export function describeFailure(err: unknown): string | undefined {
  const name = (err as Error)?.name;
  const known = new Set([
    "ConfigError",
    "UsageError",
    "DatabaseUnavailableError",
    "LockedError",
    "MigrationError",
    "PortalNotBuiltError",
    "DecryptionError",
    "DeclarativeConfigError",
  ]);
  if (known.has(name)) return (err as Error).message;
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL") {
    const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
    return `cannot listen on ${e.address ?? "?"}:${e.port ?? "?"}: ${code === "EADDRINUSE" ? "address already in use" : code}`;
  }
  return undefined;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    process.stdout.write(mainHelp() + "\n");
    return name ? 0 : 2;
  }
  if (name === "--version" || name === "-v") {
    process.stdout.write(VERSION + "\n");
    return 0;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`gatehouse: unknown command ${JSON.stringify(name)}\n\n${mainHelp()}\n`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    process.stdout.write(`Usage: ${command.usage}\n\n${command.help}\n`);
    return 0;
  }
  try {
    const parsed = parseArgs({ args: rest, options: command.options, allowPositionals: !!command.allowPositionals, strict: true });
    const code = await command.run(parsed as never);
    return typeof code === "number" ? code : 0;
  } catch (err) {
    const line = describeFailure(err) ?? ((err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") ? (err as Error).message : undefined);
    if (line !== undefined) {
      process.stderr.write(`gatehouse ${name}: ${line}\n`);
      return err instanceof ConfigError || err instanceof UsageError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") ? 2 : 1;
    }
    throw err;
  }
}

/** Entry point of bin/gatehouse.mjs: runs a command and sets the exit code. */
export async function run(argv = process.argv.slice(2)): Promise<void> {
  try {
    const code = await main(argv);
    process.exitCode = code;
    // A command that has finished must not linger on a forgotten handle.
    setTimeout(() => process.exit(), 3000).unref();
  } catch (err) {
    process.stderr.write(`gatehouse: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  }
}
