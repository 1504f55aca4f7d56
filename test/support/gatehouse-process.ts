/**
 * Runs the built `gatehouse` CLI as a child process (what `npm start` runs),
 * on loopback with port 0 for every listener, and stops it afterwards.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

export const ROOT = path.resolve(__dirname, "../..");
export const BIN = path.join(ROOT, "bin", "gatehouse.mjs");

export const PORT0_ENV: Record<string, string> = {
  PORTAL_LISTEN: "127.0.0.1:0",
  ADMIN_LISTEN: "127.0.0.1:0",
  CLUSTER_LISTEN: "127.0.0.1:0",
  PROXY_LISTEN: "127.0.0.1:0",
  STATUS_LISTEN: "127.0.0.1:0",
  DEMO_UPSTREAM_LISTEN: "127.0.0.1:0",
  LOG_FORMAT: "pretty",
};

export interface Started {
  proc: ChildProcess;
  output(): string;
  urls: Record<string, string>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs a one-shot command and returns its exit code and output. */
export function runCli(args: string[], env: Record<string, string | undefined>, timeoutMs = 60_000) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const proc = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, cwd: ROOT });
    let stdout = "";
    let stderr = "";
    proc.stdout.on("data", (d) => (stdout += d));
    proc.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`gatehouse ${args.join(" ")} timed out:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    proc.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** `gatehouse start`; resolves once it prints that it is ready, with the URLs it printed. */
export function startGatehouse(env: Record<string, string | undefined>, args: string[] = [], timeoutMs = 90_000): Promise<Started> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [BIN, "start", ...args], { env: { ...process.env, ...PORT0_ENV, ...env }, cwd: ROOT });
    let out = "";
    const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes("Press Ctrl-C to stop.")) {
        clearTimeout(timer);
        const urls: Record<string, string> = {};
        for (const m of out.matchAll(/^ {2}(Portal|Admin console|Issuer|Gateway|Admin API|Status)\s+(\S+)/gm)) urls[m[1]] = m[2];
        resolve({
          proc,
          output: () => out,
          urls,
          async stop(signal = "SIGTERM") {
            if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
            return exited;
          },
        });
      }
    };
    proc.stdout.on("data", onData);
    proc.stderr.on("data", onData);
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error("gatehouse start did not become ready:\n" + out));
    }, timeoutMs);
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`gatehouse start exited (${code}) before it was ready:\n${out}`));
    });
  });
}
