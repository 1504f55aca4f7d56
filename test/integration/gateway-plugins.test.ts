/**
 * The plugin runtime: phases, priorities, Kong's precedence across global,
 * service, route and consumer scopes, fail-closed for unknown plugins, and the
 * acl plugin. A small test plugin is registered through the registry's API.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Consumer } from "../../gateway/contract/entities";
import type { PluginHandler } from "../../gateway/plugins/types";
import {
  startEchoUpstream,
  startTestGateway,
  testAcl,
  testConsumer,
  testPlugin,
  testRoute,
  testService,
  testSnapshot,
  type EchoRequest,
  type EchoUpstream,
  type TestGateway,
} from "../support/gateway";

/** test-tag: appends its config.tag to X-Trace upstream; config.answer short-circuits. */
const tagPlugin = (name: string, priority: number): PluginHandler => ({
  name,
  priority,
  create(plugin) {
    const tag = String(plugin.config.tag);
    return {
      access(ctx) {
        const prev = ctx.upstreamHeaders.get("x-trace");
        ctx.upstreamHeaders.set("x-trace", prev ? `${prev},${tag}` : tag);
        if (plugin.config.answer) return { status: 418, body: { message: tag } };
      },
      header_filter(_ctx, res) {
        res.headers["x-filtered-by"] = tag;
      },
    };
  },
});

/** test-auth: identifies the consumer named by X-User; groups from X-Groups. */
const authPlugin: PluginHandler = {
  name: "test-auth",
  priority: 1100,
  create() {
    return {
      access(ctx) {
        const user = ctx.headers["x-user"];
        if (typeof user === "string") {
          const c = ctx.view.consumerByUsername(user);
          if (c) ctx.setConsumer(c, `cred-${user}`);
        }
        const groups = ctx.headers["x-groups"];
        if (typeof groups === "string") ctx.authenticated_groups = groups.split(",");
      },
    };
  },
};

/** test-hide: reads a form body, removes `token` from it and `access_token` from the query. */
const hidePlugin: PluginHandler = {
  name: "test-hide",
  priority: 1000,
  create() {
    return {
      async access(ctx) {
        const q = new URLSearchParams(ctx.query);
        q.delete("access_token");
        ctx.setUpstreamQuery(q);
        const body = await ctx.readBody();
        if (body && body.length) {
          const form = new URLSearchParams(body.toString());
          ctx.shared.token = form.get("token");
          form.delete("token");
          ctx.setUpstreamBody(Buffer.from(form.toString()));
        }
      },
    };
  },
};

let upstream: EchoUpstream;
let gw: TestGateway;
let alice: Consumer;
let bob: Consumer;

async function call(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(gw.url + path, { headers });
  const body = (await res.json()) as EchoRequest & { message?: string };
  return { status: res.status, body, headers: res.headers };
}

beforeAll(async () => {
  upstream = await startEchoUpstream();
  const svc = testService({ name: "s", host: upstream.host, port: upstream.port });
  const r1 = testRoute({ name: "r1", service: { id: svc.id }, paths: ["/r1"] });
  const r2 = testRoute({ name: "r2", service: { id: svc.id }, paths: ["/r2"] });
  const r3 = testRoute({ name: "r3", service: { id: svc.id }, paths: ["/r3"] });
  const acl = testRoute({ name: "acl", service: { id: svc.id }, paths: ["/acl"] });
  const aclGroups = testRoute({ name: "acl-groups", service: { id: svc.id }, paths: ["/acl-groups"] });
  const broken = testRoute({ name: "broken", service: { id: svc.id }, paths: ["/broken"] });
  const r4 = testRoute({ name: "r4", service: { id: svc.id }, paths: ["/r4"] });
  const hide = testRoute({ name: "hide", service: { id: svc.id }, paths: ["/hide"] });
  alice = testConsumer({ username: "alice", custom_id: "a-1" });
  bob = testConsumer({ username: "bob" });
  const P = (name: string, tag: string, scope: Record<string, { id: string }>, extra: Record<string, unknown> = {}) =>
    testPlugin({ name, config: { tag, ...extra }, ...scope });
  gw = await startTestGateway({
    plugins: [tagPlugin("tag-a", 2000), tagPlugin("tag-b", 10), authPlugin, hidePlugin],
    snapshot: testSnapshot({
      services: [svc],
      routes: [r1, r2, r3, r4, hide, acl, aclGroups, broken],
      consumers: [alice, bob],
      acls: [testAcl(alice, "gold")],
      plugins: [
        testPlugin({ name: "test-auth" }),
        // tag-a: global < service < route; consumer+route wins for alice on r1
        P("tag-a", "global", {}),
        P("tag-a", "service", { service: { id: svc.id } }),
        P("tag-a", "route-r1", { route: { id: r1.id } }),
        P("tag-a", "alice-on-r1", { route: { id: r1.id }, consumer: { id: alice.id } }),
        P("tag-a", "alice-anywhere", { consumer: { id: alice.id } }),
        // tag-b: only on r2, answers 418 itself
        P("tag-b", "answer", { route: { id: r2.id } }, { answer: true }),
        testPlugin({ name: "acl", route: { id: acl.id }, config: { allow: ["gold"], deny: null, hide_groups_header: false, always_use_authenticated_groups: false } }),
        testPlugin({ name: "acl", route: { id: aclGroups.id }, config: { allow: null, deny: ["banned"], hide_groups_header: true, always_use_authenticated_groups: true } }),
        testPlugin({ name: "no-such-handler", route: { id: broken.id } }),
        testPlugin({ name: "test-hide", route: { id: hide.id } }),
        testPlugin({ name: "tag-b", route: { id: r3.id }, config: { tag: "disabled" }, enabled: false }),
        // tag-b runs after test-auth: consumer > route; route+consumer > consumer
        P("tag-b", "r4-route", { route: { id: r4.id } }),
        P("tag-b", "alice-consumer", { consumer: { id: alice.id } }),
        P("tag-b", "bob-on-r4", { route: { id: r4.id }, consumer: { id: bob.id } }),
      ],
    }),
  });
});

