import { mkdirSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import { test as base, expect, type Page, type TestInfo } from '@playwright/test';

/** Every demo login's password (supabase/seed.sql). */
export const DEMO_PASSWORD = 'lintel-demo-password';

const SCREENSHOTS = path.resolve(import.meta.dirname, '../../test-results/screenshots');

function readStack(): Record<string, string> {
  return JSON.parse(readFileSync(process.env.LINTEL_TEST_STACK!, 'utf8')) as Record<string, string>;
}

/** Signs in through the real form and waits for the signed-in home. */
export async function signIn(page: Page, email: string, password = DEMO_PASSWORD, home = /\/(app|portal|create-org)(\/|$)/) {
  await page.goto('/sign-in');
  const form = page.getByRole('tabpanel', { name: 'Password' });
  await form.getByLabel('Email').fill(email);
  await form.getByLabel('Password').fill(password);
  await form.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(home);
}

/** The main navigation, opened first where it is off-canvas and hidden (tablet). */
export async function openNav(page: Page) {
  const toggle = page.getByRole('button', { name: 'Menu', exact: true });
  if (await toggle.isVisible()) await toggle.click();
  return page.getByRole('navigation', { name: 'Main' });
}

/** Follows a link in the main navigation. */
export async function viaNav(page: Page, name: string) {
  await (await openNav(page)).getByRole('link', { name, exact: true }).click();
}

/**
 * Saves a full-page screenshot under test-results/screenshots/<project>/<name>.png (test
 * artefacts, never committed) for a person to look at after the run.
 */
export async function screenshot(page: Page, info: TestInfo, name: string) {
  const dir = path.join(SCREENSHOTS, info.project.name);
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage: true, animations: 'disabled' });
}

/** No serious or critical axe violation on the page as it is now. */
export async function expectAccessible(page: Page) {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']).analyze();
  const bad = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(' | ')}`);
  expect(bad, `accessibility violations on ${page.url()}`).toEqual([]);
}

/** A message in the local mail outbox (Mailpit's JSON API subset), newest first. */
export async function latestMail(to: string, subject: RegExp | string, timeoutMs = 10_000): Promise<{ ID: string; Subject: string; Text: string; HTML: string; Links: string[] }> {
  const mailUrl = readStack().MAIL_URL!;
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${mailUrl}/api/v1/search?query=${encodeURIComponent(`to:${to}`)}`);
    const list = (await res.json()) as { messages: { ID: string; Subject: string }[] };
    const hit = list.messages.find((m) => (typeof subject === 'string' ? m.Subject.includes(subject) : subject.test(m.Subject)));
    if (hit) return (await (await fetch(`${mailUrl}/api/v1/message/${hit.ID}`)).json()) as never;
    if (Date.now() > until) throw new Error(`no mail to ${to} matching ${subject}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A unique address for a user a test creates. */
export function newEmail(tag: string): string {
  return `${tag}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}@e2e.test`;
}

const NO_SESSION = { auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false } };

/** supabase-js with the service role, for a test's setup and checks (never what the app does). */
export function serviceApi(): SupabaseClient {
  const s = readStack();
  return createClient(s.API_URL!, s.SERVICE_ROLE_KEY!, NO_SESSION);
}

/** supabase-js signed in as a user, as a second browser tab or a direct API caller would be. */
export async function userApi(email: string, password = DEMO_PASSWORD): Promise<SupabaseClient> {
  const s = readStack();
  const client = createClient(s.API_URL!, s.ANON_KEY!, NO_SESSION);
  const { error } = await client.auth.signInWithPassword({ email, password });
  if (error) throw error;
  return client;
}

/**
 * A new login that joined Acme with `role` through a real invitation (invited by Acme's owner,
 * accepted with the token), for tests that remove or change a member without touching the seed.
 */
export async function newAcmeMember(role: 'admin' | 'manager' | 'maintenance' | 'viewer', tag: string = role): Promise<{ email: string; password: string; userId: string }> {
  const email = newEmail(tag);
  const password = 'e2e-member-password-1';
  const created = await serviceApi().auth.admin.createUser({ email, password, email_confirm: true, user_metadata: { full_name: `E2E ${tag}` } });
  if (created.error) throw created.error;
  const owner = await userApi('owner@acme.test');
  const invited = await owner.rpc('invite_member', { p_email: email, p_role: role });
  if (invited.error) throw invited.error;
  const member = await userApi(email, password);
  const accepted = await member.rpc('accept_invitation', { p_token: (invited.data as { token: string }).token });
  if (accepted.error) throw accepted.error;
  return { email, password, userId: created.data.user.id };
}

/**
 * A request to the stack's REST API with the service role, for a test's own setup and checks
 * (rows the test then works on through the UI). Returns the parsed JSON body.
 */
export async function serviceRest<T = unknown>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const stack = readStack();
  const res = await fetch(`${stack.API_URL}/rest/v1/${path}`, {
    method: init.method ?? 'GET',
    headers: {
      apikey: stack.SERVICE_ROLE_KEY!,
      Authorization: `Bearer ${stack.SERVICE_ROLE_KEY}`,
      'Content-Type': 'application/json',
      Prefer: 'return=representation',
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

/** A short random tag that keeps rows one run creates apart from the next run's. */
export function tag(): string {
  return Math.random().toString(36).slice(2, 7).toUpperCase();
}

/** The one fixture file for end-to-end tests: the stack, and pages signed in as each persona. */
export const test = base.extend<{ stack: Record<string, string>; asManager: Page; asOwner: Page; asAdmin: Page; asViewer: Page }>({
  // eslint-disable-next-line no-empty-pattern
  stack: async ({}, use) => {
    await use(readStack());
  },
  asManager: async ({ page }, use) => {
    await signIn(page, 'manager@acme.test');
    await use(page);
  },
  asOwner: async ({ page }, use) => {
    await signIn(page, 'owner@acme.test');
    await use(page);
  },
  asAdmin: async ({ page }, use) => {
    await signIn(page, 'admin@acme.test');
    await use(page);
  },
  asViewer: async ({ page }, use) => {
    await signIn(page, 'viewer@acme.test');
    await use(page);
  },
});

export { expect };
