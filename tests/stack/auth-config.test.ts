import { createClient } from '@supabase/supabase-js';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJwtVerifier, JwtError, signHs256 } from '../../local-stack/jwt.ts';
import { db, stack } from '../setup/clients.ts';
import { claimsOf, newEmail, PASSWORD, REALTIME } from './auth-helpers.ts';
import { startAuthVariant, type AuthVariant } from './auth-variant.ts';

// The settings config.toml can switch, each on a second auth service sharing the test
// stack's database: the custom access token hook, autoconfirm, anonymous sign-in, signup off,
// password rules, and asymmetric signing keys published as a JWKS.

const NO_PERSIST = { auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false }, realtime: REALTIME };
const clientFor = (v: AuthVariant, key = stack().ANON_KEY!) => createClient(v.API_URL, key, NO_PERSIST);

const HOOK_SQL = `
create schema if not exists auth_hook_test;
create table if not exists auth_hook_test.calls (method text, who text, claims jsonb, at timestamptz default now());
create or replace function auth_hook_test.add_claims(event jsonb) returns jsonb language plpgsql as $$
begin
  insert into auth_hook_test.calls (method, who, claims) values (event->>'authentication_method', current_user, event->'claims');
  if event->'claims'->'user_metadata'->>'blocked' = 'true' then
    return jsonb_build_object('error', jsonb_build_object('http_code', 403, 'message', 'Blocked by the hook'));
  end if;
  if event->'claims'->'user_metadata'->>'broken' = 'true' then
    return jsonb_build_object('claims', jsonb_build_object('sub', event->>'user_id'));
  end if;
  return jsonb_build_object('claims', (event->'claims') || jsonb_build_object('org_id', 'org-1', 'org_role', 'manager'));
end $$;
grant usage on schema auth_hook_test to supabase_auth_admin;
grant all on auth_hook_test.calls to supabase_auth_admin;
grant execute on function auth_hook_test.add_claims(jsonb) to supabase_auth_admin;
revoke execute on function auth_hook_test.add_claims(jsonb) from public, anon, authenticated;
`;

