/**
 * The proxy's request handler: route, plugins, upstream, response. Bodies are
 * streamed both ways; errors are JSON `{"message": ...}` with Kong's codes
 * (404 no route, 502 upstream unreachable, 504 upstream timeout, 503 before the
 * first config).
 */
import type http from "node:http";
import { errors as undiciErrors, type Dispatcher } from "undici";
import type { Logger } from "../../lib/log";
import type { Consumer, Service } from "../contract/entities";
import type { HeaderMap, LogInfo, PluginResponse, RequestContext } from "../plugins/types";
import type { Metrics } from "./metrics";
import { normalizePath } from "./normalize";
import { upstreamPath, type RouteMatch } from "./router";
import { UNEXPECTED, type ChainEntry, type Runtime } from "./runtime";
import type { Upstreams } from "./upstream";

/** The portal's session cookie: never sent upstream (cookies ignore ports). */
export const PORTAL_SESSION_COOKIE = "gatehouse_session";

const HOP_BY_HOP = new Set([
  "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade",
  "proxy-authenticate", "proxy-authorization", "expect", "http2-settings",
]);

const CONNECT_ERRORS = new Set(["ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "UND_ERR_CONNECT_TIMEOUT"]);

export interface ProxyDeps {
  log: Logger;
  metrics: Metrics;
  upstreams: Upstreams;
  runtime(): Runtime | null;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers?: Record<string, string | string[]>): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const data = typeof body === "string" || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  if (headers) for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  if (!res.hasHeader("content-type")) res.setHeader("content-type", "application/json; charset=utf-8");
  res.setHeader("content-length", Buffer.byteLength(data));
  res.writeHead(status);
  res.end(data);
}

class Headers_ implements HeaderMap {
  constructor(readonly h: Record<string, string | string[]>) {}
  get(name: string): string | undefined {
    const v = this.h[name.toLowerCase()];
    return Array.isArray(v) ? v.join(", ") : v;
  }
  set(name: string, value: string | string[]): void {
    this.h[name.toLowerCase()] = value;
  }
  remove(name: string): void {
    const k = name.toLowerCase();
    // delete only what is there: deleting turns the object into a slow dictionary for undici
    if (this.h[k] !== undefined) delete this.h[k];
  }
  has(name: string): boolean {
    return this.h[name.toLowerCase()] !== undefined;
  }
}

function stripSessionCookie(cookie: string): string {
  if (!cookie.includes(PORTAL_SESSION_COOKIE)) return cookie;
  return cookie
    .split(";")
    .filter((p) => {
      const name = p.split("=", 1)[0].trim();
      return name !== PORTAL_SESSION_COOKIE && name !== `__Host-${PORTAL_SESSION_COOKIE}` && name !== `__Secure-${PORTAL_SESSION_COOKIE}`;
    })
    .map((p) => p.trim())
    .join("; ");
}

function upstreamHeaders(req: http.IncomingMessage, match: RouteMatch, service: Service, clientIp: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const connection = req.headers.connection;
  const listed = connection ? connection.toLowerCase().split(",").map((s) => s.trim()) : null;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (HOP_BY_HOP.has(name) || name === "host" || (listed && listed.includes(name))) continue;
    const value = raw[i + 1];
    const prev = out[name];
    if (prev === undefined) out[name] = value;
    else if (name === "cookie") out[name] = `${prev}; ${value}`;
    else if (Array.isArray(prev)) prev.push(value);
    else out[name] = [prev, value];
  }
  const cookie = out.cookie;
  if (typeof cookie === "string") {
    const stripped = stripSessionCookie(cookie);
    if (stripped) out.cookie = stripped;
    else delete out.cookie;
  }
  const hostHeader = req.headers.host ?? "";
  if (match.route.preserve_host && hostHeader) out.host = hostHeader;
  else {
    const defaultPort = service.protocol === "https" ? 443 : 80;
    out.host = service.port === defaultPort ? service.host : `${service.host}:${service.port}`;
  }
  const xff = req.headers["x-forwarded-for"];
  out["x-forwarded-for"] = xff ? `${Array.isArray(xff) ? xff.join(", ") : xff}, ${clientIp}` : clientIp;
  out["x-forwarded-proto"] = (req.socket as { encrypted?: boolean }).encrypted ? "https" : "http";
  out["x-forwarded-host"] = hostHeader.replace(/:\d+$/, "");
  out["x-forwarded-port"] = String(req.socket.localPort ?? "");
  if (match.route.strip_path && match.matched && match.matched !== "/") out["x-forwarded-prefix"] = match.matched;
  else delete out["x-forwarded-prefix"];
  out["x-real-ip"] = clientIp;
  return out;
}

