/**
 * `gatehouse keys rotate`: the next signing key (published in the JWKS since the
 * previous rotation) starts signing, the active key retires and stays published
 * until the tokens it signed have expired, and a new next key is published. The
 * config version moves, so data planes fetch the new JWKS with their snapshot.
 *
 * On the embedded database it refuses while a control plane holds the lock
 * (stop it, rotate, start it again). On PostgreSQL it runs beside running control
 * planes, which pick the new active key up within 30 seconds.
 */
import type { Config } from "../lib/config";
import { withCliDatabase } from "./database";
import type { Logger } from "../lib/log";
import { Keyring } from "../app/.server/crypto";
import { migrationState } from "../app/.server/db/migrate";
import { Keys } from "../app/.server/issuer/keys";
import { loadSecrets } from "../app/.server/secrets";

export async function runKeysRotate(config: Config, log: Logger): Promise<number> {
  return withCliDatabase(config, async (database) => {
    const state = await migrationState(database.db);
    if (state.pending.length) {
      process.stderr.write(`gatehouse keys rotate: the database has ${state.pending.length} pending migration(s): run \`gatehouse migrate\` first\n`);
      return 1;
    }
    const secrets = loadSecrets(config, log);
    const keys = new Keys(database.db, new Keyring(secrets.secret, config.previousSecrets), {
      alg: config.issuer.signingAlg,
      accessTokenTtl: config.issuer.accessTokenTtl,
    });
    const r = await keys.rotate();
    process.stdout.write(
      [
        `signing with  ${r.activated} (published since the previous rotation)`,
        r.retired ? `retired       ${r.retired} (published until its tokens have expired)` : undefined,
        `published     ${r.next} (the next key; signs after the next rotation)`,
        ...r.removed.map((k) => `removed       ${k} (its tokens have all expired)`),
      ]
        .filter(Boolean)
        .join("\n") + "\n",
    );
    return 0;
  });
}
