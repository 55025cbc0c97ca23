import { randomUUID } from 'node:crypto';
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import pg from 'pg';
import Stripe from 'stripe';
import { afterAll, expect, vi } from 'vitest';
import { serviceClient, stack } from '../setup/clients.ts';

// Helpers for the money functions' tests: throwaway orgs with real logins (sessions from
// /auth/v1, so tokens carry the hook's claims), the real functions over HTTP, and the stack's
// Stripe double driven as a person would (its hosted pages, by form posts) or by its test controls.

export const PASSWORD = 'money-tests-password-1';

let sharedPool: pg.Pool | undefined;
/** The test database as `postgres`; closed after the file's tests. */
export function pool(): pg.Pool {
  if (!sharedPool) {
    const p = new pg.Pool({ connectionString: stack().DB_URL, max: 10 });
    sharedPool = p;
    afterAll(async () => {
      await p.end();
      if (sharedPool === p) sharedPool = undefined;
    });
  }
  return sharedPool;
}

export async function q<R extends pg.QueryResultRow = Record<string, any>>(sql: string, params: unknown[] = []): Promise<R[]> {
  return (await pool().query<R>(sql, params)).rows;
}

export const waitFor = <T>(fn: () => T | Promise<T>, timeout = 20_000) => vi.waitFor(fn, { timeout, interval: 50 });

/** The official client on the stack's double, as the platform (or, with stripeAccount, an org). */
export function stripeClient(): Stripe {
  const url = new URL(stack().STRIPE_API_URL!);
  return new Stripe(stack().STRIPE_SECRET_KEY!, { host: url.hostname, port: Number(url.port), protocol: 'http', maxNetworkRetries: 0 });
}

