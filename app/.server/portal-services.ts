/**
 * The portal's services on the composition root, as one field: `cp.portal`.
 */
import type { Kysely } from "kysely";
import type { Config } from "../../lib/config";
import type { Logger } from "../../lib/log";
import type { Database } from "./db/schema";
import { Emails } from "./email";
import { Templates } from "./templates";

export interface PortalServices {
  templates: Templates;
  emails: Emails;
  close(): Promise<void>;
}

export function createPortalServices(deps: { db: Kysely<Database>; config: Config; log: Logger; publicUrl: string }): PortalServices {
  const templates = new Templates(deps.config.templatesDir);
  const emails = new Emails(deps.db, templates, {
    smtpUrl: deps.config.smtpUrl,
    smtpFrom: deps.config.smtpFrom,
    log: deps.log,
    publicUrl: deps.publicUrl,
  });
  emails.start();
  return {
    templates,
    emails,
    async close() {
      await emails.close();
    },
  };
}
