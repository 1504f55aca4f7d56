/**
 * Emails from handlebars templates (portal-templates/emails/<name>.txt.hbs, whose
 * first line is `Subject: ...`, and an optional <name>.html.hbs).
 *
 * `enqueue` renders and writes the email into email_outbox inside the caller's
 * transaction, so an email exists exactly when the change it reports committed.
 * With SMTP_URL set, a worker sends pending emails afterwards (retried); without
 * it, emails are kept in the outbox (status `kept`) and shown to admins.
 */
import type { Kysely, Transaction } from "kysely";
import type { Logger } from "../../lib/log";
import type { Database } from "./db/schema";
import type { Templates } from "./templates";

export type EmailTemplate =
  | "sign-up"
  | "developer-approved"
  | "developer-rejected"
  | "developer-revoked"
  | "password-reset"
  | "registration-requested"
  | "registration-approved"
  | "registration-rejected"
  | "registration-revoked";

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string | null;
}

interface Transport {
  sendMail(m: { from: string; to: string; subject: string; text: string; html?: string }): Promise<unknown>;
  close?(): void;
}

const MAX_ATTEMPTS = 8;

export class Emails {
  #transport: Transport | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly templates: Templates,
    private readonly opts: { smtpUrl?: string; smtpFrom: string; log: Logger; publicUrl: string; portalName?: string },
  ) {}

  get sends(): boolean {
    return !!this.opts.smtpUrl;
  }

  render(template: EmailTemplate, data: Record<string, unknown>): RenderedEmail {
    const ctx = { portal_url: this.opts.publicUrl, portal_name: this.opts.portalName ?? "Gatehouse", ...data };
    const raw = this.templates.render(`emails/${template}.txt.hbs`, ctx, { text: true });
    const m = /^Subject:[ \t]*(.*)\r?\n(?:\r?\n)?/.exec(raw);
    const subject = (m ? m[1] : template).replace(/[\r\n]+/g, " ").trim().slice(0, 200);
    const text = m ? raw.slice(m[0].length) : raw;
    const html = this.templates.resolve(`emails/${template}.html.hbs`) ? this.templates.render(`emails/${template}.html.hbs`, ctx) : null;
    return { subject, text, html };
  }

  /** Renders and stores an email in the caller's transaction; sending happens after commit. */
  async enqueue(trx: Kysely<Database> | Transaction<Database>, template: EmailTemplate, to: string, data: Record<string, unknown>): Promise<void> {
    const e = this.render(template, data);
    await trx
      .insertInto("email_outbox")
      .values({ to_address: to, subject: e.subject, text_body: e.text, html_body: e.html, template, status: this.sends ? "pending" : "kept" })
      .execute();
    this.kick();
  }

  /** Starts the sender (only with SMTP_URL). */
  start(intervalMs = 5000): void {
    if (!this.sends || this.#timer) return;
    this.#timer = setInterval(() => this.kick(), intervalMs);
    this.#timer.unref();
  }

  /** Sends pending emails soon (after the current transaction commits). */
  kick(): void {
    if (!this.sends || this.#stopped) return;
    setTimeout(() => void this.flush(), 20).unref();
  }

  async flush(): Promise<void> {
    if (!this.sends || this.#stopped) return;
    if (this.#running) return this.#running;
    this.#running = this.#flush().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #flush(): Promise<void> {
    const rows = await this.db.selectFrom("email_outbox").selectAll().where("status", "=", "pending").orderBy("id").limit(20).execute();
    for (const row of rows) {
      if (this.#stopped) return;
      try {
        const transport = await this.#getTransport();
        await transport.sendMail({ from: this.opts.smtpFrom, to: row.to_address, subject: row.subject, text: row.text_body, html: row.html_body ?? undefined });
        await this.db.updateTable("email_outbox").set({ status: "sent", sent_at: new Date(), attempts: row.attempts + 1, last_error: null }).where("id", "=", row.id).execute();
      } catch (err) {
        const attempts = row.attempts + 1;
        this.opts.log.warn("email not sent", { id: row.id, attempts, error: (err as Error).message });
        await this.db
          .updateTable("email_outbox")
          .set({ attempts, last_error: (err as Error).message.slice(0, 500), status: attempts >= MAX_ATTEMPTS ? "failed" : "pending" })
          .where("id", "=", row.id)
          .execute();
        return; // the SMTP server is probably down: try again on the next tick
      }
    }
  }

  async #getTransport(): Promise<Transport> {
    if (!this.#transport) {
      const nodemailer = await import("nodemailer");
      this.#transport = nodemailer.createTransport(this.opts.smtpUrl!) as unknown as Transport;
    }
    return this.#transport;
  }

  async close(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    await this.#running?.catch(() => {});
    this.#transport?.close?.();
  }
}
