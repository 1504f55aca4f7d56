/**
 * `gatehouse start`: the whole single-machine system. The control plane and the
 * data plane each run in their own process (the embedded database never blocks
 * the proxy's event loop); the demo upstream runs in this one. Prints the URLs
 * once everything is ready and stops every child on SIGINT/SIGTERM.
 */
import { fork, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { formatListen, type Config } from "../lib/config";
import { createLogger } from "../lib/log";
import { startDemoUpstream, type DemoUpstream } from "./demo-upstream";
import type { ReadyMessage } from "./processes";

const READY_TIMEOUT_MS = 120_000;

function cliEntry(): string {
  // bin/gatehouse.mjs, or dist/cli.js when run directly
  return process.argv[1];
}

interface Child {
  name: string;
  proc: ChildProcess;
  exited: Promise<number>;
}

function spawnChild(name: string, args: string[], env: NodeJS.ProcessEnv): Child {
  const proc = fork(cliEntry(), args, { env, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const exited = new Promise<number>((resolve) => proc.once("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0))));
  return { name, proc, exited };
}

function waitReady<T extends ReadyMessage>(child: Child): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${child.name} did not become ready within ${READY_TIMEOUT_MS / 1000}s`)), READY_TIMEOUT_MS);
    child.proc.on("message", (m: ReadyMessage) => {
      if (m?.type === "ready") {
        clearTimeout(timer);
        resolve(m as T);
      }
    });
    child.exited.then((code) => {
      clearTimeout(timer);
      reject(new ChildFailed(`${child.name} exited (code ${code}) before it was ready`));
    });
  });
}

class ChildFailed extends Error {}

async function stopChild(child: Child, graceMs = 10_000): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  child.proc.kill("SIGTERM");
  const timer = setTimeout(() => child.proc.kill("SIGKILL"), graceMs);
  await child.exited;
  clearTimeout(timer);
}

export async function runStart(config: Config, opts: { demo: boolean }): Promise<number> {
  const log = createLogger({ level: config.logLevel, format: config.logFormat, component: "start" });
  const children: Child[] = [];
  let demo: DemoUpstream | undefined;
  let stopping = false;
  const stopAll = async () => {
    stopping = true;
    await Promise.all(children.reverse().map((c) => stopChild(c)));
    await demo?.close();
  };
  const signalled = new Promise<string>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });

  try {
    if (opts.demo) {
      demo = await startDemoUpstream(config.demoUpstreamListen);
      log.info("demo upstream listening", { address: formatListen(demo.address) });
    }
    const baseEnv = { ...process.env };
    const cp = spawnChild("control plane", ["control-plane", "--ipc"], {
      ...baseEnv,
      ...(demo ? { GATEHOUSE_DEMO_UPSTREAM: formatListen(demo.address) } : {}),
    });
    children.push(cp);
    const cpReady = await Promise.race([waitReady<Extract<ReadyMessage, { role: "control-plane" }>>(cp), signalled.then(() => undefined)]);
    if (!cpReady) {
      await stopAll();
      return 0;
    }

    // The data plane fetches config from the control plane's cluster listener.
    const clusterHost = ["0.0.0.0", "::"].includes(cpReady.cluster.host) ? "127.0.0.1" : cpReady.cluster.host;
    const clusterToken = process.env.CLUSTER_TOKEN || fs.readFileSync(path.join(config.dataDir, "cluster_token"), "utf8").trim();
    const dp = spawnChild("data plane", ["gateway", "--control-plane", `http://${formatListen({ host: clusterHost, port: cpReady.cluster.port })}`], {
      ...baseEnv,
      CLUSTER_TOKEN: clusterToken,
    });
    children.push(dp);
    const dpReady = await Promise.race([waitReady<Extract<ReadyMessage, { role: "data-plane" }>>(dp), signalled.then(() => undefined)]);
    if (!dpReady) {
      await stopAll();
      return 0;
    }

    const lines = [
      "",
      "Gatehouse is ready.",
      `  Portal        ${cpReady.publicUrl}`,
      `  Admin console ${cpReady.publicUrl}/admin`,
      `  Issuer        ${cpReady.publicUrl}/oauth2`,
      `  Gateway       http://${formatListen({ host: dpReady.proxy.host === "0.0.0.0" ? "localhost" : dpReady.proxy.host, port: dpReady.proxy.port })}${demo ? "   (demo API: /demo)" : ""}`,
      `  Admin API     http://${formatListen(cpReady.admin)}`,
      `  Status        http://${formatListen(dpReady.status)}/status`,
    ];
    if (cpReady.firstAdmin) {
      lines.push(
        "",
        `First admin: ${cpReady.firstAdmin.email}` +
          (cpReady.firstAdmin.generatedPassword ? ` / password ${cpReady.firstAdmin.generatedPassword}  (shown once)` : " (password from ADMIN_PASSWORD)"),
      );
    }
    lines.push("", "Press Ctrl-C to stop.", "");
    process.stdout.write(lines.join("\n") + "\n");

    // Run until a signal, or until a child dies on its own.
    const outcome = await Promise.race([
      signalled.then((s) => ({ signal: s })),
      ...children.map((c) => c.exited.then((code) => ({ child: c.name, code }))),
    ]);
    if ("signal" in outcome) {
      log.info("stopping", { signal: outcome.signal });
      await stopAll();
      log.info("stopped");
      return 0;
    }
    log.error(`${outcome.child} exited unexpectedly (code ${outcome.code}); stopping the rest`);
    await stopAll();
    return 1;
  } catch (err) {
    if (!stopping) await stopAll();
    if (err instanceof ChildFailed) {
      process.stderr.write(`gatehouse start: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
