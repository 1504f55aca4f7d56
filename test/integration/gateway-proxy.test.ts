/**
 * The data plane's proxy against a real upstream on loopback: routing priority,
 * headers, streaming, upstream failures, malformed requests, status listener.
 */
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Route, Service } from "../../gateway/contract/entities";
import {
  rawRequest,
  startEchoUpstream,
  startTestGateway,
  testRoute,
  testService,
  testSnapshot,
  type EchoRequest,
  type EchoUpstream,
  type TestGateway,
} from "../support/gateway";

let upstream: EchoUpstream;
let gw: TestGateway;
let svc: Service;
let other: Service;
const routes: Record<string, Route> = {};

/** node:http rather than fetch: fetch may not set Host. */
function get(path: string, headers: Record<string, string> = {}, method = "GET"): Promise<{ status: number; body: Record<string, unknown>; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(gw.url + path, { method, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (text += c));
      res.on("end", () => {
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(text);
        } catch {}
        resolve({ status: res.statusCode ?? 0, body, headers: res.headers });
      });
    });
    req.on("error", reject);
    req.end();
  });
}
const seenUrl = (b: Record<string, unknown>) => (b as unknown as EchoRequest).url;

beforeAll(async () => {
  upstream = await startEchoUpstream();
  svc = testService({ name: "echo", host: upstream.host, port: upstream.port, path: "/base" });
  other = testService({ name: "echo-root", host: upstream.host, port: upstream.port });
  const extra: Service[] = [];
  const r = (name: string, p: Partial<Route>, service: Service = other) => {
    if (service !== svc && service !== other && !extra.includes(service)) extra.push(service);
    routes[name] = testRoute({ name, service: { id: service.id }, ...p });
  };
  r("api", { paths: ["/api"] });
  r("api-v1", { paths: ["/api/v1"] });
  r("users-prefix", { paths: ["/users/admin"] });
  r("users-regex", { paths: ["~/users/\\d+"] });
  r("items-low", { paths: ["~/items/\\w+"], regex_priority: 1 });
  r("items-high", { paths: ["~/items/[a-z]+"], regex_priority: 5 });
  r("host-path", { paths: ["/multi"], hosts: ["api.example.com"] });
  r("path-only", { paths: ["/multi"] });
  r("wild-host", { hosts: ["*.example.org"], paths: ["/h"] });
  r("plain-host", { hosts: ["a.example.org"], paths: ["/h"] });
  r("post-only", { paths: ["/meth"], methods: ["POST"] });
  r("get-only", { paths: ["/meth"], methods: ["GET"] });
  r("header", { paths: ["/hdr"], headers: { "x-version": ["2"] } });
  r("no-header", { paths: ["/hdr"] });
  r("keep", { paths: ["/keep"], strip_path: false }, svc);
  r("strip", { paths: ["/strip"] }, svc);
  r("preserve", { paths: ["/preserve"], preserve_host: true });
  r("disabled", { paths: ["/disabled"] }, testService({ host: "127.0.0.1", port: 1, enabled: false }));
  r("slow", { paths: ["/slowsvc"] }, testService({ name: "slow", host: upstream.host, port: upstream.port, read_timeout: 300 }));
  const s = testSnapshot({ services: [svc, other, ...extra], routes: Object.values(routes) });
  gw = await startTestGateway({ snapshot: s });
});

afterAll(async () => {
  await gw?.stop();
  await upstream?.stop();
});

