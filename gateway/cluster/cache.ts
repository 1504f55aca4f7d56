/**
 * The data plane's on-disk snapshot cache: written before a snapshot is
 * applied (temporary file, mode 0600, fsync, atomic rename), read at boot when
 * the control plane cannot be reached.
 */
import fs from "node:fs";
import path from "node:path";
import { SNAPSHOT_FORMAT_VERSION, type Snapshot } from "../contract/snapshot";

export const SNAPSHOT_FILE = "dp-snapshot.json";

export function writeSnapshotFile(file: string, snapshot: Snapshot): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  const fd = fs.openSync(tmp, "w", 0o600);
  try {
    fs.writeSync(fd, JSON.stringify(snapshot));
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
}

export function readSnapshotFile(file: string): Snapshot | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  const s = JSON.parse(text) as Snapshot;
  if (s?.format_version !== SNAPSHOT_FORMAT_VERSION || typeof s.version !== "number") {
    throw new Error(`${file}: not a Gatehouse snapshot of format ${SNAPSHOT_FORMAT_VERSION}`);
  }
  return s;
}