function responseHeaders(h: Record<string, string | string[] | undefined>): Record<string, string | string[] | undefined> {
  const connection = h.connection;
  const listed = typeof connection === "string" ? connection.toLowerCase().split(",").map((s) => s.trim()) : null;
  for (const name of Object.keys(h)) {
    if (HOP_BY_HOP.has(name) || (listed && listed.includes(name))) delete h[name];
  }
  return h;
}

function hasBody(req: http.IncomingMessage): boolean {
  const cl = req.headers["content-length"];
  return req.headers["transfer-encoding"] !== undefined || (cl !== undefined && cl !== "0");
}

class Ctx implements RequestContext {
  consumer: Consumer | null = null;
  credentialIdentifier: string | null = null;
  authenticated_groups: string[] | null = null;
  anonymous = false;
  shared: Record<string, unknown> = {};
  responseHeaders: Record<string, string | string[]> = {};
  readonly upstreamHeaders: Headers_;
  bufferedBody: Buffer | undefined;
  #query: URLSearchParams | undefined;

  constructor(
    readonly req: http.IncomingMessage,
    readonly path: string,
    readonly rawQuery: string,
    readonly match: RouteMatch,
    readonly view: Runtime["view"],
    readonly clientIp: string,
    upstream: Record<string, string | string[]>,
  ) {
    this.upstreamHeaders = new Headers_(upstream);
  }
  get method() {
    return this.req.method ?? "GET";
  }
  get headers() {
    return this.req.headers;
  }
  get route() {
    return this.match.route;
  }
  get service() {
    return this.match.service;
  }
  get query(): URLSearchParams {
    return (this.#query ??= new URLSearchParams(this.rawQuery));
  }
  setConsumer(consumer: Consumer | null, credentialIdentifier?: string | null, opts?: { anonymous?: boolean }): void {
    this.consumer = consumer;
    this.credentialIdentifier = credentialIdentifier ?? null;
    this.anonymous = !!opts?.anonymous;
    const h = this.upstreamHeaders;
    for (const n of ["x-consumer-id", "x-consumer-username", "x-consumer-custom-id", "x-credential-identifier", "x-anonymous-consumer"]) h.remove(n);
    if (consumer) {
      h.set("x-consumer-id", consumer.id);
      if (consumer.username !== null) h.set("x-consumer-username", consumer.username);
      if (consumer.custom_id !== null) h.set("x-consumer-custom-id", consumer.custom_id);
    }
    if (this.credentialIdentifier) h.set("x-credential-identifier", this.credentialIdentifier);
    if (this.anonymous) h.set("x-anonymous-consumer", "true");
  }
  /** Set by setUpstreamQuery: the query string sent upstream instead of the client's. */
  upstreamQuery: string | undefined;
  setUpstreamQuery(query: URLSearchParams | string): void {
    this.upstreamQuery = typeof query === "string" ? query.replace(/^\?/, "") : query.toString();
  }
  setUpstreamBody(body: Buffer): void {
    this.bufferedBody = body;
    this.upstreamHeaders.remove("transfer-encoding");
    this.upstreamHeaders.set("content-length", String(body.length));
  }
  async readBody(limit = 1024 * 1024): Promise<Buffer | undefined> {
    if (this.bufferedBody) return this.bufferedBody.length <= limit ? this.bufferedBody : undefined;
    if (!hasBody(this.req)) return (this.bufferedBody = Buffer.alloc(0));
    const declared = Number(this.req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > limit) return undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    await new Promise<void>((resolve, reject) => {
      this.req.on("data", (c: Buffer) => {
        size += c.length;
        // a chunked body over the limit can be neither kept nor streamed any more: drain it, answer 413
        if (size > limit) this.bodyTooLarge = true;
        else chunks.push(c);
      });
      this.req.once("end", resolve);
      this.req.once("error", reject);
    });
    if (this.bodyTooLarge) return undefined;
    this.bufferedBody = Buffer.concat(chunks, size);
    return this.bufferedBody;
  }
  bodyTooLarge = false;
}

function pick(entry: ChainEntry, consumer: Consumer | null) {
  for (const c of entry.candidates) if (c.consumer === null || (consumer && c.consumer === consumer.id)) return c;
  return undefined;
}

function clientIpOf(req: http.IncomingMessage): string {
  const a = req.socket.remoteAddress ?? "";
  return a.startsWith("::ffff:") ? a.slice(7) : a;
}

export function createProxyHandler(deps: ProxyDeps): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  const { log, metrics, upstreams } = deps;

