/**
 * Request path normalization before routing, as Kong does: percent-encoded
 * unreserved characters are decoded (so `%2e%2e` is `..`), then dot segments
 * are removed (RFC 3986 section 5.2.4). A route prefix therefore cannot be
 * walked out of with `/api/../admin`. Returns null for a malformed escape.
 */

const UNRESERVED = /[A-Za-z0-9\-._~]/;

function decodeUnreserved(path: string): string | null {
  if (!path.includes("%")) return path;
  let out = "";
  for (let i = 0; i < path.length; i++) {
    const c = path[i];
    if (c !== "%") {
      out += c;
      continue;
    }
    const hex = path.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return null;
    const ch = String.fromCharCode(parseInt(hex, 16));
    out += UNRESERVED.test(ch) ? ch : `%${hex.toUpperCase()}`;
    i += 2;
  }
  return out;
}

function removeDotSegments(path: string): string {
  if (!path.includes(".")) return path;
  const segments = path.split("/");
  const out: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i];
    const last = i === segments.length - 1;
    if (s === ".") {
      if (last) out.push("");
    } else if (s === "..") {
      if (out.length > 1) out.pop();
      if (last) out.push("");
    } else out.push(s);
  }
  const joined = out.join("/");
  return joined.startsWith("/") ? joined : `/${joined}`;
}

export function normalizePath(path: string): string | null {
  const decoded = decodeUnreserved(path);
  return decoded === null ? null : removeDotSegments(decoded);
}
