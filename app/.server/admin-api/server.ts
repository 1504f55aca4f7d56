/**
 * The Admin API listener (ADMIN_LISTEN, loopback by default), served by the
 * control plane only. Every request must carry a Host that is an allowed name
 * (DNS rebinding guard) and no foreign `Origin` (no browser page can call it),
 * and ADMIN_TOKEN (`Kong-Admin-Token` header or `Authorization: Bearer`)
 * unless tokenOptional() holds: in development, on loopback, with no
 * ADMIN_TOKEN set, the Admin API is open to local callers as Kong's is, so
 * Kong's curl examples work verbatim. A token that is presented must be right.
 * Extension routes (extensions.ts) run before Kong's entity routes.
 */
import type http from "node:http";
import { isLoopback } from "../../../lib/config";
import type { ControlPlane } from "../context";
import { safeEqual } from "../crypto";
import { BodyTooLargeError, readBody, sendJson } from "../http/util";
import { kongRoutes } from "./entities";
import { EXTRA_ROUTES } from "./extensions";
import { AdminError, decodeBody, serviceError, type AdminRequest, type AdminResponse } from "./http";

const VERSION = "0.1.0";

function hostAllowed(cp: ControlPlane, hostHeader: string | undefined): boolean {
  if (!hostHeader) return false;
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hostHeader.trim().toLowerCase());
  if (!m) return false;
  const name = m[1];
  const allowed = new Set(cp.config.adminAllowedHosts);
  const listenHost = cp.config.listen.admin.host.toLowerCase();
  allowed.add(listenHost.includes(":") ? `[${listenHost}]` : listenHost);
  return allowed.has(name);
}

function originAllowed(cp: ControlPlane, origin: string | undefined, hostHeader: string | undefined): boolean {
  if (origin === undefined) return true;
  try {
    const o = new URL(origin);
    return (o.protocol === "http:" || o.protocol === "https:") && o.host.toLowerCase() === (hostHeader ?? "").toLowerCase() && hostAllowed(cp, o.host);
  } catch {
    return false;
  }
}

function token(req: http.IncomingMessage): string | undefined {
  const k = req.headers["kong-admin-token"];
  if (typeof k === "string" && k) return k;
  const a = req.headers.authorization;
  if (a && /^bearer\s+/i.test(a)) return a.replace(/^bearer\s+/i, "").trim();
  return undefined;
}

function nodeInfo(cp: ControlPlane): AdminResponse {
  return {
    status: 200,
    body: {
      tagline: "Welcome to gatehouse",
      version: VERSION,
      hostname: process.env.HOSTNAME ?? "",
      node_id: cp.config.dataDir,
      lua_version: null,
      configuration: {
        database: cp.database.dialect === "postgres" ? "postgres" : "pglite",
        role: "control_plane",
        admin_listen: [`${cp.config.listen.admin.host}:${cp.config.listen.admin.port}`],
        cluster_listen: [`${cp.config.listen.cluster.host}:${cp.config.listen.cluster.port}`],
        proxy_url: cp.urls.proxy,
        public_url: cp.urls.public,
      },
      plugins: { available_on_server: {}, enabled_in_cluster: [] },
      config_version: cp.configEvents.version,
    },
  };
}

export function createAdminHandler(cp: ControlPlane): http.RequestListener {
  const log = cp.log.child("admin-api");
  return (req, res) => {
    void (async () => {
      const host = req.headers.host;
      if (!hostAllowed(cp, host)) {
        return sendJson(res, 403, { message: `Host ${JSON.stringify(host ?? "")} is not allowed: add it to ADMIN_ALLOWED_HOSTS` });
      }
      if (!originAllowed(cp, req.headers.origin, host)) {
        return sendJson(res, 403, { message: "cross-origin requests are refused: the Admin API is not for browsers" });
      }
      const presented = token(req);
      if (presented === undefined ? !tokenOptional(cp) : !safeEqual(presented, cp.secrets.adminToken)) {
        return sendJson(res, 401, { message: "Unauthorized: send ADMIN_TOKEN in a Kong-Admin-Token header or as `Authorization: Bearer <token>`" }, { "www-authenticate": 'Bearer realm="gatehouse-admin"' });
      }
      const url = new URL(req.url ?? "/", "http://admin");
      let segments: string[];
      try {
        segments = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
      } catch {
        return sendJson(res, 400, { message: "invalid percent-encoding in the path" });
      }
      const method = (req.method ?? "GET").toUpperCase();
      let raw: Buffer = Buffer.alloc(0);
      if (method !== "GET" && method !== "HEAD" && method !== "DELETE") {
        try {
          raw = await readBody(req, 2 * 1024 * 1024);
        } catch (err) {
          if (err instanceof BodyTooLargeError) return sendJson(res, 413, { message: "request body over 2 MiB" });
          throw err;
        }
      }
      let out: AdminResponse | undefined;
      try {
        const { body, form } = decodeBody(req.headers["content-type"], raw);
        const areq: AdminRequest = { method, path: url.pathname, segments, query: url.searchParams, headers: req.headers, body, form };
        if (segments.length === 0) {
          out = method === "GET" || method === "HEAD" ? nodeInfo(cp) : { status: 405, body: { message: "Method not allowed" } };
        } else if (segments.length === 1 && segments[0] === "status" && method === "GET") {
          const h = await cp.health();
          out = { status: 200, body: { database: { reachable: h.database.ok }, server: { connections_active: null }, config_version: cp.configEvents.version } };
        } else {
          for (const route of EXTRA_ROUTES) {
            out = await route(cp, areq);
            if (out) break;
          }
          out ??= await kongRoutes(cp, areq);
        }
        out ??= { status: 404, body: { message: "Not found" } };
      } catch (err) {
        const mapped = err instanceof AdminError ? { status: err.status, body: err.body } : serviceError(err);
        if (mapped) out = mapped;
        else {
          log.error("Admin API request failed", { err, method, path: url.pathname });
          out = { status: 500, body: { message: "An unexpected error occurred" } };
        }
      }
      if (out.status === 204 || out.body === undefined) {
        res.writeHead(out.status, out.headers ?? {});
        res.end();
        return;
      }
      sendJson(res, out.status, out.body, out.headers ?? {});
    })().catch((err) => {
      log.error("Admin API request failed", { err });
      if (!res.headersSent) sendJson(res, 500, { message: "An unexpected error occurred" });
      else res.destroy();
    });
  };
}

/**
 * Requests without a token are accepted only in development, with ADMIN_LISTEN
 * on loopback and ADMIN_TOKEN not set in the environment (Kong's default). Set
 * ADMIN_TOKEN, or GATEHOUSE_ENV=production, and every request needs it.
 */
export function tokenOptional(cp: ControlPlane): boolean {
  return cp.config.env !== "production" && !cp.config.adminToken && adminIsLoopback(cp);
}

/** True when ADMIN_LISTEN is loopback-only (the default). */
export function adminIsLoopback(cp: ControlPlane): boolean {
  return isLoopback(cp.config.listen.admin.host);
}
