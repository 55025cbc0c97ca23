import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { stack } from '../setup/clients.ts';

/** A unique address per test, so runs never collide (and reruns against one stack work). */
export const newEmail = (tag = 'user') => `${tag}-${randomUUID().slice(0, 8)}@example.com`;

/** Meets the project's password policy (minimum 8, letters and digits). */
export const PASSWORD = 'Lintel-pass-2026';

export interface OutboxMessage {
  ID: string;
  Subject: string;
  To: { Address: string }[];
  Text: string;
  HTML: string;
}

/** Mailpit's JSON API (the CLI's mail catcher and local-stack/mail answer the same). */
export async function latestMail(to: string, subject?: string, timeoutMs = 5000, base = stack().MAIL_URL!): Promise<OutboxMessage> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${base}/api/v1/search?query=${encodeURIComponent(`to:${to}`)}`);
    const list = (await res.json()) as { messages: { ID: string; Subject: string }[] };
    const hit = list.messages.find((m) => !subject || m.Subject === subject);
    if (hit) return (await (await fetch(`${base}/api/v1/message/${hit.ID}`)).json()) as OutboxMessage;
    if (Date.now() > deadline) throw new Error(`no mail to ${to}${subject ? ` with subject ${subject}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function mailCount(to: string): Promise<number> {
  const res = await fetch(`${stack().MAIL_URL}/api/v1/search?query=${encodeURIComponent(`to:${to}`)}`);
  return ((await res.json()) as { messages_count: number }).messages_count;
}

/** The verify link and OTP in an auth email. */
export function linkOf(m: OutboxMessage): { link: string; otp: string } {
  const link = /https?:\/\/\S+\/auth\/v1\/verify\?[^\s"<]+/.exec(m.Text || m.HTML)![0].replace(/&amp;/g, '&');
  const otp = /(\d{6,10})\s*$/.exec((m.Text || '').trim())?.[1] ?? /code: (\d+)/.exec(m.HTML)?.[1] ?? '';
  return { link, otp };
}

/** Node 20 has no global WebSocket; supabase-js builds a Realtime client even for auth. */
export const REALTIME = { transport: WebSocket as never };
const NO_PERSIST = { auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false }, realtime: REALTIME };

/** A fresh anon supabase-js client (no shared session between tests). */
export function client(url = stack().API_URL!, key = stack().ANON_KEY!): SupabaseClient {
  return createClient(url, key, NO_PERSIST);
}

/** Decodes a JWT payload without verifying it (tests inspect claims). */
export function claimsOf(token: string): Record<string, any> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
}

/** Raw HTTP against /auth/v1, with the headers supabase-js sends. */
export async function raw(path: string, init: RequestInit & { json?: unknown; token?: string; version?: boolean } = {}) {
  const s = stack();
  const headers = new Headers(init.headers);
  headers.set('apikey', s.ANON_KEY!);
  if (init.version !== false) headers.set('x-supabase-api-version', '2024-01-01');
  if (init.token) headers.set('authorization', `Bearer ${init.token}`);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set('content-type', 'application/json');
    body = JSON.stringify(init.json);
  }
  const res = await fetch(`${s.API_URL}/auth/v1${path}`, { ...init, headers, body, redirect: 'manual' });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

/** Creates a confirmed user through the admin API and signs them in. */
export async function signedInUser(email = newEmail(), password = PASSWORD) {
  const admin = createClient(stack().API_URL!, stack().SERVICE_ROLE_KEY!, NO_PERSIST);
  const { data, error } = await admin.auth.admin.createUser({ email, password, email_confirm: true });
  if (error) throw error;
  const c = client();
  const signIn = await c.auth.signInWithPassword({ email, password });
  if (signIn.error) throw signIn.error;
  return { client: c, user: data.user!, session: signIn.data.session!, email, password };
}
