/** Small portal modules: login throttle, OpenAPI model, templates and email rendering, DCR allow-list. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { LoginThrottle } from "../../app/.server/throttle";
import { specModel, SpecError } from "../../app/.server/openapi";
import { Templates } from "../../app/.server/templates";
import { Emails } from "../../app/.server/email";
import { allowListed } from "../../app/.server/idp/types";
import { shellQuote } from "../../app/.server/catalog";
import { parseRedirectUris } from "../../app/.server/applications";
import { createLogger } from "../../lib/log";

describe("LoginThrottle", () => {
  it("locks an address after 5 failures in the window, then lets it go", () => {
    const t = new LoginThrottle();
    const now = 1_000_000;
    for (let i = 0; i < 4; i++) t.fail("A@example.com", null, now + i);
    expect(t.retryAfter("a@example.com", null, now + 10)).toBe(0);
    t.fail("a@example.com", null, now + 5);
    const wait = t.retryAfter("a@example.com", null, now + 10);
    expect(wait).toBeGreaterThan(14 * 60);
    expect(t.retryAfter("b@example.com", null, now + 10)).toBe(0);
    expect(t.retryAfter("a@example.com", null, now + 15 * 60_000 + 10)).toBe(0);
  });
  it("counts per client address too when known", () => {
    const t = new LoginThrottle({ maxPerClient: 3 });
    for (let i = 0; i < 3; i++) t.fail(`u${i}@example.com`, "10.0.0.1", 1000);
    expect(t.retryAfter("new@example.com", "10.0.0.1", 1001)).toBeGreaterThan(0);
    expect(t.retryAfter("new@example.com", "10.0.0.2", 1001)).toBe(0);
  });
});

describe("OpenAPI model", () => {
  it("reads YAML and JSON, operations with parameters and responses", () => {
    const m = specModel(fs.readFileSync(path.join(__dirname, "../../portal-templates/specs/demo.yaml"), "utf8"));
    expect(m.title).toBe("Demo API");
    expect(m.operations.map((o) => `${o.method} ${o.path}`)).toEqual(["GET /", "POST /"]);
    expect(m.operations[0].responses.map((r) => r.code)).toEqual(["200", "401", "403"]);
    const j = specModel(JSON.stringify({ swagger: "2.0", info: { title: "T" }, paths: { "/a/{id}": { parameters: [{ name: "id", in: "path", required: true }], delete: {} } } }));
    expect(j.operations[0]).toMatchObject({ method: "DELETE", path: "/a/{id}", parameters: [{ name: "id", in: "path", required: true }] });
  });
  it("names what is wrong", () => {
    expect(() => specModel("a: [")).toThrow(SpecError);
    expect(() => specModel("{}")).toThrow(/openapi/);
    expect(() => specModel('{"openapi":"3.0.0"}')).toThrow(/paths/);
  });
});

describe("templates and emails", () => {
  it("lets an override folder win, escapes HTML, renders text emails with a subject", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gh-tpl-"));
    fs.mkdirSync(path.join(dir, "emails"));
    fs.writeFileSync(path.join(dir, "emails", "registration-approved.txt.hbs"), "Subject: OK {{application_name}}\n\nBody <{{application_name}}>\n");
    const t = new Templates(dir);
    expect(t.resolve("pages/home.hbs")).toContain(path.join("portal-templates", "pages"));
    expect(t.resolve("../package.json")).toBeUndefined();
    expect(t.page("home", { portal_name: "<i>x</i>", developer: null })).toContain("&lt;i&gt;x&lt;/i&gt;");
    const e = new Emails(null as never, t, { smtpFrom: "x", log: createLogger({ level: "silent" }), publicUrl: "http://p" });
    const r = e.render("registration-approved", { application_name: "A&B" });
    expect(r).toEqual({ subject: "OK A&B", text: "Body <A&B>\n", html: null });
    const builtin = e.render("password-reset", { full_name: "Ada", reset_url: "http://p/reset?token=t", minutes: 30 });
    expect(builtin.subject).toBe("Reset your Gatehouse password");
    expect(builtin.text).toContain("http://p/reset?token=t");
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe("small rules", () => {
  it("sends only allow-listed client metadata to an IdP", () => {
    const m = allowListed({ client_name: "a", redirect_uris: [], grant_types: ["client_credentials"], response_types: [], token_endpoint_auth_method: "client_secret_basic", jwks_uri: "https://evil", scope: "admin" } as never);
    expect(Object.keys(m).sort()).toEqual(["client_name", "grant_types", "redirect_uris", "response_types", "token_endpoint_auth_method"]);
  });
  it("quotes curl arguments for a shell", () => {
    expect(shellQuote("https://a.example/x")).toBe("https://a.example/x");
    expect(shellQuote("read write")).toBe("'read write'");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
  it("accepts https, loopback http and private-use redirect URIs only", () => {
    const f: Record<string, string> = {};
    expect(parseRedirectUris("https://a.example/cb\nhttp://localhost:8080/cb com.example.app:/cb", f)).toEqual(["https://a.example/cb", "http://localhost:8080/cb", "com.example.app:/cb"]);
    for (const bad of ["http://a.example/cb", "javascript:alert(1)", "https://a.example/cb#frag", "not a url"]) {
      const e: Record<string, string> = {};
      expect(parseRedirectUris([bad], e)).toBeUndefined();
      expect(e.redirect_uris).toBeTruthy();
    }
  });
});
