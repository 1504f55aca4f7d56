/**
 * The portal's services on the composition root, as one field: `cp.portal`.
 * Registrations (registrations.ts) are plain functions taking `cp` itself.
 */
import type { Kysely } from "kysely";
import type { Config } from "../../lib/config";
import type { Logger } from "../../lib/log";
import { Applications } from "./applications";
import { Catalog } from "./catalog";
import type { ConfigEvents } from "./config-version";
import type { Keyring } from "./crypto";
import type { Database } from "./db/schema";
import { Emails } from "./email";
import type { BuiltinClientsApi } from "./idp/builtin";
import { IdpConnections } from "./idp/connections";
import { IdpOutbox, type OutboxOptions } from "./idp/outbox";
import { LoginThrottle } from "./throttle";
import { Templates } from "./templates";

export interface PortalServices {
  templates: Templates;
  emails: Emails;
  connections: IdpConnections;
  outbox: IdpOutbox;
  applications: Applications;
  catalog: Catalog;
  throttle: LoginThrottle;
  close(): Promise<void>;
}

export interface PortalServicesDeps {
  db: Kysely<Database>;
  config: Config;
  log: Logger;
  keyring: Keyring;
  configEvents: ConfigEvents;
  urls: { public: string; proxy: string; issuer: string };
  /** The built-in issuer's clients API (cp.issuer.clients), looked up when first needed. */
  builtinClients?: () => BuiltinClientsApi | undefined;
  outbox?: OutboxOptions;
}

export function createPortalServices(deps: PortalServicesDeps): PortalServices {
  const { db, log } = deps;
  const templates = new Templates(deps.config.templatesDir);
  const emails = new Emails(db, templates, { smtpUrl: deps.config.smtpUrl, smtpFrom: deps.config.smtpFrom, log, publicUrl: deps.urls.public });
  const connections = new IdpConnections(db, deps.keyring, deps.configEvents, {
    allowHttp: deps.config.env !== "production",
    builtinClients: deps.builtinClients,
  });
  const outbox = new IdpOutbox(db, deps.keyring, deps.configEvents, connections, log.child("idp-outbox"), deps.outbox);
  const applications = new Applications(db, deps.keyring, deps.configEvents, connections, outbox);
  const catalog = new Catalog(db, templates, deps.urls);
  emails.start();
  void outbox.start().catch((err) => log.error("idp outbox did not start", { err }));
  return {
    templates,
    emails,
    connections,
    outbox,
    applications,
    catalog,
    throttle: new LoginThrottle(),
    async close() {
      await outbox.close();
      await emails.close();
    },
  };
}
