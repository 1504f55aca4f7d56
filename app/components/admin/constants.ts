/** Word lists both the /admin pages and their server modules use (client-safe). */
export const DEVELOPER_STATUSES = ["requested", "approved", "rejected", "revoked"] as const;
export const INSTANCE_STATUSES = ["pending", "approved", "rejected", "revoked"] as const;
export const ADMIN_ROLES = ["read-only", "admin", "super-admin"] as const;
export const EMAIL_STATUSES = ["pending", "sent", "failed", "kept"] as const;
export const IDP_MODES = ["builtin", "dcr", "manual"] as const;
