/**
 * The router, compiled once per snapshot from Kong's route fields: paths
 * (prefixes and `~` regexes), hosts (with `*.example.com` / `example.*`
 * wildcards), methods and headers. Matching follows Kong's priority:
 * routes matching on more fields first; then routes whose hosts are all plain;
 * then more headers; then regex paths before prefix paths (regexes by
 * regex_priority); then the longest path; then the oldest route.
 */
import type { Route, Service } from "../contract/entities";

export interface RouteMatch {
  route: Route;
  service: Service | null;
  /** The part of the path the route matched (prefix, or the regex's match). */
  matched: string;
  /** The request path with the matched part removed when strip_path is set. */
  strippedPath: string;
}

interface HostMatcher {
  test(host: string, hostWithPort: string): boolean;
  wildcard: boolean;
}

interface PathMatcher {
  regex: RegExp | null;
  prefix: string;
  length: number;
}

interface Candidate {
  route: Route;
  service: Service | null;
  methods: Set<string> | null;
  hosts: HostMatcher[] | null;
  headers: { name: string; values: string[]; regex: RegExp | null }[];
  path: PathMatcher | null;
  sortKey: number[];
}

function hostMatcher(pattern: string): HostMatcher {
  const p = pattern.toLowerCase();
  const hasPort = /:\d+$/.test(p);
  if (p.startsWith("*.")) {
    const suffix = p.slice(1);
    return { wildcard: true, test: (h, hp) => (hasPort ? hp : h).endsWith(suffix) && (hasPort ? hp : h).length > suffix.length };
  }
  if (p.endsWith(".*")) {
    const prefix = p.slice(0, -1);
    return { wildcard: true, test: (h) => h.startsWith(prefix) && h.length > prefix.length };
  }
  return { wildcard: false, test: (h, hp) => (hasPort ? hp === p : h === p) };
}

export class RouteCompileError extends Error {
  override name = "RouteCompileError";
}

function pathMatcher(p: string, routeId: string): PathMatcher {
  if (p.startsWith("~")) {
    try {
      return { regex: new RegExp(`^(?:${p.slice(1)})`), prefix: "", length: p.length - 1 };
    } catch (err) {
      throw new RouteCompileError(`route ${routeId}: invalid regex path ${JSON.stringify(p)}: ${(err as Error).message}`);
    }
  }
  return { regex: null, prefix: p, length: p.length };
}

/** Kong's traditional_compatible priority, as a comparable tuple (higher first). */
function sortKey(route: Route, path: PathMatcher | null, hosts: HostMatcher[] | null): number[] {
  const headerCount = route.headers ? Object.keys(route.headers).length : 0;
  const weight =
    (route.methods?.length ? 1 : 0) + (hosts?.length ? 1 : 0) + (path ? 1 : 0) + (headerCount ? 1 : 0);
  const plainHosts = hosts?.length && hosts.every((h) => !h.wildcard) ? 1 : 0;
  const isRegex = path?.regex ? 1 : 0;
  return [weight, plainHosts, headerCount, isRegex, isRegex ? route.regex_priority : 0, path?.length ?? 0, -route.created_at];
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return b[i] - a[i];
  return 0;
}

export class Router {
  readonly #candidates: Candidate[];

  constructor(routes: Route[], services: Service[]) {
    const byId = new Map(services.map((s) => [s.id, s]));
    const out: Candidate[] = [];
    for (const route of routes) {
      const service = route.service ? byId.get(route.service.id) ?? null : null;
      if (route.service && (!service || service.enabled === false)) continue; // disabled or missing service: not routed
      if (route.protocols.length && !route.protocols.some((p) => p === "http" || p === "https")) continue;
      const methods = route.methods?.length ? new Set(route.methods.map((m) => m.toUpperCase())) : null;
      const hosts = route.hosts?.length ? route.hosts.map(hostMatcher) : null;
      const headers = Object.entries(route.headers ?? {})
        .filter(([name]) => name.toLowerCase() !== "host")
        .map(([name, values]) => {
          const re = values.find((v) => v.startsWith("~*"));
          return { name: name.toLowerCase(), values: values.map((v) => v.toLowerCase()), regex: re ? new RegExp(re.slice(2), "i") : null };
        });
      const paths = route.paths?.length ? route.paths.map((p) => pathMatcher(p, route.id)) : [null];
      for (const path of paths) {
        out.push({ route, service, methods, hosts, headers, path, sortKey: sortKey(route, path, hosts) });
      }
    }
    out.sort((a, b) => compare(a.sortKey, b.sortKey));
    this.#candidates = out;
  }

  get size(): number {
    return this.#candidates.length;
  }

  /** `host` is the Host header as sent (it may carry a port). */
  match(method: string, hostHeader: string | undefined, path: string, headers: Record<string, string | string[] | undefined>): RouteMatch | null {
    const hostWithPort = (hostHeader ?? "").toLowerCase();
    const host = hostWithPort.replace(/:\d+$/, "");
    for (const c of this.#candidates) {
      if (c.methods && !c.methods.has(method)) continue;
      if (c.hosts && !c.hosts.some((h) => h.test(host, hostWithPort))) continue;
      if (c.headers.length && !c.headers.every((h) => headerMatches(h, headers[h.name]))) continue;
      let matched = "";
      if (c.path) {
        if (c.path.regex) {
          const m = c.path.regex.exec(path);
          if (!m) continue;
          matched = m[0];
        } else {
          if (!path.startsWith(c.path.prefix)) continue;
          matched = c.path.prefix;
        }
      }
      let strippedPath = path;
      if (c.route.strip_path && matched) {
        strippedPath = path.slice(matched.length);
        if (!strippedPath.startsWith("/")) strippedPath = "/" + strippedPath;
      }
      return { route: c.route, service: c.service, matched, strippedPath };
    }
    return null;
  }
}

function headerMatches(h: { values: string[]; regex: RegExp | null }, actual: string | string[] | undefined): boolean {
  if (actual === undefined) return false;
  const vals = (Array.isArray(actual) ? actual : [actual]).flatMap((v) => v.split(",")).map((v) => v.trim().toLowerCase());
  return vals.some((v) => h.values.includes(v) || (h.regex !== null && h.regex.test(v)));
}

/**
 * The upstream path (Kong's path_handling v0): the service's path joined with
 * the (possibly stripped) request path, without doubling a slash.
 */
export function upstreamPath(servicePath: string | null, strippedPath: string, stripped: boolean): string {
  if (!servicePath || servicePath === "/") return strippedPath || "/";
  if (stripped && strippedPath === "/") return servicePath;
  if (servicePath.endsWith("/") && strippedPath.startsWith("/")) return servicePath + strippedPath.slice(1);
  return servicePath + strippedPath;
}