describe("routing priority (Kong's rules)", () => {
  it("longest prefix wins", async () => {
    expect(seenUrl((await get("/api/v1/x")).body)).toBe("/x");
    expect(seenUrl((await get("/api/v2/x")).body)).toBe("/v2/x");
  });

  it("regex paths before prefix paths, then regex_priority", async () => {
    // /users/admin is a longer prefix, but /users/\d+ is a regex: a digit path goes to the regex
    expect(seenUrl((await get("/users/42/profile")).body)).toBe("/profile");
    expect(seenUrl((await get("/users/admin/x")).body)).toBe("/x");
    // both regexes match /items/abc: the higher regex_priority strips the whole word
    expect(seenUrl((await get("/items/abc/z")).body)).toBe("/z");
    // only the lower one matches digits
    expect(seenUrl((await get("/items/123/z")).body)).toBe("/z");
  });

  it("a route matching on more fields wins (hosts + paths over paths)", async () => {
    const m = async () => (await new Promise((r) => setTimeout(r, 50)), fetch(`${gw.status}/metrics`).then((r) => r.text()));
    const count = (text: string, route: string) => Number(new RegExp(`route="${route}",code="200"\\} (\\d+)`).exec(text)?.[1] ?? 0);
    const t0 = await m();
    expect((await get("/multi/a", { host: "api.example.com" })).status).toBe(200);
    expect((await get("/multi/a", { host: "other.example.com" })).status).toBe(200);
    const t1 = await m();
    expect(count(t1, "host-path") - count(t0, "host-path")).toBe(1);
    expect(count(t1, "path-only") - count(t0, "path-only")).toBe(1);
  });

  it("plain hosts before wildcard hosts, wildcards match subdomains", async () => {
    const m = await fetch(`${gw.status}/metrics`).then((r) => r.text());
    const before = (route: string) => Number(new RegExp(`route="${route}",code="200"\\} (\\d+)`).exec(m)?.[1] ?? 0);
    const b = { wild: before("wild-host"), plain: before("plain-host") };
    expect((await get("/h", { host: "a.example.org" })).status).toBe(200);
    expect((await get("/h", { host: "b.example.org" })).status).toBe(200);
    expect((await get("/h", { host: "example.org" })).status).toBe(404);
    await new Promise((r) => setTimeout(r, 50));
    const m2 = await fetch(`${gw.status}/metrics`).then((r) => r.text());
    const after = (route: string) => Number(new RegExp(`route="${route}",code="200"\\} (\\d+)`).exec(m2)?.[1] ?? 0);
    expect(after("plain-host") - b.plain).toBe(1);
    expect(after("wild-host") - b.wild).toBe(1);
  });

  it("methods and headers narrow a match", async () => {
    const m = async () => (await new Promise((r) => setTimeout(r, 50)), fetch(`${gw.status}/metrics`).then((r) => r.text()));
    const count = (text: string, route: string) => Number(new RegExp(`route="${route}",code="200"\\} (\\d+)`).exec(text)?.[1] ?? 0);
    const t0 = await m();
    await get("/meth", {}, "POST");
    await get("/meth");
    await get("/hdr", { "x-version": "2" });
    await get("/hdr", { "x-version": "1" });
    expect((await get("/meth", {}, "DELETE")).status).toBe(404);
    const t1 = await m();
    expect(count(t1, "post-only") - count(t0, "post-only")).toBe(1);
    expect(count(t1, "get-only") - count(t0, "get-only")).toBe(1);
    expect(count(t1, "header") - count(t0, "header")).toBe(1);
    expect(count(t1, "no-header") - count(t0, "no-header")).toBe(1);
  });

  it("strip_path, service path and preserve_host", async () => {
    expect(seenUrl((await get("/keep/a?q=1")).body)).toBe("/base/keep/a?q=1");
    expect(seenUrl((await get("/strip/a")).body)).toBe("/base/a");
    expect(seenUrl((await get("/strip")).body)).toBe("/base");
    const preserved = (await get("/preserve", { host: "client.example" })).body as unknown as EchoRequest;
    expect(preserved.headers.host).toBe("client.example");
    const notPreserved = (await get("/strip/x", { host: "client.example" })).body as unknown as EchoRequest;
    expect(notPreserved.headers.host).toBe(`${upstream.host}:${upstream.port}`);
  });

  it("normalizes the path before routing: dot segments cannot leave a route's prefix", async () => {
    expect(seenUrl((await get("/strip/a/../b")).body)).toBe("/base/b");
    expect((await get("/strip/../nothing-here")).status).toBe(404);
    expect((await get("/strip/%2e%2e/nothing-here")).status).toBe(404);
    expect((await get("/strip/%zz")).status).toBe(400);
  });

  it("404 when nothing matches, and routes of a disabled service are not routed", async () => {
    const r = await get("/nothing-here");
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ message: "no Route matched with those values" });
    expect((await get("/disabled")).status).toBe(404);
  });
});

describe("headers", () => {
  it("sets X-Forwarded-*, removes hop-by-hop headers and the portal's session cookie", async () => {
    const r = await get("/strip/h", {
      host: "client.example:8443",
      "x-forwarded-for": "10.0.0.1",
      connection: "keep-alive, x-drop-me",
      "x-drop-me": "1",
      "proxy-authorization": "secret",
      cookie: "a=1; gatehouse_session=SESSIONVALUE; b=2",
    });
    const seen = r.body as unknown as EchoRequest;
    expect(seen.headers["x-forwarded-for"]).toBe("10.0.0.1, 127.0.0.1");
    expect(seen.headers["x-forwarded-proto"]).toBe("http");
    expect(seen.headers["x-forwarded-host"]).toBe("client.example");
    expect(seen.headers["x-forwarded-port"]).toBe(String(new URL(gw.url).port));
    expect(seen.headers["x-forwarded-prefix"]).toBe("/strip");
    expect(seen.headers["x-drop-me"]).toBeUndefined();
    expect(seen.headers["proxy-authorization"]).toBeUndefined();
    expect(seen.headers.cookie).toBe("a=1; b=2");
    expect(JSON.stringify(seen.headers)).not.toContain("SESSIONVALUE");
    // hop-by-hop headers of the upstream's response are not passed on
    expect(r.headers["keep-alive"]).not.toBe("timeout=5"); // the upstream's; Node's own server may add its own
    expect(r.headers["x-upstream"]).toBe("echo");
  });

  it("drops the Cookie header when the session cookie was the only one", async () => {
    const seen = (await get("/strip/h", { cookie: "gatehouse_session=abc" })).body as unknown as EchoRequest;
    expect(seen.headers.cookie).toBeUndefined();
  });
});

