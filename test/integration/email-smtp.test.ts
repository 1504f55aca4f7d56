/**
 * With SMTP_URL set, emails in email_outbox are sent over SMTP (nodemailer)
 * after the commit, to a real SMTP conversation on loopback; an SMTP server that
 * is down leaves them pending with the error, and they go once it is back.
 */
import net from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgliteTarget } from "../support/db";
import { composeControlPlane, type ComposedControlPlane } from "../support/portal-cp";

/** A minimal SMTP receiver (RFC 5321 command sequence) that records messages. */
function smtpSink(port = 0): Promise<{ port: number; messages: string[]; close(): Promise<void> }> {
  const messages: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on("close", () => sockets.delete(sock));
    let data = false;
    let buf = "";
    let body = "";
    sock.write("220 sink ESMTP\r\n");
    sock.on("data", (chunk) => {
      buf += chunk.toString("utf8");
      let i;
      while ((i = buf.indexOf("\r\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (data) {
          if (line === ".") {
            data = false;
            messages.push(body);
            body = "";
            sock.write("250 queued\r\n");
          } else body += line + "\n";
          continue;
        }
        const cmd = line.slice(0, 4).toUpperCase();
        if (cmd === "EHLO" || cmd === "HELO") sock.write("250-sink\r\n250 8BITMIME\r\n");
        else if (cmd === "DATA") {
          data = true;
          sock.write("354 go ahead\r\n");
        } else if (cmd === "QUIT") {
          sock.write("221 bye\r\n");
          sock.end();
        } else sock.write("250 ok\r\n");
      }
    });
  });
  return new Promise((resolve) =>
    server.listen(port, "127.0.0.1", () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        messages,
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      }),
    ),
  );
}

describe("emails over SMTP", () => {
  let sink: Awaited<ReturnType<typeof smtpSink>>;
  let h: ComposedControlPlane;
  beforeAll(async () => {
    sink = await smtpSink();
    h = await composeControlPlane(pgliteTarget, { SMTP_URL: `smtp://127.0.0.1:${sink.port}`, SMTP_FROM: "Portal <portal@example.com>" });
  });
  afterAll(async () => {
    await h?.stop();
    await sink?.close();
  });

  const until = async (fn: () => Promise<boolean>, ms = 15_000) => {
    const end = Date.now() + ms;
    while (!(await fn())) {
      if (Date.now() > end) throw new Error("timed out");
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  it("sends a queued email, and retries one the SMTP server could not take", async () => {
    await h.cp.db.transaction().execute((trx) => h.cp.portal.emails.enqueue(trx, "password-reset", "ada@example.com", { full_name: "Ada", reset_url: "http://x/reset?token=abc", minutes: 30 }));
    await until(async () => sink.messages.length === 1);
    expect(sink.messages[0]).toMatch(/Subject: Reset your Gatehouse password/);
    expect(sink.messages[0]).toMatch(/To: ada@example.com/);
    expect(sink.messages[0]).toMatch(/http:\/\/x\/reset\?token=(3D)?abc/); // quoted-printable may encode "="
    await until(async () => (await h.cp.db.selectFrom("email_outbox").select("status").executeTakeFirstOrThrow()).status === "sent");

    const port = sink.port;
    await sink.close();
    await h.cp.db.transaction().execute((trx) => h.cp.portal.emails.enqueue(trx, "registration-approved", "bob@example.com", { full_name: "Bob", application_name: "App", service_name: "Demo" }));
    await until(async () => {
      const r = await h.cp.db.selectFrom("email_outbox").selectAll().where("to_address", "=", "bob@example.com").executeTakeFirstOrThrow();
      return r.attempts >= 1 && r.status === "pending" && !!r.last_error;
    });
    sink = await smtpSink(port);
    await h.cp.portal.emails.flush();
    await until(async () => sink.messages.some((m) => m.includes("App may now call Demo")));
  });
});
