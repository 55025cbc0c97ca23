import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { simpleParser, type AddressObject } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { portTaken } from '../errors.ts';
import type { Logger } from '../log.ts';

// The outbox answers a subset of Mailpit's REST API (the mail catcher `supabase start` runs on
// the same port), so scripts written for the CLI's stack read our mail unchanged. Like Mailpit
// it also accepts SMTP (the CLI maps it to :54325), so edge functions send mail the way they
// would to any provider: nothing is delivered, everything is captured.

export interface Address {
  Name: string;
  Address: string;
}

export interface MailMessage {
  ID: string;
  MessageID: string;
  From: Address;
  To: Address[];
  Subject: string;
  Created: string;
  Text: string;
  HTML: string;
  /** Every http(s) link in the message, so tests can follow confirmation links. */
  Links: string[];
}

export interface OutgoingMail {
  from?: string;
  to: string | string[];
  subject: string;
  text?: string;
  html?: string;
  /** The Message-ID header without its angle brackets; Mailpit reports it as MessageID. */
  messageId?: string;
}

export interface MailHandle {
  url: string;
  /** smtp://host:port of the SMTP listener. */
  smtpUrl: string;
  send(mail: OutgoingMail): MailMessage;
  stop(): Promise<void>;
}

const LINK = /https?:\/\/[^\s"'<>]+/g;
const MAX_KEPT = 2000;

function address(raw: string): Address {
  const m = /^(.*)<([^>]+)>$/.exec(raw.trim());
  return m ? { Name: m[1]!.trim().replace(/^"|"$/g, ''), Address: m[2]!.trim() } : { Name: '', Address: raw.trim() };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function summary(m: MailMessage) {
  return {
    ID: m.ID,
    MessageID: m.MessageID,
    Read: false,
    From: m.From,
    To: m.To,
    Subject: m.Subject,
    Created: m.Created,
    Snippet: (m.Text || m.HTML.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ').trim().slice(0, 250),
  };
}

/** The mail outbox on :54324: captures every email, lists it on a page and over JSON. */
export async function startMail(opts: { host: string; port: number; smtpPort: number; stateDir: string; logger: Logger }): Promise<MailHandle> {
  const dir = path.join(opts.stateDir, 'mail');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'messages.jsonl');
  let messages: MailMessage[] = existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .flatMap((line) => {
          try {
            return [JSON.parse(line) as MailMessage];
          } catch {
            return [];
          }
        })
    : [];

  const persistAll = () => writeFileSync(file, messages.map((m) => JSON.stringify(m)).join('\n') + (messages.length ? '\n' : ''));

  function send(mail: OutgoingMail): MailMessage {
    const id = randomUUID();
    const text = mail.text ?? '';
    const html = mail.html ?? '';
    const message: MailMessage = {
      ID: id,
      MessageID: mail.messageId || `${id}@lintel.local`,
      From: address(mail.from ?? 'Lintel <noreply@lintel.local>'),
      To: (Array.isArray(mail.to) ? mail.to : [mail.to]).map(address),
      Subject: mail.subject,
      Created: new Date().toISOString(),
      Text: text,
      HTML: html,
      Links: [...new Set([...(text.match(LINK) ?? []), ...(html.match(LINK) ?? [])].map((l) => l.replace(/&amp;/g, '&')))],
    };
    messages.push(message);
    if (messages.length > MAX_KEPT) {
      messages = messages.slice(-MAX_KEPT);
      persistAll();
    } else {
      appendFileSync(file, `${JSON.stringify(message)}\n`);
    }
    opts.logger.info({ to: message.To.map((t) => t.Address), subject: message.Subject }, 'mail captured');
    return message;
  }

  const newestFirst = () => [...messages].reverse();
  const matches = (m: MailMessage, query: string) =>
    query
      .split(/\s+/)
      .filter(Boolean)
      .every((term) => {
        const [k, v] = term.includes(':') ? (term.split(/:(.*)/s) as [string, string]) : ['', term];
        const val = v.toLowerCase();
        if (k === 'to') return m.To.some((t) => t.Address.toLowerCase().includes(val));
        if (k === 'from') return m.From.Address.toLowerCase().includes(val);
        if (k === 'subject') return m.Subject.toLowerCase().includes(val);
        if (k === 'message-id') return m.MessageID.toLowerCase() === val.replace(/^<|>$/g, '');
        return `${m.Subject} ${m.Text} ${m.HTML}`.toLowerCase().includes(val);
      });
  const page = (list: MailMessage[], start: number, limit: number) => ({
    total: messages.length,
    unread: 0,
    count: Math.min(limit, Math.max(0, list.length - start)),
    messages_count: list.length,
    start,
    tags: [],
    messages: list.slice(start, start + limit).map(summary),
  });

  const app = new Hono();
  app.get('/api/v1/messages', (c) => {
    const start = Math.max(0, Number(c.req.query('start') ?? 0) || 0);
    const limit = Math.min(1000, Math.max(1, Number(c.req.query('limit') ?? 50) || 50));
    return c.json(page(newestFirst(), start, limit));
  });
  app.get('/api/v1/search', (c) => {
    const start = Math.max(0, Number(c.req.query('start') ?? 0) || 0);
    const limit = Math.min(1000, Math.max(1, Number(c.req.query('limit') ?? 50) || 50));
    const query = c.req.query('query') ?? '';
    return c.json(page(newestFirst().filter((m) => matches(m, query)), start, limit));
  });
  app.get('/api/v1/message/:id', (c) => {
    const id = c.req.param('id');
    const m = id === 'latest' ? messages.at(-1) : messages.find((x) => x.ID === id);
    return m ? c.json({ ...m, Date: m.Created }) : c.json({ error: 'message not found' }, 404);
  });
  app.delete('/api/v1/messages', async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as { IDs?: string[] };
    messages = body.IDs?.length ? messages.filter((m) => !body.IDs!.includes(m.ID)) : [];
    persistAll();
    return c.text('ok');
  });
  app.post('/api/v1/send', async (c) => {
    const body = (await c.req.json().catch(() => null)) as {
      From?: { Email?: string; Name?: string };
      To?: { Email?: string; Name?: string }[];
      Subject?: string;
      Text?: string;
      HTML?: string;
    } | null;
    const to = (body?.To ?? []).map((t) => (t.Name ? `${t.Name} <${t.Email}>` : String(t.Email ?? ''))).filter(Boolean);
    if (!body || !to.length || typeof body.Subject !== 'string') {
      return c.json({ error: 'To (at least one address) and Subject are required' }, 400);
    }
    const from = body.From?.Email ? (body.From.Name ? `${body.From.Name} <${body.From.Email}>` : body.From.Email) : undefined;
    return c.json({ ID: send({ from, to, subject: body.Subject, text: body.Text, html: body.HTML }).ID });
  });
  app.get('/', (c) => {
    const rows = newestFirst()
      .map(
        (m) =>
          `<tr><td>${escapeHtml(m.Created.replace('T', ' ').slice(0, 19))}</td><td>${escapeHtml(m.To.map((t) => t.Address).join(', '))}</td><td><a href="/view/${m.ID}">${escapeHtml(m.Subject || '(no subject)')}</a></td></tr>`,
      )
      .join('');
    return c.html(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>Lintel mail outbox</title>
<style>body{font:15px system-ui,sans-serif;margin:2rem;max-width:60rem}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left}</style></head>
<body><h1>Mail outbox</h1><p>${messages.length} message(s) captured by the local stack. Nothing here was delivered.</p>
${messages.length ? `<table><thead><tr><th scope="col">When (UTC)</th><th scope="col">To</th><th scope="col">Subject</th></tr></thead><tbody>${rows}</tbody></table>` : '<p>No mail yet.</p>'}</body></html>`,
    );
  });
  app.get('/view/:id', (c) => {
    const m = messages.find((x) => x.ID === c.req.param('id'));
    if (!m) return c.html('<!doctype html><title>Not found</title><p>No such message. <a href="/">Back</a></p>', 404);
    const body = m.HTML
      ? `<iframe title="Message body" sandbox="" style="width:100%;height:60vh;border:1px solid #ddd" srcdoc="${escapeHtml(m.HTML)}"></iframe>`
      : `<pre>${escapeHtml(m.Text)}</pre>`;
    const links = m.Links.map((l) => `<li><a href="${escapeHtml(l)}">${escapeHtml(l)}</a></li>`).join('');
    return c.html(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(m.Subject)}</title></head><body style="font:15px system-ui,sans-serif;margin:2rem">
<p><a href="/">&larr; All mail</a></p><h1>${escapeHtml(m.Subject)}</h1><p>From ${escapeHtml(m.From.Address)} to ${escapeHtml(m.To.map((t) => t.Address).join(', '))}</p>
${links ? `<h2>Links</h2><ul>${links}</ul>` : ''}${body}</body></html>`,
    );
  });

  const server = createServer(getRequestListener(app.fetch));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? portTaken(opts.port, 'the mail outbox') : err),
    );
    server.listen(opts.port, opts.host, () => resolve());
  });

  // Any sender, any recipient, no TLS and no password needed (Mailpit's defaults): a message is
  // parsed and kept as if it had come through send().
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    size: 10 * 1024 * 1024,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          const names = (a: AddressObject | AddressObject[] | undefined) => (Array.isArray(a) ? a : a ? [a] : []).flatMap((x) => x.value);
          const envelopeTo = session.envelope.rcptTo.map((r) => r.address);
          const to = names(parsed.to).map((v) => (v.name ? `${v.name} <${v.address}>` : (v.address ?? '')));
          const from = names(parsed.from)[0];
          send({
            from: from ? (from.name ? `${from.name} <${from.address}>` : from.address) : undefined,
            to: to.length ? to : envelopeTo,
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            html: typeof parsed.html === 'string' ? parsed.html : '',
            messageId: parsed.messageId?.replace(/^<|>$/g, ''),
          });
          callback();
        })
        .catch((err: Error) => callback(err));
    },
  });
  smtp.on('error', (err) => opts.logger.warn({ err: err.message }, 'smtp'));
  try {
    await new Promise<void>((resolve, reject) => {
      smtp.server.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? portTaken(opts.smtpPort, 'the mail outbox (SMTP)') : err));
      smtp.listen(opts.smtpPort, opts.host, () => resolve());
    });
  } catch (err) {
    server.close();
    throw err;
  }

  return {
    url: `http://${opts.host}:${opts.port}`,
    smtpUrl: `smtp://${opts.host}:${opts.smtpPort}`,
    send,
    stop: () =>
      Promise.all([
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
        new Promise<void>((resolve) => smtp.close(() => resolve())),
      ]).then(() => undefined),
  };
}
