/**
 * The data plane process. The proxy, plugins and config sync arrive with the
 * gateway issue; until then it listens and answers 503 "no configuration
 * loaded", as Kong does before its first config.
 */
import http from "node:http";
import type { Config, Listen } from "../lib/config";
import type { Logger } from "../lib/log";

export interface DataPlaneOptions {
  config: Config;
  log: Logger;
  controlPlane?: string;
  declarativeFile?: string;
}

export interface RunningDataPlane {
  addresses: { proxy: Listen; status: Listen };
  stop(): Promise<void>;
}

function listenOn(server: http.Server, l: Listen): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(l.port, l.host, () => {
      const a = server.address();
      resolve(typeof a === "object" && a ? a.port : l.port);
    });
  });
}

export async function startDataPlane(opts: DataPlaneOptions): Promise<RunningDataPlane> {
  const { config, log } = opts;
  const proxy = http.createServer((_req, res) => {
    res.writeHead(503, { "content-type": "application/json" });
    res.end(JSON.stringify({ message: "no configuration loaded yet: the proxy is not implemented in this build" }));
  });
  const status = http.createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ config_version: null, ready: false }));
  });
  const proxyPort = await listenOn(proxy, config.listen.proxy);
  const statusPort = await listenOn(status, config.listen.status);
  log.warn("the gateway proxy is not implemented yet: every request gets 503");
  return {
    addresses: { proxy: { ...config.listen.proxy, port: proxyPort }, status: { ...config.listen.status, port: statusPort } },
    async stop() {
      await Promise.all([proxy, status].map((s) => new Promise<void>((r) => (s.closeAllConnections(), s.close(() => r())))));
    },
  };
}
