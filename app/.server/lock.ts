/**
 * The control plane's pid lock in $DATA_DIR. PGlite takes no lock of its own,
 * and two processes opening one data directory corrupt it: the lock file keeps
 * a second control plane (or a writing CLI command) out.
 */
import fs from "node:fs";
import path from "node:path";

export class LockedError extends Error {
  override name = "LockedError";
  constructor(
    readonly pid: number,
    readonly file: string,
  ) {
    super(`a Gatehouse control plane (pid ${pid}) holds ${file}; stop it first, or run this against it`);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export function lockFile(dataDir: string): string {
  return path.join(dataDir, "gatehouse.pid");
}

/** The pid holding the lock, or undefined (a lock left by a dead process does not count). */
export function lockHolder(dataDir: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(lockFile(dataDir), "utf8").trim());
    return Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

export interface Lock {
  release(): void;
}

export function acquireLock(dataDir: string): Lock {
  const file = lockFile(dataDir);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: "wx", mode: 0o600 });
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        try {
          if (fs.readFileSync(file, "utf8").trim() === String(process.pid)) fs.unlinkSync(file);
        } catch {
          /* already gone */
        }
      };
      process.once("exit", release);
      return { release };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const holder = lockHolder(dataDir);
      if (holder) throw new LockedError(holder, file);
      fs.rmSync(file, { force: true }); // stale: its process is gone
    }
  }
  throw new Error(`cannot take the lock ${file}`);
}

/** For CLI commands that write: refuse while a control plane holds the lock. */
export function assertUnlocked(dataDir: string): void {
  const holder = lockHolder(dataDir);
  if (holder) throw new LockedError(holder, lockFile(dataDir));
}