  function sendPluginResponse(res: http.ServerResponse, r: PluginResponse, extra: Record<string, string | string[]>): void {
    const headers = { ...extra, ...(r.headers ?? {}) };
    if (r.body === undefined) {
      for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
      res.writeHead(r.status);
      res.end();
      return;
    }
    sendJson(res, r.status, r.body, headers);
  }

  return function handle(req, res) {
    const start = performance.now();
    const runtime = deps.runtime();
    if (!runtime) return sendJson(res, 503, { message: "no configuration loaded yet" });
    const url = req.url ?? "/";
    let path: string;
    let rawQuery = "";
    if (url.charCodeAt(0) === 47 /* / */) {
      const q = url.indexOf("?");
      path = q === -1 ? url : url.slice(0, q);
      rawQuery = q === -1 ? "" : url.slice(q + 1);
    } else if (/^https?:\/\//i.test(url)) {
      try {
        const u = new URL(url);
        path = u.pathname;
        rawQuery = u.search.slice(1);
      } catch {
        return sendJson(res, 400, { message: "Bad request: invalid request target" });
      }
    } else {
      return sendJson(res, 400, { message: "Bad request: invalid request target" });
    }
    const normalized = normalizePath(path);
    if (normalized === null) return sendJson(res, 400, { message: "Bad request: invalid percent-encoding in the path" });
    path = normalized;
    const method = req.method ?? "GET";
    const match = runtime.router.match(method, req.headers.host, path, req.headers);
    if (!match) {
      sendJson(res, 404, { message: "no Route matched with those values" });
      metrics.record("", "", 404, performance.now() - start, null);
      return;
    }
    const service = match.service;
    const serviceLabel = service?.name ?? service?.id ?? "";
    const routeLabel = match.route.name ?? match.route.id;
    let upstreamMs: number | null = null;
    const clientIp = clientIpOf(req);
    const chain = runtime.chain(match.route, service);
    let ctx: Ctx | null = null;
    const ran: { name: string; instance: ChainEntry["candidates"][number]["instance"] }[] = [];

    res.once("close", () => {
      const latency = performance.now() - start;
      metrics.record(serviceLabel, routeLabel, res.statusCode, latency, upstreamMs);
      if (ctx && ran.length) {
        const info: LogInfo = { status: res.statusCode, latency_ms: latency, upstream_latency_ms: upstreamMs };
        for (const { name, instance } of ran) {
          if (!instance.log) continue;
          try {
            const p = instance.log(ctx, info);
            if (p && typeof (p as Promise<void>).catch === "function") (p as Promise<void>).catch((err) => log.error("plugin log phase failed", { plugin: name, err }));
          } catch (err) {
            log.error("plugin log phase failed", { plugin: name, err });
          }
        }
      }
    });

    const headersUp = service ? upstreamHeaders(req, match, service, clientIp) : {};
    if (!chain.length && service) {
      forward(req, res, match, service, rawQuery, headersUp, null, ran, (ms) => (upstreamMs = ms)).catch((err) => {
        log.error("request failed", { err, route: match.route.id });
        sendJson(res, 500, UNEXPECTED);
      });
      return;
    }
    const failed = (err: unknown) => {
      log.error("request failed", { err, route: match.route.id });
      sendJson(res, 500, UNEXPECTED);
    };
    const proceed = (): void | Promise<void> => {
      if (ctx?.bodyTooLarge) return sendJson(res, 413, { message: "Request body too large" });
      if (!service) return sendJson(res, 503, { message: "no Service found with those values" });
      return forward(req, res, match, service, rawQuery, headersUp, ctx, ran, (ms) => (upstreamMs = ms));
    };
    // The access phase runs synchronously while plugins answer synchronously (a cached
    // bearer token does), and continues asynchronously from the first plugin that does not.
    const access = (c: Ctx, from: number): void | Promise<void> => {
      for (let i = from; i < chain.length; i++) {
        const entry = chain[i];
        const cand = pick(entry, c.consumer);
        if (!cand) continue;
        ran.push({ name: entry.name, instance: cand.instance });
        if (!cand.instance.access) continue;
        const r = cand.instance.access(c);
        if (r && typeof (r as Promise<unknown>).then === "function") {
          return (r as Promise<void | PluginResponse>).then((answer) => (answer ? sendPluginResponse(res, answer, c.responseHeaders) : access(c, i + 1)));
        }
        if (r) return sendPluginResponse(res, r as PluginResponse, c.responseHeaders);
      }
      return proceed();
    };
    try {
      let pending: void | Promise<void>;
      if (chain.length) {
        ctx = new Ctx(req, path, rawQuery, match, runtime.view, clientIp, headersUp);
        pending = access(ctx, 0);
      } else pending = proceed();
      if (pending) pending.catch(failed);
    } catch (err) {
      failed(err);
    }
  };

