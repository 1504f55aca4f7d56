/**
 * Gateway entities, in the shape Kong's Admin API returns them (foreign keys as
 * `{id}` objects, timestamps in whole seconds). The Admin API, the declarative
 * loader and the config snapshot all speak these types.
 */

export interface ForeignKey {
  id: string;
}

export interface Service {
  id: string;
  name: string | null;
  protocol: "http" | "https";
  host: string;
  port: number;
  path: string | null;
  retries: number;
  connect_timeout: number;
  write_timeout: number;
  read_timeout: number;
  enabled: boolean;
  tags: string[];
  created_at: number;
  updated_at: number;
}

export interface Route {
  id: string;
  name: string | null;
  service: ForeignKey | null;
  protocols: string[];
  methods: string[] | null;
  hosts: string[] | null;
  paths: string[] | null;
  headers: Record<string, string[]> | null;
  strip_path: boolean;
  preserve_host: boolean;
  regex_priority: number;
  path_handling: "v0" | "v1";
  https_redirect_status_code: number;
  request_buffering: boolean;
  response_buffering: boolean;
  tags: string[];
  created_at: number;
  updated_at: number;
}

export interface Consumer {
  id: string;
  username: string | null;
  custom_id: string | null;
  /** Gatehouse: `application` consumers belong to a portal application and its IdP connection. */
  type: "proxy" | "application";
  idp_connection: ForeignKey | null;
  tags: string[];
  created_at: number;
  updated_at: number;
}

export interface Plugin {
  id: string;
  name: string;
  instance_name: string | null;
  config: Record<string, unknown>;
  service: ForeignKey | null;
  route: ForeignKey | null;
  consumer: ForeignKey | null;
  protocols: string[];
  enabled: boolean;
  tags: string[];
  created_at: number;
  updated_at: number;
}

export interface Acl {
  id: string;
  consumer: ForeignKey;
  group: string;
  tags: string[];
  created_at: number;
}

export type ApplicationInstanceStatus = "pending" | "approved" | "rejected" | "revoked";
