/** `gatehouse keys rotate`: arrives with the built-in issuer. */
import type { Config } from "../lib/config";
import type { Logger } from "../lib/log";

export async function runKeysRotate(_config: Config, _log: Logger): Promise<number> {
  process.stderr.write("gatehouse keys rotate: the built-in issuer's key management is not implemented yet\n");
  return 1;
}
