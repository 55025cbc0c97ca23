import type { Context, MiddlewareHandler } from 'hono';
import { E } from './errors.ts';
import type { AuthSettings } from './settings.ts';
import type { UserRow } from './store.ts';

/** A request body as GoTrue decodes it: a JSON (or form) object. */
export type Body = Record<string, unknown>;

/** What auth's middleware and guards leave on a request's context. */
export type Env = { Variables: { body: Body; claims: Record<string, any>; user: UserRow; session: Record<string, any> } };

// Bodies above this are refused before parsing; GoTrue's largest legitimate bodies are small.
const MAX_BODY = 256 * 1024;
const EMAIL_RE = /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/** Parses every body once, with GoTrue's bad_json answer for anything that is not a JSON object. */
export const parseBody: MiddlewareHandler<Env> = async (c, next) => {
  let body: Body = {};
  if (c.req.method === 'POST' || c.req.method === 'PUT' || c.req.method === 'DELETE') {
    const text = await c.req.text();
    if (text.length > MAX_BODY) throw E.validation('Request body too large', 413);
    if (text.trim()) {
      const type = c.req.header('content-type') ?? '';
      let parsed: unknown;
      if (type.includes('application/x-www-form-urlencoded')) parsed = Object.fromEntries(new URLSearchParams(text));
      else {
        try {
          parsed = JSON.parse(text);
        } catch (err) {
          throw E.badJson((err as Error).message);
        }
      }
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw E.badJson('expected a JSON object');
      body = parsed as Body;
    }
  }
  c.set('body', body);
  await next();
};

// The field readers answer a wrongly typed field as Go's JSON decoder does (GoTrue's bad_json).

/** A string field, at most `max` characters. */
export function str(b: Body, k: string, max = 4096): string | undefined {
  const v = b[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw E.badJson(`json: cannot unmarshal ${typeof v} into Go struct field .${k} of type string`);
  if (v.length > max) throw E.validation(`${k} is too long`);
  return v;
}

/** An object field (metadata), at most 64 KB as JSON. */
export function obj(b: Body, k: string): Record<string, unknown> | undefined {
  const v = b[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw E.badJson(`json: cannot unmarshal ${Array.isArray(v) ? 'array' : typeof v} into Go struct field .${k} of type map[string]interface {}`);
  if (JSON.stringify(v).length > 64 * 1024) throw E.validation(`${k} is too large`);
  return v as Record<string, unknown>;
}

/** A boolean field. */
export function boolField(b: Body, k: string): boolean | undefined {
  const v = b[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw E.badJson(`json: cannot unmarshal ${typeof v} into Go struct field .${k} of type bool`);
  return v;
}

/** A required email address, trimmed and lower-cased as GoTrue stores it. */
export function validEmail(email: string | undefined): string {
  if (!email) throw E.validation('An email address is required');
  const e = email.trim().toLowerCase();
  if (e.length > 255 || !EMAIL_RE.test(e)) throw E.emailAddressInvalid();
  return e;
}

/** GoTrue validates redirect_to against site_url and the allow-list (globs), else site_url. */
export function redirectTo(c: Context<Env>, settings: AuthSettings, fromBody?: string): string {
  const want = c.req.query('redirect_to') ?? fromBody;
  if (!want) return settings.siteUrl;
  const allowed = [settings.siteUrl, ...settings.redirectUrls];
  let wantUrl: URL;
  try {
    wantUrl = new URL(want);
  } catch {
    return settings.siteUrl;
  }
  for (const a of allowed) {
    if (a.includes('*')) {
      const re = new RegExp(
        `^${a
          .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
          .replace(/\*\*/g, '\u0000')
          .replace(/\*/g, '[^/.]*')
          .replace(/\u0000/g, '.*')}$`,
      );
      if (re.test(want)) return want;
      continue;
    }
    try {
      const u = new URL(a);
      if (u.origin === wantUrl.origin && (wantUrl.pathname.startsWith(u.pathname) || u.pathname === '/')) return want;
    } catch {
      /* an unparsable allow-list entry matches nothing */
    }
  }
  return settings.siteUrl;
}

/** The client's user agent and address, recorded on the sessions it starts. */
export function reqInfo(c: Context<Env>) {
  return {
    userAgent: c.req.header('user-agent'),
    ip: c.req.header('x-forwarded-for')?.split(',')[0]?.trim(),
  };
}
