/**
 * The cluster listener (CLUSTER_LISTEN): config snapshots for data planes.
 * Arrives with the gateway issue; until then it says so.
 */
import type http from "node:http";
import type { ControlPlane } from "../context";
import { sendJson } from "../http/util";

export function createClusterHandler(_cp: ControlPlane): http.RequestListener {
  return (_req, res) => sendJson(res, 501, { message: "config sync is not implemented yet" });
}
