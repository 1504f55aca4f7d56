import { afterEach, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { acquireLock, assertUnlocked, lockFile, LockedError } from "../../app/.server/lock";

const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "gh-lock-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe("data directory lock", () => {
  it("keeps a second process out while the first holds it", async () => {
    const dir = tmp();
    // another live process holds the lock
    const holder = spawn(process.execPath, ["-e", "setTimeout(()=>{}, 30000)"]);
    try {
      fs.writeFileSync(lockFile(dir), String(holder.pid));
      expect(() => acquireLock(dir)).toThrow(LockedError);
      expect(() => assertUnlocked(dir)).toThrow(/holds .*gatehouse\.pid/);
    } finally {
      holder.kill();
    }
  });

  it("takes over a lock left by a dead process and releases its own", () => {
    const dir = tmp();
    fs.writeFileSync(lockFile(dir), "2147483646");
    const lock = acquireLock(dir);
    expect(fs.readFileSync(lockFile(dir), "utf8")).toBe(String(process.pid));
    expect(fs.statSync(lockFile(dir)).mode & 0o777).toBe(0o600);
    lock.release();
    expect(fs.existsSync(lockFile(dir))).toBe(false);
    assertUnlocked(dir);
  });
});
