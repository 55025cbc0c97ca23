// Email over SMTP with nodemailer: the local outbox in development (the stack gives functions
// SMTP_HOST and SMTP_PORT), a provider's SMTP relay in production (`supabase secrets set
// SMTP_HOST=… SMTP_PORT=587 SMTP_USER=… SMTP_PASS=… MAIL_FROM=…`).
// @ts-types="npm:@types/nodemailer@8.0.2"
import nodemailer from 'nodemailer';
import { requireEnv } from './env.ts';

export interface OutgoingMail {
  to: { name?: string; address: string };
  subject: string;
  text: string;
  html?: string;
  /** The same id on a retry lets mail clients that deduplicate by Message-ID show it once. */
  messageId?: string;
}

export interface Mailer {
  /** Resolves once the SMTP server has accepted the message; rejects with its error otherwise. */
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/** A pooled SMTP mailer from the function's environment, meant to serve many requests. */
export function smtpMailer(): Mailer {
  const port = Number(Deno.env.get('SMTP_PORT') ?? '587');
  const user = Deno.env.get('SMTP_USER');
  const transport = nodemailer.createTransport({
    host: requireEnv('SMTP_HOST'),
    port,
    secure: Deno.env.get('SMTP_SECURE') === 'true' || port === 465,
    auth: user ? { user, pass: Deno.env.get('SMTP_PASS') ?? '' } : undefined,
    pool: true,
    maxConnections: 3,
  });
  const from = Deno.env.get('MAIL_FROM') ?? 'Lintel <noreply@lintel.test>';
  return {
    async send(mail) {
      await transport.sendMail({
        from,
        to: mail.to.name ? { name: mail.to.name, address: mail.to.address } : mail.to.address,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        messageId: mail.messageId,
      });
    },
    close() {
      transport.close();
    },
  };
}
