/**
 * The master key and the Admin/Cluster tokens: from the environment, or
 * generated once into $DATA_DIR (mode 0600) with a warning.
 */
import fs from "node:fs";
import path from "node:path";
import { ConfigError, type Config } from "../../lib/config";
import type { Logger } from "../../lib/log";
import { randomToken } from "./crypto";

export interface Secrets {
  secret: string;
  adminToken: string;
  clusterToken: string;
}

function readOrCreate(file: string, create: () => string): { value: string; created: boolean } {
  try {
    const value = fs.readFileSync(file, "utf8").trim();
    if (value) return { value, created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const value = create();
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, value + "\n", { mode: 0o600 });
  fs.renameSync(tmp, file);
  return { value, created: true };
}

export function loadSecrets(config: Config, log: Logger): Secrets {
  if (config.env === "production" && (!config.secret || !config.adminToken)) {
    throw new ConfigError("GATEHOUSE_SECRET and ADMIN_TOKEN are required when GATEHOUSE_ENV=production");
  }
  let secret = config.secret;
  if (!secret) {
    const r = readOrCreate(path.join(config.dataDir, "secret"), () => randomToken(32));
    secret = r.value;
    const file = path.join(config.dataDir, "secret");
    if (r.created) log.warn("GATEHOUSE_SECRET is not set: generated a master key (set GATEHOUSE_SECRET in production)", { file });
    else log.info("GATEHOUSE_SECRET is not set: using the generated master key", { file });
  }
  const adminToken = config.adminToken ?? readOrCreate(path.join(config.dataDir, "admin_token"), () => randomToken(32)).value;
  const clusterToken =
    config.clusterToken ?? readOrCreate(path.join(config.dataDir, "cluster_token"), () => randomToken(32)).value;
  return { secret, adminToken, clusterToken };
}
