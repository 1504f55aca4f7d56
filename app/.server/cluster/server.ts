/**
 * The cluster listener (CLUSTER_LISTEN): data planes long-poll
 * `GET /v1/config?after=<version>&wait=<seconds>` with CLUSTER_TOKEN as a Bearer
 * token. The answer is the snapshot as soon as config_version is above `after`
 * (200), or 204 when `wait` passes first. No database connection is held while
 * waiting: waiters sleep on ConfigEvents, which learns new versions from
 * commits in this process and from a light once-a-second poll while anyone waits.
 */
import type http from "node:http";
import type { Snapshot } from "../../../gateway/contract/snapshot";
import { readConfigVersion } from "../config-version";
import type { ControlPlane } from "../context";
import { safeEqual } from "../crypto";
import { sendJson } from "../http/util";
import { buildSnapshot } from "./snapshot";

export function createClusterHandler(cp: ControlPlane): http.RequestListener {
  const log = cp.log.child("cluster");
  let cached: { version: number; body: string } | undefined;
  let building: Promise<{ version: number; body: string }> | undefined;
  let waiters = 0;
  let poller: NodeJS.Timeout | undefined;

  const snapshotBody = async (): Promise<{ version: number; body: string }> => {
    if (cached && cached.version >= cp.configEvents.version) return cached;
    building ??= buildSnapshot(cp)
      .then((s: Snapshot) => {
        cp.configEvents.observe(s.version);
        cached = { version: s.version, body: JSON.stringify(s) };
        return cached;
      })
      .finally(() => (building = undefined));
    return building;
  };

  const startPolling = () => {
    if (poller) return;
    poller = setInterval(() => {
      if (waiters === 0) {
        clearInterval(poller);
        poller = undefined;
        return;
      }
      readConfigVersion(cp.db)
        .then((v) => cp.configEvents.observe(v))
        .catch((err) => log.warn("config_version poll failed", { error: (err as Error).message }));
    }, 1000);
    poller.unref();
  };

  return (req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://cluster");
      const auth = req.headers.authorization ?? "";
      const presented = /^bearer\s+/i.test(auth) ? auth.replace(/^bearer\s+/i, "").trim() : "";
      if (!presented || !safeEqual(presented, cp.secrets.clusterToken)) {
        return sendJson(res, 401, { message: "Unauthorized: data planes send CLUSTER_TOKEN as `Authorization: Bearer <token>`" });
      }
      if (url.pathname !== "/v1/config" || req.method !== "GET") return sendJson(res, 404, { message: "Not found: data planes poll GET /v1/config?after=<version>" });
      const after = Number(url.searchParams.get("after") ?? "0");
      const wait = Math.min(60, Math.max(0, Number(url.searchParams.get("wait") ?? "30")));
      if (!Number.isInteger(after) || after < 0 || !Number.isFinite(wait)) return sendJson(res, 400, { message: "after must be a version number (0 for none) and wait a number of seconds" });
      // A data plane ahead of this control plane (its database was restored or replaced) gets
      // the current snapshot at once rather than waiting for a version it will never see.
      if (cp.configEvents.version === after && wait > 0) {
        const abort = new AbortController();
        res.once("close", () => abort.abort());
        waiters++;
        startPolling();
        try {
          await cp.configEvents.waitFor(after, wait * 1000, abort.signal);
        } finally {
          waiters--;
        }
        if (abort.signal.aborted) return;
      }
      if (cp.configEvents.version === after) {
        // the version may have moved without this process seeing it: check once
        cp.configEvents.observe(await readConfigVersion(cp.db));
        if (cp.configEvents.version === after) {
          res.writeHead(204);
          res.end();
          return;
        }
      }
      const snap = await snapshotBody();
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(snap.body), "x-config-version": String(snap.version) });
      res.end(snap.body);
    })().catch((err) => {
      log.error("cluster request failed", { err });
      if (!res.headersSent) sendJson(res, 500, { message: "An unexpected error occurred" });
      else res.destroy();
    });
  };
}
