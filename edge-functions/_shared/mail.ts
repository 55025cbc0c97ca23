// Email over SMTP with nodemailer: the local outbox in development (the stack hands functions
// SMTP_HOST and SMTP_PORT, as `supabase start` does with Mailpit), a provider's relay in production
// (`supabase secrets set SMTP_HOST=… SMTP_PORT=465 SMTP_SECURE=true SMTP_USER=… SMTP_PASS=…
// MAIL_FROM=…`; hosted Edge Functions may not connect to ports 25 and 587).
// @ts-types="npm:@types/nodemailer@8.0.2"
import nodemailer from 'nodemailer';
import { requireEnv } from './env.ts';

export interface OutgoingMail {
  to: string | { name?: string; address: string };
  subject: string;
  /** Plain text for every client; HTML for those that show it. */
  text: string;
  html?: string;
  replyTo?: string;
  /** The same id on a retry lets mail clients that deduplicate by Message-ID show it once. */
  messageId?: string;
}

export interface Mailer {
  /** Resolves once the SMTP server has accepted the message; rejects with its error otherwise. */
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/**
 * A pooled SMTP mailer from the function's environment, meant to serve many requests. Without a
 * login it is a local catcher and no TLS is attempted; with one, TLS is required (STARTTLS, or
 * implicit with SMTP_SECURE=true / port 465).
 */
export function smtpMailer(): Mailer {
  const port = Number(Deno.env.get('SMTP_PORT') ?? '465');
  const user = Deno.env.get('SMTP_USER');
  const secure = Deno.env.get('SMTP_SECURE') === 'true' || port === 465;
  const transport = nodemailer.createTransport({
    host: requireEnv('SMTP_HOST'),
    port,
    secure,
    ...(user ? { auth: { user, pass: requireEnv('SMTP_PASS') }, requireTLS: !secure } : { ignoreTLS: true }),
    pool: true,
    maxConnections: 3,
  });
  const from = Deno.env.get('MAIL_FROM') ?? 'Lintel <no-reply@lintel.app>';
  return {
    async send(mail) {
      await transport.sendMail({
        from,
        to: typeof mail.to === 'string' || !mail.to.name ? (typeof mail.to === 'string' ? mail.to : mail.to.address) : { name: mail.to.name, address: mail.to.address },
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        replyTo: mail.replyTo,
        messageId: mail.messageId,
      });
    },
    close() {
      transport.close();
    },
  };
}

let shared: Mailer | undefined;

/** Sends one email with the worker's shared mailer (MAIL_FROM, default "Lintel <no-reply@lintel.app>"). */
export function sendMail(mail: OutgoingMail): Promise<void> {
  shared ??= smtpMailer();
  return shared.send(mail);
}

/** Text for an HTML body: & < > " ' as entities. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
