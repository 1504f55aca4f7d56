/**
 * Keep-alive undici pools, one per upstream origin and timeouts (a service's
 * connect_timeout, and read_timeout as the pool's headers and body timeouts, so
 * no per-request timer is needed), kept across snapshot swaps while some
 * service still points at them.
 */
import { Pool } from "undici";
import type { Service } from "../contract/entities";

export interface PoolStats {
  origin: string;
  connected: number;
  free: number;
  pending: number;
  running: number;
  size: number;
}

export function serviceOrigin(s: Service): string {
  const host = s.host.includes(":") && !s.host.startsWith("[") ? `[${s.host}]` : s.host;
  return `${s.protocol}://${host}:${s.port}`;
}

export class Upstreams {
  readonly #pools = new Map<string, { origin: string; pool: Pool }>();
  readonly #connections: number;

  constructor(opts: { connections?: number } = {}) {
    this.#connections = opts.connections ?? 256;
  }

  #key(s: Service): string {
    return `${serviceOrigin(s)}|${s.connect_timeout}|${s.read_timeout}`;
  }

  pool(s: Service): Pool {
    const key = this.#key(s);
    let e = this.#pools.get(key);
    if (!e) {
      const origin = serviceOrigin(s);
      e = {
        origin,
        pool: new Pool(origin, {
          connections: this.#connections,
          pipelining: 1,
          keepAliveTimeout: 60_000,
          keepAliveMaxTimeout: 600_000,
          connect: { timeout: s.connect_timeout, rejectUnauthorized: true },
          headersTimeout: s.read_timeout,
          bodyTimeout: s.read_timeout,
        }),
      };
      this.#pools.set(key, e);
    }
    return e.pool;
  }

  /** Closes the pools no service of the new snapshot uses. */
  retain(services: Service[]): void {
    const keep = new Set(services.map((s) => this.#key(s)));
    for (const [key, e] of this.#pools) {
      if (!keep.has(key)) {
        this.#pools.delete(key);
        e.pool.close().catch(() => {});
      }
    }
  }

  stats(): PoolStats[] {
    return [...this.#pools.values()].map(({ origin, pool }) => {
      const s = pool.stats;
      return { origin, connected: s.connected, free: s.free, pending: s.pending, running: s.running, size: s.size };
    });
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((e) => e.pool.destroy().catch(() => {})));
  }
}
