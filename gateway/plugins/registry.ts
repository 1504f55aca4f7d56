/**
 * The plugin handlers this build ships. Adding a plugin: write
 * gateway/plugins/<name>/handler.ts, put its schema in gateway/contract/plugins,
 * and add one import line and one entry below.
 *
 * A plugin configured in a snapshot whose name has no handler here makes every
 * request it applies to fail closed: 500 {"message":"An unexpected error occurred"},
 * logged once per snapshot.
 */
import acl from "./acl/handler";
import applicationRegistration from "./application-registration/handler";
import openidConnect from "./openid-connect/handler";
import type { PluginHandler } from "./types";

export const BUILTIN_HANDLERS: readonly PluginHandler[] = [
  acl,
  openidConnect,
  applicationRegistration,
];

export class PluginRegistry {
  readonly #handlers = new Map<string, PluginHandler>();

  constructor(handlers: readonly PluginHandler[] = BUILTIN_HANDLERS) {
    for (const h of handlers) this.register(h);
  }

  /** Adds a handler (tests use this for a small test plugin); replaces one of the same name. */
  register(handler: PluginHandler): this {
    this.#handlers.set(handler.name, handler);
    return this;
  }

  get(name: string): PluginHandler | undefined {
    return this.#handlers.get(name);
  }

  names(): string[] {
    return [...this.#handlers.keys()];
  }
}

/** The registry of shipped handlers plus `extra` (for tests). */
export function createPluginRegistry(extra: readonly PluginHandler[] = []): PluginRegistry {
  const r = new PluginRegistry();
  for (const h of extra) r.register(h);
  return r;
}