describe("streaming", () => {
  const SIZE = 50 * 1024 * 1024;

  it("streams a 50 MB request body upstream before the client finished sending it", async () => {
    const idHeader = `upload-${Date.now()}`;
    const chunk = Buffer.alloc(256 * 1024, 0x62);
    const { createHash } = await import("node:crypto");
    const hash = createHash("sha256");
    const result = await new Promise<{ status: number; body: string; sawEarly: boolean }>((resolve, reject) => {
      const port = Number(new URL(gw.url).port);
      const req = http.request({ host: "127.0.0.1", port, method: "POST", path: "/strip/upload", headers: { "x-test-id": idHeader, "content-length": String(SIZE) } }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body, sawEarly }));
      });
      req.on("error", reject);
      let sent = 0;
      let sawEarly = false;
      const half = SIZE / 2;
      const pump = async () => {
        while (sent < SIZE) {
          if (sent === half) {
            // hold the second half until the upstream has started receiving the first
            const deadline = Date.now() + 5000;
            while (!upstream.bodyStarted.has(idHeader) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
            sawEarly = upstream.bodyStarted.has(idHeader);
          }
          hash.update(chunk);
          sent += chunk.length;
          if (!req.write(chunk)) await new Promise((r) => req.once("drain", r));
        }
        req.end();
      };
      pump().catch(reject);
    });
    expect(result.status).toBe(200);
    expect(result.sawEarly).toBe(true);
    const seen = JSON.parse(result.body) as EchoRequest;
    expect(seen.bodyBytes).toBe(SIZE);
    expect(seen.bodySha256).toBe(hash.digest("hex"));
  });

  it("streams a 50 MB response: a paused client holds the upstream back (no buffering)", async () => {
    const tid = `download-${Date.now()}`;
    const { status, length, got, writtenWhilePaused } = await new Promise<{ status: number; length: string | undefined; got: number; writtenWhilePaused: number }>((resolve, reject) => {
      http
        .get(`${gw.url}/strip/bytes?n=${SIZE}`, { headers: { "x-test-id": tid } }, (res) => {
          let n = 0;
          let writtenWhilePaused = -1;
          res.once("data", (c: Buffer) => {
            n += c.length;
            res.pause();
            setTimeout(() => {
              writtenWhilePaused = upstream.written.get(tid) ?? 0;
              res.on("data", (d: Buffer) => (n += d.length));
              res.resume();
            }, 700);
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, length: res.headers["content-length"], got: n, writtenWhilePaused }));
        })
        .on("error", reject);
    });
    expect(status).toBe(200);
    expect(length).toBe(String(SIZE));
    expect(got).toBe(SIZE);
    // had the gateway read the whole response into memory, the upstream would have written all 50 MB by now
    expect(writtenWhilePaused).toBeGreaterThan(0);
    expect(writtenWhilePaused).toBeLessThan(SIZE / 4);
  });
});

describe("upstream failures", () => {
  it("upstream down -> 502 after retries, JSON body", async () => {
    const down = testService({ name: "down", host: "127.0.0.1", port: 1, retries: 2, connect_timeout: 500 });
    const gw2 = await startTestGateway({ snapshot: testSnapshot({ services: [down], routes: [testRoute({ service: { id: down.id }, paths: ["/"] })] }) });
    try {
      const res = await fetch(gw2.url + "/x");
      expect(res.status).toBe(502);
      expect(await res.json()).toEqual({ message: "An invalid response was received from the upstream server" });
    } finally {
      await gw2.stop();
    }
  });

  it("slow upstream -> 504 after the service's read_timeout", async () => {
    const t0 = Date.now();
    const r = await get("/slowsvc/slow?ms=3000");
    expect(r.status).toBe(504);
    expect(r.body).toEqual({ message: "The upstream server is timing out" });
    expect(Date.now() - t0).toBeLessThan(2500);
    // and the gateway still serves
    expect((await get("/strip/ok")).status).toBe(200);
  });
});

