/**
 * Portal settings (the `settings` table), with typed defaults.
 */
import type { Kysely } from "kysely";
import type { Database } from "./db/schema";

export interface PortalSettings {
  /** New developers are approved at once (else they wait for an admin). */
  "portal.developer_auto_approve": boolean;
  /** Developers must verify their email address before they can log in. */
  "portal.email_verification": boolean;
  /** Extra sign-up fields: [{name, label, required}] stored in developers.meta. */
  "portal.developer_meta_fields": { name: string; label: string; required: boolean }[];
  /** The portal's display name. */
  "portal.name": string;
}

export const SETTING_DEFAULTS: PortalSettings = {
  "portal.developer_auto_approve": true,
  "portal.email_verification": false,
  "portal.developer_meta_fields": [],
  "portal.name": "Gatehouse",
};

export class Settings {
  constructor(private readonly db: Kysely<Database>) {}

  async get<K extends keyof PortalSettings>(key: K): Promise<PortalSettings[K]> {
    const row = await this.db.selectFrom("settings").select("value").where("key", "=", key).executeTakeFirst();
    return row ? (row.value as PortalSettings[K]) : SETTING_DEFAULTS[key];
  }

  async all(): Promise<PortalSettings> {
    const rows = await this.db.selectFrom("settings").select(["key", "value"]).where("key", "like", "portal.%").execute();
    const out = { ...SETTING_DEFAULTS } as Record<string, unknown>;
    for (const r of rows) if (r.key in SETTING_DEFAULTS) out[r.key] = r.value;
    return out as unknown as PortalSettings;
  }

  async set<K extends keyof PortalSettings>(key: K, value: PortalSettings[K]): Promise<void> {
    await this.db
      .insertInto("settings")
      .values({ key, value: JSON.stringify(value) })
      .onConflict((oc) => oc.column("key").doUpdateSet({ value: JSON.stringify(value), updated_at: new Date() }))
      .execute();
  }
}
