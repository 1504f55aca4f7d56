/**
 * The composition root of the control plane: one database handle, one keyring,
 * one set of services, built once per process and handed to Remix
 * (getLoadContext), the Admin API and the cluster listener.
 *
 * Module-level state is not allowed in app/.server: Remix's server build bundles
 * its own copy of any module a route imports, so state lives in the objects
 * created here and reaches routes through `context.cp`.
 */
import type { Kysely } from "kysely";
import type { Config } from "../../lib/config";
import type { Logger } from "../../lib/log";
import { ConfigEvents, readConfigVersion } from "./config-version";
import { Keyring } from "./crypto";
import { ping, type Db } from "./db/index";
import { migrationState } from "./db/migrate";
import type { Database } from "./db/schema";
import type { Secrets } from "./secrets";
import { Sessions } from "./auth/sessions";
import { Settings } from "./settings";
import { createIssuer, type Issuer } from "./issuer/index";
import { createPortalServices, type PortalServices } from "./portal-services";
import { builtinClientsApi } from "./idp/builtin";

export interface Urls {
  /** PUBLIC_URL: the portal. */
  public: string;
  /** PROXY_URL: the gateway developers call. */
  proxy: string;
  /** The built-in issuer: <PUBLIC_URL>/oauth2. */
  issuer: string;
}

export interface Health {
  status: "ok" | "unavailable";
  database: { dialect: Db["dialect"]; ok: boolean };
  migrations: { applied: number; pending: number; latest?: string };
  config_version?: number;
}

export interface ControlPlane {
  config: Config;
  urls: Urls;
  log: Logger;
  database: Db;
  db: Kysely<Database>;
  keyring: Keyring;
  secrets: Secrets;
  configEvents: ConfigEvents;
  sessions: Sessions;
  settings: Settings;
  /** The built-in issuer (<PUBLIC_URL>/oauth2): plain HTTP handler, clients, keys, DCR. */
  issuer: Issuer;
  /** Developer portal: templates, emails, applications, IdP adapters and outbox (issue 6). */
  portal: PortalServices;
  health(): Promise<Health>;
  /** Stops background work (workers, timers); the caller closes the database. */
  close(): Promise<void>;
}

export interface ControlPlaneDeps {
  config: Config;
  urls: Urls;
  log: Logger;
  database: Db;
  secrets: Secrets;
}

export async function createControlPlane(deps: ControlPlaneDeps): Promise<ControlPlane> {
  const { database, log } = deps;
  const db = database.db;
  const keyring = new Keyring(deps.secrets.secret, deps.config.previousSecrets);
  const configEvents = new ConfigEvents();
  configEvents.observe(await readConfigVersion(db));
  const closers: (() => Promise<void> | void)[] = [];
  const issuer = await createIssuer({ db, keyring, config: deps.config, urls: deps.urls, log, configEvents });

  const cp: ControlPlane = {
    ...deps,
    db,
    keyring,
    configEvents,
    sessions: new Sessions(db, { masterSecret: deps.secrets.secret, publicUrl: deps.urls.public }),
    settings: new Settings(db),
    issuer,
    portal: createPortalServices({
      db,
      config: deps.config,
      log,
      keyring,
      configEvents,
      urls: deps.urls,
      builtinClients: () => builtinClientsApi(issuer.clients, db),
    }),
    async health() {
      const ok = await ping(db);
      if (!ok) return { status: "unavailable", database: { dialect: database.dialect, ok }, migrations: { applied: 0, pending: 0 } };
      const m = await migrationState(db);
      return {
        status: m.pending.length ? "unavailable" : "ok",
        database: { dialect: database.dialect, ok },
        migrations: { applied: m.applied.length, pending: m.pending.length, latest: m.applied.at(-1) },
        config_version: configEvents.version,
      };
    },
    async close() {
      for (const c of closers.reverse()) await c();
    },
  };
  closers.push(() => cp.portal.close());
  log.debug("control plane composed", { dialect: database.dialect });
  return cp;
}