describe("upstream write timeout", () => {
  it("504 when the upstream stops reading the request body for write_timeout", async () => {
    // an upstream that reads the headers and then never reads the body
    const stuck = http.createServer((req) => req.pause());
    await new Promise<void>((r) => stuck.listen(0, "127.0.0.1", r));
    const port = (stuck.address() as import("node:net").AddressInfo).port;
    const s = testService({ host: "127.0.0.1", port, write_timeout: 300 });
    const g = await startTestGateway({ snapshot: testSnapshot({ services: [s], routes: [testRoute({ service: { id: s.id }, paths: ["/"] })] }) });
    try {
      const t0 = Date.now();
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request(g.url + "/upload", { method: "POST", headers: { "content-length": String(64 * 1024 * 1024) } }, (res) => (res.resume(), resolve(res.statusCode ?? 0)));
        req.on("error", reject);
        const chunk = Buffer.alloc(256 * 1024);
        let sent = 0;
        const pump = () => {
          while (sent < 64 * 1024 * 1024) {
            sent += chunk.length;
            if (!req.write(chunk)) return void req.once("drain", pump);
          }
          req.end();
        };
        pump();
      });
      expect(status).toBe(504);
      expect(Date.now() - t0).toBeLessThan(10_000);
    } finally {
      await g.stop();
      stuck.closeAllConnections();
      await new Promise((r) => stuck.close(r));
    }
  });
});

describe("malformed requests", () => {
  const port = () => Number(new URL(gw.url).port);

  it("answers 400 to garbage and keeps serving", async () => {
    const out = await rawRequest(port(), "THIS IS NOT HTTP\r\n\r\n");
    expect(out).toMatch(/^HTTP\/1\.1 400/);
    const bad = await rawRequest(port(), "GET /strip/x HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n");
    expect(bad).toMatch(/^HTTP\/1\.1 400/);
    const star = await rawRequest(port(), "GET * HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    expect(star).toMatch(/^HTTP\/1\.1 400/);
    expect(star).toContain('"message"');
    const huge = await rawRequest(port(), `GET /strip/x HTTP/1.1\r\nHost: a\r\nX-Big: ${"a".repeat(40 * 1024)}\r\n\r\n`);
    expect(huge).toMatch(/^HTTP\/1\.1 431/);
    const short = await rawRequest(port(), "POST /strip/x HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\nConnection: close\r\n\r\nabc", 1500);
    expect(short === "" || /^HTTP\/1\.1 (400|502)/.test(short)).toBe(true);
    expect((await get("/strip/still-alive")).status).toBe(200);
  });

  it("accepts an absolute-form request target", async () => {
    const out = await rawRequest(port(), `GET http://client.example/strip/abs?x=1 HTTP/1.1\r\nHost: client.example\r\nConnection: close\r\n\r\n`);
    expect(out).toMatch(/^HTTP\/1\.1 200/);
    expect(out).toContain('"url":"/base/abs?x=1"');
  });
});

describe("config and status", () => {
  it("503 before any config is loaded", async () => {
    const empty = await startTestGateway();
    try {
      const res = await fetch(empty.url + "/");
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ message: "no configuration loaded yet" });
      const st = await fetch(empty.status + "/status").then((r) => r.json());
      expect(st.ready).toBe(false);
      expect(st.config_version).toBeNull();
    } finally {
      await empty.stop();
    }
  });

  it("apply() swaps the router atomically", async () => {
    const g = await startTestGateway({ snapshot: testSnapshot({ version: 1 }) });
    try {
      expect((await fetch(g.url + "/new")).status).toBe(404);
      const s = testService({ host: upstream.host, port: upstream.port });
      await g.dp.apply(testSnapshot({ version: 2, services: [s], routes: [testRoute({ service: { id: s.id }, paths: ["/new"] })] }));
      expect(g.dp.version()).toBe(2);
      expect((await fetch(g.url + "/new")).status).toBe(200);
    } finally {
      await g.stop();
    }
  });

  it("/status reports version, last sync and pools; /metrics is Prometheus text", async () => {
    const st = await fetch(gw.status + "/status").then((r) => r.json());
    expect(st.config_version).toBe(1);
    expect(typeof st.last_sync).toBe("string");
    expect(st.upstreams.some((p: { origin: string }) => p.origin === `http://127.0.0.1:${upstream.port}`)).toBe(true);
    const m = await fetch(gw.status + "/metrics").then((r) => r.text());
    expect(m).toContain("# TYPE gatehouse_http_requests_total counter");
    expect(m).toMatch(/gatehouse_http_requests_total\{service="echo",route="strip",code="200"\} \d+/);
    expect(m).toMatch(/gatehouse_request_latency_ms_bucket\{service="echo",route="strip",le="\+Inf"\} \d+/);
    expect(m).toContain("gatehouse_config_version 1");
  });
});
