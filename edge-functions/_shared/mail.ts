// @ts-types="npm:@types/nodemailer@8.0.2"
import nodemailer from 'nodemailer';
import { requireEnv } from './env.ts';

/** One email: plain text for every client, HTML for those that show it. */
export interface Mail {
  to: string;
  subject: string;
  text: string;
  html: string;
  replyTo?: string;
}

let transport: nodemailer.Transporter | undefined;

/**
 * SMTP from the function's environment: SMTP_HOST and SMTP_PORT (the local stack hands functions
 * its outbox, as `supabase start` does with Mailpit), SMTP_USER / SMTP_PASS for a provider, and
 * SMTP_SECURE=true for implicit TLS on 465 (hosted Edge Functions may not connect to ports 25 and
 * 587). Without a login it is a local catcher: no TLS is attempted.
 */
function smtp(): nodemailer.Transporter {
  if (transport) return transport;
  const user = Deno.env.get('SMTP_USER');
  const secure = Deno.env.get('SMTP_SECURE') === 'true';
  transport = nodemailer.createTransport({
    host: requireEnv('SMTP_HOST'),
    port: Number(requireEnv('SMTP_PORT')),
    secure,
    ...(user ? { auth: { user, pass: requireEnv('SMTP_PASS') }, requireTLS: !secure } : { ignoreTLS: true }),
  });
  return transport;
}

/** Sends one email from MAIL_FROM (default "Lintel <no-reply@lintel.app>"). */
export async function sendMail(mail: Mail): Promise<void> {
  await smtp().sendMail({ from: Deno.env.get('MAIL_FROM') ?? 'Lintel <no-reply@lintel.app>', ...mail });
}

/** Text for an HTML body: & < > " ' as entities. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
