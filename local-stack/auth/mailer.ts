import { readFileSync } from 'node:fs';
import type { MailHandle } from '../mail/index.ts';
import { E } from './errors.ts';
import type { HourlyCounter } from './limits.ts';
import type { AuthSettings } from './settings.ts';
import type { UserRow } from './store.ts';

/** Email kinds and the `type` their links carry (GoTrue mailer). */
export type MailKind = 'signup' | 'invite' | 'magiclink' | 'recovery' | 'email_change';

const SUBJECTS: Record<MailKind, string> = {
  signup: 'Confirm Your Signup',
  invite: 'You have been invited',
  magiclink: 'Your Magic Link',
  recovery: 'Reset Your Password',
  email_change: 'Confirm Email Change',
};

/** config.toml's `[auth.email.template.<name>]` for each kind of email (supabase/cli). */
const TEMPLATE_NAMES: Record<MailKind, string> = {
  signup: 'confirmation',
  invite: 'invite',
  magiclink: 'magic_link',
  recovery: 'recovery',
  email_change: 'email_change',
};

// The sender of the CLI's default `[auth.email.smtp]` (admin_email, sender_name).
const FROM = 'Admin <admin@email.com>';

/**
 * GoTrue renders templates with Go's text/template; projects use its variable form
 * (`{{ .ConfirmationURL }}`, `{{ .Data.name }}`), which is what this substitutes. Read at
 * send time so edits show up without a restart.
 */
export function renderTemplate(tpl: string, vars: Record<string, unknown>): string {
  return tpl.replace(/\{\{-?\s*\.([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)\s*-?\}\}/g, (whole, name: string) => {
    let v: unknown = vars;
    for (const part of name.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
    return v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  });
}

function readTemplate(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw E.unexpected(`Email template ${file} cannot be read: ${(err as Error).message}`);
  }
}

/** A fresh one-time token as an email carries it: the link's token, the code, the hash. */
export interface MailToken {
  linkToken: string;
  otp: string;
  hash: string;
}

/** What the mailer needs: the settings, the outbox, and the instance-wide email limit. */
export interface MailerDeps {
  settings: AuthSettings;
  outbox: MailHandle;
  emailLimit: HourlyCounter;
}

/** The auth emails, each counted against GoTrue's email rate limit before it is sent. */
export interface Mailer {
  /**
   * Sends an auth email through the outbox: GoTrue's default template, or the project's own
   * from `[auth.email.template.<name>]` (subject, content_path) with GoTrue's variables.
   */
  send(to: string, kind: MailKind, t: MailToken, redirect: string, user: UserRow, newEmail?: string): void;
  /** The nonce of reauthenticate.go. */
  sendReauthentication(to: string, otp: string): void;
}

/** Builds the mailer over the stack's outbox. */
export function createMailer(d: MailerDeps): Mailer {
  const { settings } = d;
  return {
    send(to, kind, t, redirect, user, newEmail) {
      if (!d.emailLimit.take()) throw E.emailRateLimited();
      const link = `${settings.issuer}/verify?token=${encodeURIComponent(t.linkToken)}&type=${kind}&redirect_to=${encodeURIComponent(redirect)}`;
      const custom = settings.emailTemplates[TEMPLATE_NAMES[kind]];
      const vars: Record<string, unknown> = {
        ConfirmationURL: link,
        Token: t.otp,
        TokenHash: t.hash,
        SiteURL: settings.siteUrl,
        RedirectTo: redirect,
        Email: user.email ?? to,
        NewEmail: newEmail ?? '',
        Data: user.raw_user_meta_data ?? {},
      };
      const change = newEmail ? ` from ${user.email} to ${newEmail}` : '';
      const intro: Record<MailKind, string> = {
        signup: 'Follow this link to confirm your user:',
        invite: `You have been invited to create a user on ${settings.siteUrl}. Follow this link to accept the invite:`,
        magiclink: 'Follow this link to login:',
        recovery: 'Follow this link to reset the password for your user:',
        email_change: `Follow this link to confirm the update of your email${change}:`,
      };
      const label: Record<MailKind, string> = {
        signup: 'Confirm your mail',
        invite: 'Accept the invite',
        magiclink: 'Log In',
        recovery: 'Reset Password',
        email_change: 'Change Email',
      };
      const subject = custom?.subject ? renderTemplate(custom.subject, vars) : SUBJECTS[kind];
      const body = custom?.contentPath ? readTemplate(custom.contentPath) : undefined;
      d.outbox.send({
        from: FROM,
        to,
        subject,
        html:
          body !== undefined
            ? renderTemplate(body, vars)
            : `<h2>${SUBJECTS[kind]}</h2>\n<p>${intro[kind]}</p>\n<p><a href="${link.replace(/&/g, '&amp;')}">${label[kind]}</a></p>\n<p>Alternatively, enter the code: ${t.otp}</p>`,
        text: body !== undefined ? undefined : `${SUBJECTS[kind]}\n\n${intro[kind]}\n${link}\n\nAlternatively, enter the code: ${t.otp}\n`,
      });
    },
    sendReauthentication(to, otp) {
      if (!d.emailLimit.take()) throw E.emailRateLimited();
      d.outbox.send({ from: FROM, to, subject: 'Confirm reauthentication', text: `Enter the code: ${otp}\n`, html: `<h2>Confirm reauthentication</h2><p>Enter the code: ${otp}</p>` });
    },
  };
}
