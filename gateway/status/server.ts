/** The status listener: `/status` (JSON) and Prometheus `/metrics`. */
import type http from "node:http";
import type { Metrics } from "../proxy/metrics";
import type { Upstreams } from "../proxy/upstream";

export interface StatusDeps {
  metrics: Metrics;
  upstreams: Upstreams;
  info(): Record<string, unknown> & { ready: boolean };
}

export function createStatusHandler(deps: StatusDeps): http.RequestListener {
  return (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { "content-type": "application/json", allow: "GET, HEAD" });
      res.end(JSON.stringify({ message: "Method not allowed" }));
      return;
    }
    if (path === "/status" || path === "/status/ready") {
      const info = deps.info();
      const body = JSON.stringify(path === "/status" ? { ...info, upstreams: deps.upstreams.stats(), memory: { rss: process.memoryUsage.rss() } } : { ready: info.ready });
      res.writeHead(path === "/status/ready" && !info.ready ? 503 : 200, { "content-type": "application/json" });
      res.end(body);
      return;
    }
    if (path === "/metrics") {
      const pools = deps.upstreams.stats();
      const extra = [
        "# HELP gatehouse_upstream_connections Upstream pool connections by state.",
        "# TYPE gatehouse_upstream_connections gauge",
        ...pools.flatMap((p) => [
          `gatehouse_upstream_connections{origin="${p.origin}",state="connected"} ${p.connected}`,
          `gatehouse_upstream_connections{origin="${p.origin}",state="free"} ${p.free}`,
          `gatehouse_upstream_connections{origin="${p.origin}",state="pending"} ${p.pending}`,
          `gatehouse_upstream_connections{origin="${p.origin}",state="running"} ${p.running}`,
        ]),
      ];
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      res.end(deps.metrics.render(extra));
      return;
    }
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ message: "Not found" }));
  };
}
