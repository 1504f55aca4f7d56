/**
 * Login attempt throttling: failures are counted per email address (whether or
 * not an account exists, so the answer reveals nothing) and per client address,
 * in a sliding window. Held by cp.portal (no module-level state).
 */
export interface ThrottleOptions {
  windowMs?: number;
  maxPerAccount?: number;
  maxPerClient?: number;
}

export class LoginThrottle {
  readonly #failures = new Map<string, number[]>();
  readonly #opts: Required<ThrottleOptions>;

  constructor(opts: ThrottleOptions = {}) {
    this.#opts = { windowMs: 15 * 60_000, maxPerAccount: 5, maxPerClient: 30, ...opts };
  }

  #keys(email: unknown, client: string | null | undefined): { key: string; max: number }[] {
    const out: { key: string; max: number }[] = client ? [{ key: "c:" + client, max: this.#opts.maxPerClient }] : [];
    if (typeof email === "string" && email.trim()) out.push({ key: "e:" + email.trim().toLowerCase().slice(0, 300), max: this.#opts.maxPerAccount });
    return out;
  }

  #recent(key: string, now: number): number[] {
    const list = (this.#failures.get(key) ?? []).filter((t) => t > now - this.#opts.windowMs);
    if (list.length) this.#failures.set(key, list);
    else this.#failures.delete(key);
    return list;
  }

  /** Seconds to wait before another attempt, or 0 when one is allowed. */
  retryAfter(email: unknown, client: string | null | undefined, now = Date.now()): number {
    let wait = 0;
    for (const { key, max } of this.#keys(email, client)) {
      const list = this.#recent(key, now);
      if (list.length >= max) wait = Math.max(wait, Math.ceil((list[list.length - max] + this.#opts.windowMs - now) / 1000));
    }
    return wait;
  }

  fail(email: unknown, client: string | null | undefined, now = Date.now()): void {
    if (this.#failures.size > 100_000) this.#failures.clear(); // bounded memory under a flood
    for (const { key } of this.#keys(email, client)) {
      const list = this.#recent(key, now);
      list.push(now);
      this.#failures.set(key, list);
    }
  }

  succeed(email: unknown): void {
    if (typeof email === "string") this.#failures.delete("e:" + email.trim().toLowerCase().slice(0, 300));
  }
}

export function throttleMessage(seconds: number): string {
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  return `Too many log-in attempts. Try again in ${minutes} minute${minutes === 1 ? "" : "s"}.`;
}
