import { describe, expect, it } from "vitest";
import { normalizePath } from "../../gateway/proxy/normalize";
import { Router, upstreamPath } from "../../gateway/proxy/router";
import { testRoute, testService } from "../support/gateway";

const svc = testService({ host: "upstream", port: 80 });
const name = (r: ReturnType<Router["match"]>) => r?.route.name ?? null;

describe("router", () => {
  it("orders by Kong's priority", () => {
    const routes = [
      testRoute({ name: "prefix-short", service: { id: svc.id }, paths: ["/a"] }),
      testRoute({ name: "prefix-long", service: { id: svc.id }, paths: ["/a/b"] }),
      testRoute({ name: "regex", service: { id: svc.id }, paths: ["~/a/\\d+"] }),
      testRoute({ name: "regex-high", service: { id: svc.id }, paths: ["~/a/1\\d*"], regex_priority: 10 }),
      testRoute({ name: "host", service: { id: svc.id }, paths: ["/a"], hosts: ["x.example"] }),
      testRoute({ name: "wild", service: { id: svc.id }, paths: ["/a"], hosts: ["*.example"] }),
      testRoute({ name: "hdr", service: { id: svc.id }, paths: ["/a"], headers: { "x-v": ["2"] } }),
    ];
    const r = new Router(routes, [svc]);
    expect(name(r.match("GET", "h", "/a/b/c", {}))).toBe("prefix-long");
    expect(name(r.match("GET", "h", "/a/c", {}))).toBe("prefix-short");
    expect(name(r.match("GET", "h", "/a/23", {}))).toBe("regex");
    expect(name(r.match("GET", "h", "/a/123", {}))).toBe("regex-high");
    expect(name(r.match("GET", "x.example:8000", "/a/b", {}))).toBe("host");
    expect(name(r.match("GET", "y.example", "/a/b", {}))).toBe("wild");
    expect(name(r.match("GET", "h", "/a/b", { "x-v": "2" }))).toBe("hdr");
    expect(r.match("GET", "h", "/b", {})).toBeNull();
  });

  it("strips the matched part and joins the service path (path_handling v0)", () => {
    const r = new Router([testRoute({ name: "s", service: { id: svc.id }, paths: ["~/v\\d+/items"] })], [svc]);
    expect(r.match("GET", "h", "/v2/items/9", {})).toMatchObject({ matched: "/v2/items", strippedPath: "/9" });
    expect(upstreamPath("/base", "/9", true)).toBe("/base/9");
    expect(upstreamPath("/base/", "/9", true)).toBe("/base/9");
    expect(upstreamPath("/base", "/", true)).toBe("/base");
    expect(upstreamPath(null, "/9", true)).toBe("/9");
  });
});

describe("path normalization", () => {
  it("decodes unreserved escapes and removes dot segments; refuses bad escapes", () => {
    expect(normalizePath("/api/../admin")).toBe("/admin");
    expect(normalizePath("/api/%2e%2e/admin")).toBe("/admin");
    expect(normalizePath("/a/./b/")).toBe("/a/b/");
    expect(normalizePath("/../../x")).toBe("/x");
    expect(normalizePath("/a/b/..")).toBe("/a/");
    expect(normalizePath("/%7euser/%2Fx")).toBe("/~user/%2Fx");
    expect(normalizePath("/bad%zz")).toBeNull();
    expect(normalizePath("/plain/path")).toBe("/plain/path");
  });
});
