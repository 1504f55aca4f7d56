/**
 * application-registration (Kong Enterprise's Dev Portal plugin): marks a
 * service as offered in the portal's catalog. Service scope only.
 */
import { f, type PluginSchema } from "./types";

export const applicationRegistrationSchema: PluginSchema = {
  name: "application-registration",
  priority: 995,
  scopes: { global: false, service: true, route: false, consumer: false },
  fields: {
    display_name: f.req({ len_min: 1 }),
    description: f.str(),
    auto_approve: f.bool(false),
    show_issuer: f.bool(false),
    enable_proxy_with_consumer_credential: f.bool(false),
  },
};
