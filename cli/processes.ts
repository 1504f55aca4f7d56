/**
 * The long-running processes: control plane and data plane. Each stops cleanly
 * on SIGINT/SIGTERM, or when the `gatehouse start` parent that spawned it goes
 * away (its IPC channel disconnects). With an IPC channel, each reports
 * `{type: "ready", ...}` to its parent once it listens.
 */
import type { Config } from "../lib/config";
import type { Logger } from "../lib/log";

export type ReadyMessage =
  | {
      type: "ready";
      role: "control-plane";
      publicUrl: string;
      proxyUrl: string;
      portal: { host: string; port: number };
      admin: { host: string; port: number };
      cluster: { host: string; port: number };
      firstAdmin?: { email: string; generatedPassword?: string };
    }
  | { type: "ready"; role: "data-plane"; proxy: { host: string; port: number }; status: { host: string; port: number } };

/** Resolves once the process is asked to stop (signal, or the parent's IPC channel closing). */
function stopRequested(log: Logger): Promise<string> {
  return new Promise((resolve) => {
    const done = (why: string) => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      process.off("disconnect", onDisconnect);
      resolve(why);
    };
    const onInt = () => done("SIGINT");
    const onTerm = () => done("SIGTERM");
    const onDisconnect = () => {
      log.warn("parent process went away: stopping");
      done("disconnect");
    };
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onTerm);
    if (process.send) process.on("disconnect", onDisconnect);
  });
}

function report(msg: ReadyMessage): void {
  if (process.send && process.connected) process.send(msg);
}

export async function runControlPlaneProcess(config: Config, log: Logger): Promise<number> {
  const { startControlPlane } = await import("../app/.server/main");
  const demo = process.env.GATEHOUSE_DEMO_UPSTREAM;
  const demoUpstream = demo ? { host: demo.slice(0, demo.lastIndexOf(":")), port: Number(demo.slice(demo.lastIndexOf(":") + 1)) } : undefined;
  const stop = stopRequested(log);
  const running = await startControlPlane({ config, log, demoUpstream });
  report({
    type: "ready",
    role: "control-plane",
    publicUrl: running.cp.urls.public,
    proxyUrl: running.cp.urls.proxy,
    portal: running.addresses.portal,
    admin: running.addresses.admin,
    cluster: running.addresses.cluster,
    firstAdmin: running.firstAdmin,
  });
  if (running.firstAdmin?.generatedPassword && !process.send) {
    process.stdout.write(
      `\nFirst admin created: ${running.firstAdmin.email} / ${running.firstAdmin.generatedPassword}\n(shown once; set ADMIN_PASSWORD to choose it)\n\n`,
    );
  }
  const why = await stop;
  log.info("stopping control plane", { signal: why });
  await running.stop();
  log.info("control plane stopped");
  return 0;
}

export async function runDataPlaneProcess(
  config: Config,
  log: Logger,
  mode: { controlPlane?: string; declarativeFile?: string },
): Promise<number> {
  const { startDataPlane } = await import("../gateway/main");
  const stop = stopRequested(log);
  const running = await startDataPlane({ config, log, ...mode });
  report({ type: "ready", role: "data-plane", proxy: running.addresses.proxy, status: running.addresses.status });
  const why = await stop;
  log.info("stopping data plane", { signal: why });
  await running.stop();
  log.info("data plane stopped");
  return 0;
}
