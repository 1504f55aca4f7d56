/**
 * Hybrid mode: long-polls the control plane's cluster listener
 * (`GET /v1/config?after=<version>`, CLUSTER_TOKEN as a Bearer token) and hands
 * every new snapshot to `apply`. Backs off while the control plane is down; the
 * data plane keeps serving its last snapshot meanwhile.
 */
import { request } from "undici";
import type { Logger } from "../../lib/log";
import type { Snapshot } from "../contract/snapshot";

export interface ClusterClientOptions {
  url: string;
  token: string;
  log: Logger;
  /** The version in force (0: none). */
  version(): number;
  apply(snapshot: Snapshot): Promise<void>;
  /** How long the control plane may hold a poll, in seconds (default 30). */
  waitSeconds?: number;
}

export class ClusterClient {
  readonly #opts: ClusterClientOptions;
  readonly #abort = new AbortController();
  #running: Promise<void> | undefined;
  #failures = 0;
  lastError: string | null = null;
  lastContact = 0;

  constructor(opts: ClusterClientOptions) {
    this.#opts = opts;
  }

  /** One poll; resolves true when a snapshot was applied. */
  async pollOnce(wait = this.#opts.waitSeconds ?? 30): Promise<boolean> {
    const { url, token, version } = this.#opts;
    const res = await request(`${url.replace(/\/+$/, "")}/v1/config?after=${version()}&wait=${wait}`, {
      headers: { authorization: `Bearer ${token}`, accept: "application/json" },
      headersTimeout: (wait + 15) * 1000,
      bodyTimeout: 60_000,
      signal: this.#abort.signal,
    });
    this.lastContact = Date.now();
    if (res.statusCode === 204) {
      await res.body.dump();
      return false;
    }
    const text = await res.body.text();
    if (res.statusCode !== 200) {
      let message = text;
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? text;
      } catch {}
      throw new Error(`control plane answered ${res.statusCode}: ${message}`);
    }
    const snapshot = JSON.parse(text) as Snapshot;
    // any other version applies, lower included (the control plane's database was restored)
    if (snapshot.version !== version()) await this.#opts.apply(snapshot);
    return true;
  }

  start(): void {
    if (this.#running) return;
    this.#running = (async () => {
      while (!this.#abort.signal.aborted) {
        try {
          await this.pollOnce();
          if (this.#failures) this.#opts.log.info("control plane reachable again", { url: this.#opts.url });
          this.#failures = 0;
          this.lastError = null;
        } catch (err) {
          if (this.#abort.signal.aborted) break;
          this.#failures++;
          this.lastError = (err as Error).message;
          if (this.#failures === 1 || this.#failures % 30 === 0) {
            this.#opts.log.warn("config sync failed; serving the last snapshot", { url: this.#opts.url, error: this.lastError, version: this.#opts.version() });
          }
          const delay = Math.min(5000, 250 * 2 ** Math.min(this.#failures - 1, 5));
          await new Promise<void>((r) => {
            const t = setTimeout(r, delay);
            this.#abort.signal.addEventListener("abort", () => (clearTimeout(t), r()), { once: true });
          });
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#running?.catch(() => {});
  }
}