describe('custom access token hook, autoconfirm and anonymous sign-in', () => {
  let v: AuthVariant;
  beforeAll(async () => {
    const pg = await db();
    try {
      await pg.query(HOOK_SQL);
    } finally {
      await pg.end();
    }
    v = await startAuthVariant(stack().DB_URL!, {
      enable_anonymous_sign_ins: true,
      email: { enable_confirmations: false },
      hook: { custom_access_token: { enabled: true, uri: 'pg-functions://postgres/auth_hook_test/add_claims' } },
    });
  });
  afterAll(async () => {
    await v?.stop();
  });

  it('adds the hook claims on sign-up, sign-in and every refresh, run as supabase_auth_admin', async () => {
    const email = newEmail('hook');
    const c = clientFor(v);
    const up = await c.auth.signUp({ email, password: PASSWORD });
    expect(up.error).toBeNull();
    expect(up.data.session).not.toBeNull();
    expect(claimsOf(up.data.session!.access_token)).toMatchObject({ org_id: 'org-1', org_role: 'manager', email });
    const signIn = await c.auth.signInWithPassword({ email, password: PASSWORD });
    expect(claimsOf(signIn.data.session!.access_token).org_role).toBe('manager');
    const refreshed = await c.auth.refreshSession();
    expect(claimsOf(refreshed.data.session!.access_token).org_id).toBe('org-1');
    // The hook changes the token, not the user object.
    expect(refreshed.data.user?.app_metadata).not.toHaveProperty('org_id');

    const pg = await db();
    try {
      const { rows } = await pg.query(
        "select method, who from auth_hook_test.calls where claims->>'email' = $1 order by at",
        [email],
      );
      expect(rows.map((r) => r.method)).toEqual(['password', 'password', 'token_refresh']);
      expect(new Set(rows.map((r) => r.who))).toEqual(new Set(['supabase_auth_admin']));
    } finally {
      await pg.end();
    }
  });

  it("honours the hook's error answer and rejects output without the required claims", async () => {
    const c = clientFor(v);
    const blocked = await c.auth.signUp({ email: newEmail('blocked'), password: PASSWORD, options: { data: { blocked: 'true' } } });
    expect(blocked.error?.status).toBe(403);
    expect(blocked.error?.message).toBe('Blocked by the hook');
    const broken = await fetch(`${v.API_URL}/auth/v1/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-supabase-api-version': '2024-01-01' },
      body: JSON.stringify({ email: newEmail('broken'), password: PASSWORD, data: { broken: 'true' } }),
    });
    expect(broken.status).toBe(500);
    expect(((await broken.json()) as { code: string }).code).toBe('unexpected_failure');
  });

  it('signs in anonymously with is_anonymous and the anonymous amr', async () => {
    const c = clientFor(v);
    const anon = await c.auth.signInAnonymously({ options: { data: { theme: 'dark' } } });
    expect(anon.error).toBeNull();
    const claims = claimsOf(anon.data.session!.access_token);
    expect(claims).toMatchObject({ is_anonymous: true, role: 'authenticated', email: '', org_id: 'org-1' });
    expect(claims.amr[0].method).toBe('anonymous');
    expect(anon.data.user?.is_anonymous).toBe(true);
    expect(anon.data.user?.user_metadata.theme).toBe('dark');
    const settings = await (await fetch(`${v.API_URL}/auth/v1/settings`)).json();
    expect(settings).toMatchObject({ mailer_autoconfirm: true, external: { anonymous_users: true } });
  });
});

describe('signup off and stricter password rules', () => {
  let v: AuthVariant;
  beforeAll(async () => {
    v = await startAuthVariant(stack().DB_URL!, {
      enable_signup: false,
      minimum_password_length: 12,
      password_requirements: 'lower_upper_letters_digits_symbols',
    });
  });
  afterAll(async () => {
    await v?.stop();
  });

  it('refuses signups and magic-link signups but lets admins create users', async () => {
    const c = clientFor(v);
    const up = await c.auth.signUp({ email: newEmail('closed'), password: 'Aa1!aaaaaaaaaa' });
    expect(up.error?.code).toBe('signup_disabled');
    expect(up.error?.status).toBe(422);
    const otp = await c.auth.signInWithOtp({ email: newEmail('closed') });
    expect(otp.error?.code).toBe('otp_disabled');
    const admin = clientFor(v, stack().SERVICE_ROLE_KEY!).auth.admin;
    const weak = await admin.createUser({ email: newEmail('weak'), password: 'short1' });
    expect(weak.error?.code).toBe('weak_password');
    expect((weak.error as { reasons?: string[] }).reasons).toEqual(['length', 'characters']);
    const ok = await admin.createUser({ email: newEmail('strong'), password: 'Aa1!aaaaaaaaaa', email_confirm: true });
    expect(ok.error).toBeNull();
    expect((await (await fetch(`${v.API_URL}/auth/v1/settings`)).json()).disable_signup).toBe(true);
  });
});

describe('asymmetric signing keys', () => {
  let v: AuthVariant;
  let dir: string;
  let publicJwk: Record<string, unknown>;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'lintel-keys-'));
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const priv = { ...(await exportJWK(privateKey)), kid: 'test-es256', alg: 'ES256' };
    publicJwk = { ...(await exportJWK(publicKey)), kid: 'test-es256' };
    writeFileSync(path.join(dir, 'signing_keys.json'), JSON.stringify([priv]));
    v = await startAuthVariant(stack().DB_URL!, {
      email: { enable_confirmations: false },
      signing_keys_path: path.join(dir, 'signing_keys.json'),
    });
  });
  afterAll(async () => {
    await v?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('signs ES256 tokens with a kid, publishes the JWKS, and getClaims verifies locally', async () => {
    const jwks = (await (await fetch(`${v.API_URL}/auth/v1/.well-known/jwks.json`)).json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kid: 'test-es256', alg: 'ES256', kty: 'EC', x: publicJwk.x, y: publicJwk.y });
    expect(jwks.keys[0]).not.toHaveProperty('d');

    const c = clientFor(v);
    const email = newEmail('es256');
    const up = await c.auth.signUp({ email, password: PASSWORD });
    const token = up.data.session!.access_token;
    expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString())).toMatchObject({ alg: 'ES256', kid: 'test-es256' });
    const claims = await c.auth.getClaims();
    expect(claims.error).toBeNull();
    expect(claims.data?.claims.email).toBe(email);
    expect((await c.auth.getUser()).data.user?.email).toBe(email);

    // The stack's one verifier accepts both the HS256 secret and the published keys...
    const verify = createJwtVerifier({ secret: stack().JWT_SECRET!, jwks: jwks as never });
    expect((await verify(token)).sub).toBe(up.data.user!.id);
    expect((await verify(await signHs256(stack().JWT_SECRET!, { sub: 'x', role: 'anon' }, 60))).role).toBe('anon');
    // ...and refuses an ES256 token from another key, or one claiming a kid it does not know.
    const other = await generateKeyPair('ES256');
    const stranger = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'ES256', kid: 'test-es256' }).sign(other.privateKey);
    await expect(verify(stranger)).rejects.toBeInstanceOf(JwtError);
    const r = await fetch(`${v.API_URL}/auth/v1/user`, { headers: { authorization: `Bearer ${stranger}`, 'x-supabase-api-version': '2024-01-01' } });
    expect(r.status).toBe(403);
    expect(((await r.json()) as { code: string }).code).toBe('bad_jwt');
  });
});
