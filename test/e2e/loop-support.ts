/** Shared steps of the whole-loop tests: polling, gateway calls, tokens. */
import { expect } from "vitest";

export async function until<T>(fn: () => Promise<T | undefined | false>, ms = 10_000, everyMs = 10): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface GatewayAnswer {
  status: number;
  body: { message?: string; reason?: string; headers?: Record<string, string>; url?: string };
}

export async function callGateway(url: string, token: string): Promise<GatewayAnswer> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  let body: GatewayAnswer["body"] = {};
  try {
    body = JSON.parse(text);
  } catch {
    body = { message: text };
  }
  return { status: res.status, body };
}

/** Calls until `ok(answer)`; resolves with the answer and the milliseconds since `since`. */
export async function waitForAnswer(url: string, token: string, ok: (a: GatewayAnswer) => boolean, since = performance.now(), ms = 10_000) {
  let last: GatewayAnswer | undefined;
  const answer = await until(async () => {
    last = await callGateway(url, token);
    return ok(last) ? last : undefined;
  }, ms, 5).catch((err) => {
    throw new Error(`${(err as Error).message}; last answer ${JSON.stringify(last)}`);
  });
  return { answer, ms: performance.now() - since };
}

/** A client_credentials access token from a token endpoint (client_secret_basic). */
export async function clientCredentialsToken(tokenEndpoint: string, clientId: string, secret: string, extra: Record<string, string> = {}): Promise<string> {
  const res = await fetch(tokenEndpoint, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: "Basic " + Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString("base64"),
    },
    body: new URLSearchParams({ grant_type: "client_credentials", ...extra }),
  });
  const body = (await res.json()) as { access_token?: string };
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body.access_token!;
}

export function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const median = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { n: s.length, median: Math.round(median), worst: Math.round(s[s.length - 1]), best: Math.round(s[0]) };
}
