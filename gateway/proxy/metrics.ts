/** Prometheus metrics of the proxy: requests by service, route and status; latency histograms. */

const BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000];

class Histogram {
  readonly counts = new Array<number>(BUCKETS.length + 1).fill(0);
  sum = 0;
  count = 0;
  observe(ms: number): void {
    let i = 0;
    while (i < BUCKETS.length && ms > BUCKETS[i]) i++;
    this.counts[i]++;
    this.sum += ms;
    this.count++;
  }
}

const esc = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

export class Metrics {
  readonly #requests = new Map<string, { labels: string; n: number }>();
  readonly #latency = new Map<string, { labels: string; h: Histogram }>();
  readonly #upstream = new Map<string, { labels: string; h: Histogram }>();
  #configVersion = 0;
  #lastSync = 0;

  record(service: string, route: string, status: number, latencyMs: number, upstreamMs: number | null): void {
    const base = `${service}\u0000${route}`;
    const key = `${base}\u0000${status}`;
    let r = this.#requests.get(key);
    if (!r) this.#requests.set(key, (r = { labels: `service="${esc(service)}",route="${esc(route)}",code="${status}"`, n: 0 }));
    r.n++;
    let l = this.#latency.get(base);
    if (!l) this.#latency.set(base, (l = { labels: `service="${esc(service)}",route="${esc(route)}"`, h: new Histogram() }));
    l.h.observe(latencyMs);
    if (upstreamMs !== null) {
      let u = this.#upstream.get(base);
      if (!u) this.#upstream.set(base, (u = { labels: l.labels, h: new Histogram() }));
      u.h.observe(upstreamMs);
    }
  }

  setConfig(version: number, syncedAt: number): void {
    this.#configVersion = version;
    this.#lastSync = syncedAt;
  }

  render(extra: string[] = []): string {
    const out: string[] = [];
    out.push("# HELP gatehouse_http_requests_total Proxied requests by service, route and status code.");
    out.push("# TYPE gatehouse_http_requests_total counter");
    for (const r of this.#requests.values()) out.push(`gatehouse_http_requests_total{${r.labels}} ${r.n}`);
    const hist = (name: string, help: string, m: Map<string, { labels: string; h: Histogram }>) => {
      out.push(`# HELP ${name} ${help}`);
      out.push(`# TYPE ${name} histogram`);
      for (const { labels, h } of m.values()) {
        let cum = 0;
        BUCKETS.forEach((b, i) => {
          cum += h.counts[i];
          out.push(`${name}_bucket{${labels},le="${b}"} ${cum}`);
        });
        cum += h.counts[BUCKETS.length];
        out.push(`${name}_bucket{${labels},le="+Inf"} ${cum}`);
        out.push(`${name}_sum{${labels}} ${h.sum}`);
        out.push(`${name}_count{${labels}} ${h.count}`);
      }
    };
    hist("gatehouse_request_latency_ms", "Total request latency in milliseconds.", this.#latency);
    hist("gatehouse_upstream_latency_ms", "Time to the upstream's response headers in milliseconds.", this.#upstream);
    out.push("# HELP gatehouse_config_version config_version of the snapshot in force.");
    out.push("# TYPE gatehouse_config_version gauge");
    out.push(`gatehouse_config_version ${this.#configVersion}`);
    out.push("# HELP gatehouse_config_last_sync_seconds When the snapshot in force was applied (unix time).");
    out.push("# TYPE gatehouse_config_last_sync_seconds gauge");
    out.push(`gatehouse_config_last_sync_seconds ${Math.floor(this.#lastSync / 1000)}`);
    out.push(...extra);
    return out.join("\n") + "\n";
  }
}