  function forward(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    match: RouteMatch,
    service: Service,
    rawQuery: string,
    headers: Record<string, string | string[]>,
    ctx: Ctx | null,
    ran: { name: string; instance: ChainEntry["candidates"][number]["instance"] }[],
    setUpstreamMs: (ms: number) => void,
  ): Promise<void> {
    const pathUp = upstreamPath(service.path, match.strippedPath, match.route.strip_path && match.matched !== "");
    const query = ctx?.upstreamQuery ?? rawQuery;
    const target = query ? `${pathUp}?${query}` : pathUp;
    const pool = upstreams.pool(service);
    const buffered = ctx?.bufferedBody;
    const body = buffered ?? (hasBody(req) ? req : null);
    const filters = ctx ? ran.filter((r) => r.instance.header_filter) : [];
    const t0 = performance.now();
    let attempt = 0;
    let controller: Dispatcher.DispatchController | null = null;
    const onClientClose = () => {
      if (!res.writableFinished) controller?.abort(new Error("the client closed the connection"));
    };
    res.once("close", onClientClose);

    // write_timeout: the upstream stopped taking the request body (undici paused the client's
    // stream for backpressure and nothing moved for that long).
    let writeTimedOut = false;
    let writeTimer: NodeJS.Timeout | undefined;
    if (body === req && service.write_timeout > 0) {
      let lastBytes = req.socket.bytesRead;
      let lastMove = performance.now();
      writeTimer = setInterval(() => {
        if (req.complete) return clearInterval(writeTimer);
        const bytes = req.socket.bytesRead;
        const now = performance.now();
        if (bytes !== lastBytes || req.readableFlowing !== false) {
          lastBytes = bytes;
          lastMove = now;
        } else if (now - lastMove >= service.write_timeout) {
          clearInterval(writeTimer);
          writeTimedOut = true;
          controller?.abort(Object.assign(new Error("timed out writing the request to the upstream"), { code: "GH_WRITE_TIMEOUT" }));
        }
      }, Math.max(10, Math.min(service.write_timeout / 4, 1000)));
      writeTimer.unref();
    }

    return new Promise<void>((resolve) => {
      const done = () => {
        clearInterval(writeTimer);
        res.off("close", onClientClose);
        resolve();
      };
      const dispatch = () => {
        let started = false;
        let headWritten = false;
        let pending: Buffer[] | null = null;
        let ended = false;
        const writeHead = (status: number, out: Record<string, string | string[] | undefined>) => {
          if (ctx) for (const k in out) if (out[k] === undefined) delete out[k];
          res.writeHead(status, out as http.OutgoingHttpHeaders);
          headWritten = true;
        };
        const write = (c: Dispatcher.DispatchController, chunk: Buffer) => {
          if (!res.write(chunk)) {
            c.pause();
            res.once("drain", () => c.resume());
          }
        };
        pool.dispatch(
          { path: target, method: req.method as Dispatcher.HttpMethod, headers, body },
          {
            onRequestStart(c) {
              controller = c;
            },
            onResponseStart(c, status, upHeaders) {
              started = true;
              clearInterval(writeTimer);
              setUpstreamMs(performance.now() - t0);
              const out = responseHeaders(upHeaders as Record<string, string | string[] | undefined>);
              if (!ctx) return writeHead(status, out);
              for (const k in ctx.responseHeaders) out[k.toLowerCase()] = ctx.responseHeaders[k];
              if (!filters.length) return writeHead(status, out);
              c.pause();
              pending = [];
              const info = { status, headers: out };
              (async () => {
                for (const { instance } of filters) await instance.header_filter!(ctx, info);
              })().then(
                () => {
                  writeHead(info.status, info.headers);
                  const queued = pending ?? [];
                  pending = null;
                  for (const chunk of queued) write(c, chunk);
                  if (ended) {
                    res.end();
                    done();
                  } else c.resume();
                },
                (err) => {
                  log.error("plugin header_filter failed", { err });
                  c.abort(err as Error);
                },
              );
            },
            onResponseData(c, chunk) {
              if (pending) pending.push(chunk);
              else write(c, chunk);
            },
            onResponseEnd() {
              if (pending) {
                ended = true;
                return;
              }
              res.end();
              done();
            },
            onResponseError(_c, err) {
              if (started) {
                if (headWritten || !res.headersSent) {
                  const code = (err as { code?: string }).code;
                  if (code !== "UND_ERR_ABORTED") log.warn("upstream response ended with an error", { code, service: service.name ?? service.id });
                }
                if (!headWritten && !res.headersSent) sendJson(res, 500, UNEXPECTED);
                else res.destroy();
                return done();
              }
              const code = (err as { code?: string }).code ?? "";
              if (CONNECT_ERRORS.has(code) && attempt < service.retries && (body !== req || !req.readableDidRead) && !res.destroyed) {
                attempt++;
                return dispatch();
              }
              setUpstreamMs(performance.now() - t0);
              if (res.destroyed) return done();
              if (writeTimedOut || code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_CONNECT_TIMEOUT" || err instanceof undiciErrors.HeadersTimeoutError) {
                log.warn("upstream timed out", { service: service.name ?? service.id, code });
                sendJson(res, 504, { message: "The upstream server is timing out" });
              } else if (code === "UND_ERR_REQ_CONTENT_LENGTH_MISMATCH" || req.errored || (req.destroyed && !req.complete)) {
                sendJson(res, 400, { message: "Bad request: the request body ended early" });
              } else {
                log.warn("upstream unreachable", { service: service.name ?? service.id, code, attempts: attempt + 1 });
                sendJson(res, 502, { message: "An invalid response was received from the upstream server" });
              }
              done();
            },
          },
        );
      };
      dispatch();
    });
  }
}
