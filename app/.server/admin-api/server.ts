/**
 * The Admin API listener (ADMIN_LISTEN, loopback by default). The Kong-compatible
 * routes arrive with the gateway issue; until then it answers `GET /` and says
 * plainly that the rest is not there yet.
 */
import type http from "node:http";
import type { ControlPlane } from "../context";
import { sendJson } from "../http/util";

export function createAdminHandler(cp: ControlPlane): http.RequestListener {
  return (req, res) => {
    if (req.method === "GET" && (req.url === "/" || req.url?.startsWith("/?"))) {
      sendJson(res, 200, { tagline: "Welcome to gatehouse", version: "0.1.0", hostname: process.env.HOSTNAME ?? "", configuration: { database: cp.database.dialect } });
      return;
    }
    sendJson(res, 501, { message: "this Admin API endpoint is not implemented yet" });
  };
}