export async function control(path: string, body?: object): Promise<{ status: number; body: any }> {
  const res = await fetch(`${stack().STRIPE_API_URL}/_double${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** A person's form post on one of the double's hosted pages (Checkout, onboarding). */
export const postForm = (url: string, form: Record<string, string>) => fetch(url, { method: 'POST', body: new URLSearchParams(form), redirect: 'manual' });

export interface Login {
  id: string;
  email: string;
}

async function newLogin(label: string, fullName = ''): Promise<Login> {
  const email = `${label}-${randomUUID().slice(0, 8)}@money.test`;
  const { data, error } = await serviceClient().auth.admin.createUser({ email, password: PASSWORD, email_confirm: true, user_metadata: { full_name: fullName } });
  if (error) throw error;
  return { id: data.user!.id, email };
}

export interface MoneyOrg {
  id: string;
  slug: string;
  owner: Login;
  admin: Login;
  manager: Login;
  viewer: Login;
  maintenance: Login;
  /** Two residents with a login, each on their own active lease with one month's rent posted. */
  residents: { login: Login; residentId: string; leaseId: string }[];
}

/** A throwaway org with a login per role and two residents' leases owing `rent` each. */
export async function moneyOrg(opts: { rent?: number; names?: [string, string]; plan?: string } = {}): Promise<MoneyOrg> {
  const rent = opts.rent ?? 120_000;
  const names = opts.names ?? ['Rae Resident', 'Sam Sharer'];
  const slug = `m-${randomUUID().slice(0, 8)}`;
  const staff = {
    owner: await newLogin('owner'),
    admin: await newLogin('admin'),
    manager: await newLogin('manager'),
    viewer: await newLogin('viewer'),
    maintenance: await newLogin('maint'),
  };
  const logins = [await newLogin('resident-a', names[0]), await newLogin('resident-b', names[1])];
  const client = await pool().connect();
  try {
    await client.query('begin');
    const org = (
      await client.query(`insert into public.organizations (name, slug, plan) values ($1, $2, $3) returning id`, [`Money ${slug}`, slug, opts.plan ?? 'starter'])
    ).rows[0].id as string;
    for (const [role, login] of Object.entries(staff)) {
      await client.query('insert into public.memberships (org_id, user_id, role) values ($1, $2, $3)', [org, login.id, role]);
    }
    const property = (await client.query(`insert into public.properties (org_id, name) values ($1, 'Elm Court') returning id`, [org])).rows[0].id;
    const residents: MoneyOrg['residents'] = [];
    for (const [i, login] of logins.entries()) {
      const unit = (await client.query(`insert into public.units (org_id, property_id, label) values ($1, $2, $3) returning id`, [org, property, `${i + 1}A`])).rows[0].id;
      const lease = (
        await client.query(
          `insert into public.leases (org_id, unit_id, status, start_date, rent_minor, due_day) values ($1, $2, 'active', '2026-01-01', $3, 1) returning id`,
          [org, unit, rent],
        )
      ).rows[0].id as string;
      const resident = (await client.query(`insert into public.residents (org_id, user_id, full_name, email) values ($1, $2, $3, $4) returning id`, [org, login.id, names[i], login.email]))
        .rows[0].id as string;
      await client.query('insert into public.lease_residents (org_id, lease_id, resident_id, is_primary) values ($1, $2, $3, true)', [org, lease, resident]);
      await client.query(`insert into public.memberships (org_id, user_id, role) values ($1, $2, 'resident')`, [org, login.id]);
      await client.query(`select private.insert_ledger_entry($1, $2, 'rent', $3, $4, 'Rent 2026-12', '2026-12-01', null, null, '2026-12-01', '2026-12-31')`, [
        org,
        lease,
        rent,
        `rent:${lease}:2026-12`,
      ]);
      residents.push({ login, residentId: resident, leaseId: lease });
    }
    await client.query('commit');
    return { id: org, slug, ...staff, residents };
  } catch (err) {
    await client.query('rollback');
    throw err;
  } finally {
    client.release();
  }
}

/** supabase-js signed in with a password, as the app signs in. */
export async function signIn(login: Login): Promise<SupabaseClient> {
  const s = stack();
  const client = createClient(s.API_URL!, s.ANON_KEY!, { auth: { persistSession: false, autoRefreshToken: false } });
  const { error } = await client.auth.signInWithPassword({ email: login.email, password: PASSWORD });
  if (error) throw error;
  return client;
}

export async function tokenOf(login: Login): Promise<string> {
  const { data } = await (await signIn(login)).auth.getSession();
  return data.session!.access_token;
}

/** POSTs JSON to a function as this login (or with no JWT), answering status and body. */
export async function call(name: string, opts: { as?: Login | string; body?: unknown; headers?: Record<string, string> } = {}) {
  const s = stack();
  const token = typeof opts.as === 'string' ? opts.as : opts.as ? await tokenOf(opts.as) : undefined;
  const res = await fetch(`${s.FUNCTIONS_URL ?? `${s.API_URL}/functions/v1`}/${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', apikey: s.ANON_KEY!, ...(token ? { authorization: `Bearer ${token}` } : {}), ...opts.headers },
    body: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body ?? {}),
  });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body };
}

/** The owner finishes Stripe's onboarding on the double's page; the webhook turns payments on. */
export async function enablePayments(org: MoneyOrg): Promise<string> {
  const res = await call('connect-onboarding', { as: org.owner });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const done = await postForm(res.body.url, { action: 'complete' });
  expect(done.status).toBe(303);
  await waitFor(async () => {
    const [row] = await q('select charges_enabled from public.organizations where id = $1', [org.id]);
    expect(row!.charges_enabled).toBe(true);
  });
  return res.body.account_id as string;
}

/** A resident pays on the double's hosted Checkout page with a test card. */
export async function payOnCheckout(url: string, card = 'pm_card_visa'): Promise<Response> {
  return postForm(url, { action: 'pay', card, email: 'payer@money.test' });
}

export async function paymentRow(id: string) {
  return (await q('select * from public.payments where id = $1', [id]))[0]!;
}

export async function ledger(leaseId: string) {
  return q<{ kind: string; amount_minor: string; idempotency_key: string; payment_id: string | null }>(
    'select kind, amount_minor, idempotency_key, payment_id from public.ledger_entries where lease_id = $1 order by created_at, id',
    [leaseId],
  );
}

export async function balance(leaseId: string): Promise<number> {
  return Number((await q('select balance_minor from public.leases where id = $1', [leaseId]))[0]!.balance_minor);
}
