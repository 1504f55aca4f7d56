/**
 * Admin API routes other modules add (/idp-connections, /developers,
 * /applications, /services/{id}/application_instances, ...). Each is
 * `(cp, req) => Promise<AdminResponse | undefined>`; undefined means "not mine".
 * They run before the built-in Kong routes. Append one line each.
 */
import { applicationInstancesRoute } from "./application-instances";
import { applicationsRoute } from "./applications";
import { developersRoute } from "./developers";
import { handleIdpConnections } from "./idp-connections";
import { initialAccessTokensRoute } from "./initial-access-tokens";
import type { AdminRoute } from "./http";

export type { AdminRequest, AdminResponse, AdminRoute } from "./http";

export const EXTRA_ROUTES: AdminRoute[] = [
  developersRoute,
  applicationsRoute,
  applicationInstancesRoute,
  handleIdpConnections,
  initialAccessTokensRoute,
];
