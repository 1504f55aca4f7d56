/**
 * The demo upstream `gatehouse start` runs: an httpbin-like echo service.
 * GET /anything/... (or any path) echoes method, path, query, headers and the
 * body's size; /status/<code> answers that code; /delay/<seconds> waits.
 */
import http from "node:http";
import type { Listen } from "../lib/config";

export interface DemoUpstream {
  address: Listen;
  server: http.Server;
  close(): Promise<void>;
}

export function demoHandler(): http.RequestListener {
  return (req, res) => {
    const url = new URL(req.url ?? "/", "http://upstream.invalid");
    const status = /^\/status\/(\d{3})$/.exec(url.pathname);
    const delay = /^\/delay\/(\d+(?:\.\d+)?)$/.exec(url.pathname);
    let size = 0;
    req.on("data", (c: Buffer) => (size += c.length));
    req.on("end", () => {
      const reply = () => {
        const body = JSON.stringify({
          method: req.method,
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          headers: req.headers,
          body_bytes: size,
          origin: req.socket.remoteAddress,
        });
        res.writeHead(status ? Number(status[1]) : 200, { "content-type": "application/json" });
        res.end(body);
      };
      if (delay) setTimeout(reply, Math.min(Number(delay[1]), 60) * 1000);
      else reply();
    });
  };
}

export function startDemoUpstream(listen: Listen): Promise<DemoUpstream> {
  const server = http.createServer(demoHandler());
  server.keepAliveTimeout = 65_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(listen.port, listen.host, () => {
      const a = server.address();
      const port = typeof a === "object" && a ? a.port : listen.port;
      resolve({
        address: { host: listen.host, port },
        server,
        close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
      });
    });
  });
}
