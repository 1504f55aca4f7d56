/**
 * Everything the proxy needs for one snapshot, built off to the side and then
 * swapped in one step: the router, plugin instances and, per route, the plugin
 * chain with Kong's precedence.
 */
import type { Dispatcher } from "undici";
import type { Logger } from "../../lib/log";
import type { Plugin, Route, Service } from "../contract/entities";
import type { Snapshot } from "../contract/snapshot";
import type { PluginRegistry } from "../plugins/registry";
import type { PluginEnv, PluginInstance, SnapshotView } from "../plugins/types";
import { Router } from "./router";
import { buildView } from "./view";

export const UNEXPECTED = { message: "An unexpected error occurred" };

export interface ChainEntry {
  name: string;
  priority: number;
  /** Candidates for this plugin name, most specific first; `consumer` null matches any consumer. */
  candidates: { consumer: string | null; plugin: Plugin; instance: PluginInstance }[];
}

export interface Runtime {
  version: number;
  snapshot: Snapshot;
  view: SnapshotView;
  router: Router;
  /** The plugin chain of a route (by priority, highest first). */
  chain(route: Route, service: Service | null): ChainEntry[];
  close(): void;
}

/** Kong's precedence rank: lower is more specific. */
function rank(p: Plugin): number {
  const r = p.route !== null, s = p.service !== null, c = p.consumer !== null;
  if (r && s && c) return 0;
  if (r && c) return 1;
  if (s && c) return 2;
  if (r && s) return 3;
  if (c) return 4;
  if (r) return 5;
  if (s) return 6;
  return 7;
}

/** An instance that fails closed: a configured plugin this build has no handler for. */
function missingHandler(plugin: Plugin, log: Logger): PluginInstance {
  log.error("plugin has no handler in this build: requests it applies to answer 500", { plugin: plugin.name, id: plugin.id });
  return { access: () => ({ status: 500, body: UNEXPECTED }) };
}

export function compileRuntime(snapshot: Snapshot, registry: PluginRegistry, log: Logger, dispatcher: Dispatcher): Runtime {
  const router = new Router(snapshot.routes, snapshot.services);
  const view = buildView(snapshot);
  const env: PluginEnv = { view, log, dispatcher };
  const instances: { plugin: Plugin; instance: PluginInstance; priority: number }[] = [];
  for (const plugin of snapshot.plugins) {
    if (plugin.enabled === false) continue;
    const handler = registry.get(plugin.name);
    let instance: PluginInstance;
    if (!handler) instance = missingHandler(plugin, log);
    else {
      try {
        instance = handler.create(plugin, { ...env, log: log.child(`plugin:${plugin.name}`) });
      } catch (err) {
        log.error("plugin failed to start: requests it applies to answer 500", { plugin: plugin.name, id: plugin.id, err });
        instance = { access: () => ({ status: 500, body: UNEXPECTED }) };
      }
    }
    instances.push({ plugin, instance, priority: handler?.priority ?? Number.MAX_SAFE_INTEGER });
  }
  const chains = new Map<string, ChainEntry[]>();
  const build = (route: Route, service: Service | null): ChainEntry[] => {
    const byName = new Map<string, ChainEntry & { ranks: number[] }>();
    for (const { plugin, instance, priority } of instances) {
      if (plugin.route && plugin.route.id !== route.id) continue;
      if (plugin.service && plugin.service.id !== service?.id) continue;
      let e = byName.get(plugin.name);
      if (!e) byName.set(plugin.name, (e = { name: plugin.name, priority, candidates: [], ranks: [] }));
      e.candidates.push({ consumer: plugin.consumer?.id ?? null, plugin, instance });
      e.ranks.push(rank(plugin));
    }
    return [...byName.values()]
      .map((e) => {
        const order = e.candidates.map((c, i) => ({ c, r: e.ranks[i] })).sort((a, b) => a.r - b.r);
        return { name: e.name, priority: e.priority, candidates: order.map((o) => o.c) };
      })
      .sort((a, b) => b.priority - a.priority || a.name.localeCompare(b.name));
  };
  return {
    version: snapshot.version,
    snapshot,
    view,
    router,
    chain(route, service) {
      let c = chains.get(route.id);
      if (!c) chains.set(route.id, (c = build(route, service)));
      return c;
    },
    close() {
      for (const { instance } of instances) {
        try {
          instance.close?.();
        } catch {}
      }
    },
  };
}