afterAll(async () => {
  await gw?.stop();
  await upstream?.stop();
});

describe("precedence and priority", () => {
  it("the most specific instance of a plugin runs: route over service over global", async () => {
    expect((await call("/r1")).body.headers["x-trace"]).toBe("route-r1");
    expect((await call("/r3")).body.headers["x-trace"]).toBe("service");
  });

  it("consumer-scoped instances are chosen once a consumer is identified", async () => {
    // tag-a (2000) runs before test-auth (1100): no consumer is known yet, so its route instance runs
    // (not alice-on-r1); tag-b's consumer instance for alice applies on every route
    expect((await call("/r1", { "x-user": "alice" })).body.headers["x-trace"]).toBe("route-r1,alice-consumer");
    // tag-b (10) runs after test-auth: Kong's order route+consumer > route+service > consumer > route
    // (tag-a's service instance comes first on every route of the service)
    expect((await call("/r4")).body.headers["x-trace"]).toBe("service,r4-route");
    expect((await call("/r4", { "x-user": "alice" })).body.headers["x-trace"]).toBe("service,alice-consumer");
    expect((await call("/r4", { "x-user": "bob" })).body.headers["x-trace"]).toBe("service,bob-on-r4");
    expect((await call("/r3", { "x-user": "alice" })).body.headers["x-trace"]).toBe("service,alice-consumer");
  });

  it("sets Kong's consumer headers upstream", async () => {
    const r = await call("/r3", { "x-user": "alice" });
    expect(r.body.headers["x-consumer-id"]).toBe(alice.id);
    expect(r.body.headers["x-consumer-username"]).toBe("alice");
    expect(r.body.headers["x-consumer-custom-id"]).toBe("a-1");
    expect(r.body.headers["x-credential-identifier"]).toBe("cred-alice");
    const spoofed = await call("/r3", { "x-consumer-id": "forged" });
    expect(spoofed.body.headers["x-consumer-id"]).toBe("forged"); // no auth plugin set a consumer: Kong passes client headers through
  });

  it("an access phase can answer instead of proxying; header_filter runs on proxied responses", async () => {
    const n = upstream.seen.length;
    const r = await call("/r2");
    expect(r.status).toBe(418);
    expect(r.body.message).toBe("answer");
    expect(upstream.seen.length).toBe(n);
    expect((await call("/r3")).headers.get("x-filtered-by")).toBe("service");
  });

  it("a plugin with no handler fails closed with 500", async () => {
    const n = upstream.seen.length;
    const r = await call("/broken");
    expect(r.status).toBe(500);
    expect(r.body).toEqual({ message: "An unexpected error occurred" });
    expect(upstream.seen.length).toBe(n);
  });
});

describe("request rewriting", () => {
  it("a plugin can read the body and change the query and body sent upstream", async () => {
    const res = await fetch(`${gw.url}/hide/x?access_token=secret&keep=1`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "token=secret&field=value",
    });
    const seen = (await res.json()) as EchoRequest;
    expect(res.status).toBe(200);
    expect(seen.url).toBe("/x?keep=1");
    expect(seen.bodyBytes).toBe("field=value".length);
    expect(seen.headers["content-length"]).toBe(String("field=value".length));
  });
});

describe("acl", () => {
  it("allows a consumer in an allowed group and sets X-Consumer-Groups", async () => {
    const r = await call("/acl", { "x-user": "alice" });
    expect(r.status).toBe(200);
    expect(r.body.headers["x-consumer-groups"]).toBe("gold");
  });

  it("refuses a consumer outside the allowed groups (403) and an anonymous request (401)", async () => {
    expect((await call("/acl", { "x-user": "bob" })).status).toBe(403);
    expect((await call("/acl", { "x-user": "bob" })).body.message).toBe("You cannot consume this service");
    expect((await call("/acl")).status).toBe(401);
  });

  it("uses authenticated groups when the route says so, and hides the groups header", async () => {
    const ok = await call("/acl-groups", { "x-user": "alice", "x-groups": "silver" });
    expect(ok.status).toBe(200);
    expect(ok.body.headers["x-consumer-groups"]).toBeUndefined();
    expect((await call("/acl-groups", { "x-user": "alice", "x-groups": "banned" })).status).toBe(403);
    expect((await call("/acl-groups", { "x-groups": "silver,banned" })).status).toBe(403);
  });
});
