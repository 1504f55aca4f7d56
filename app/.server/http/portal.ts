/**
 * The portal listener: /health and the built-in issuer's plain endpoints first,
 * then static assets and Remix (with the control plane as its load context).
 */
import { createRequestHandler } from "@remix-run/express";
import type { ServerBuild } from "@remix-run/node";
import express from "express";
import fs from "node:fs";
import type http from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { packageRoot } from "../../../lib/paths";
import type { ControlPlane } from "../context";
import { sendJson } from "./util";

export class PortalNotBuiltError extends Error {
  override name = "PortalNotBuiltError";
}

/** A handler that answers some plain-HTTP paths ahead of Remix; returns false to pass. */
export type PlainHandler = (req: http.IncomingMessage, res: http.ServerResponse) => boolean | Promise<boolean>;

export async function loadRemixBuild(root = packageRoot()): Promise<ServerBuild> {
  const file = path.join(root, "build", "server", "index.js");
  if (!fs.existsSync(file)) {
    throw new PortalNotBuiltError(`the portal is not built (${path.relative(process.cwd(), file) || file} is missing): run \`npm run build\``);
  }
  return (await import(pathToFileURL(file).href)) as ServerBuild;
}

const SECURITY_HEADERS: Record<string, string> = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "same-origin",
  "cross-origin-opener-policy": "same-origin",
};

export async function createPortalHandler(
  cp: ControlPlane,
  opts: { build?: ServerBuild; plain?: PlainHandler[] } = {},
): Promise<http.RequestListener> {
  const root = packageRoot();
  const build = opts.build ?? (await loadRemixBuild(root));
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", false);
  const client = path.join(root, "build", "client");
  app.use("/assets", express.static(path.join(client, "assets"), { immutable: true, maxAge: "1y", fallthrough: false }));
  app.use(express.static(client, { maxAge: "1h", index: false }));
  app.all(
    "*",
    createRequestHandler({
      build,
      mode: "production",
      getLoadContext: () => ({ cp }),
    }),
  );
  const plain = opts.plain ?? [];

  return async (req, res) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    if (cp.urls.public.startsWith("https://")) res.setHeader("strict-transport-security", "max-age=31536000");
    try {
      const url = req.url ?? "/";
      if (url === "/health" || url.startsWith("/health?")) {
        const h = await cp.health();
        sendJson(res, h.status === "ok" ? 200 : 503, h, { "cache-control": "no-store" });
        return;
      }
      for (const handle of plain) if (await handle(req, res)) return;
      app(req as express.Request, res as express.Response);
    } catch (err) {
      cp.log.error("portal request failed", { err, url: req.url });
      if (!res.headersSent) sendJson(res, 500, { message: "internal error" });
      else res.destroy();
    }
  };
}
