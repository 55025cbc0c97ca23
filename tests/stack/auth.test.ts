import { createServerClient } from '@supabase/ssr';
import { createClient } from '@supabase/supabase-js';
import bcrypt from 'bcryptjs';
import { createHmac } from 'node:crypto';
import { TOTP } from 'otpauth';
import { describe, expect, it } from 'vitest';
import { db, serviceClient, stack } from '../setup/clients.ts';
import { claimsOf, client, REALTIME, latestMail, linkOf, mailCount, newEmail, PASSWORD, raw, signedInUser } from './auth-helpers.ts';

// Supabase Auth (GoTrue) through supabase-js, against the project's config.toml: email
// confirmations on, minimum password length 8 with letters and digits, signup on.

describe('sign up, confirm by mail, sign in, refresh, sign out', () => {
  it('runs the whole journey a new user takes', async () => {
    const email = newEmail('journey');
    const c = client();
    const signUp = await c.auth.signUp({ email, password: PASSWORD, options: { data: { full_name: 'Ada' } } });
    expect(signUp.error).toBeNull();
    expect(signUp.data.session).toBeNull();
    expect(signUp.data.user?.email).toBe(email);
    expect(signUp.data.user?.user_metadata.full_name).toBe('Ada');
    expect(signUp.data.user?.email_confirmed_at).toBeUndefined();

    const before = await c.auth.signInWithPassword({ email, password: PASSWORD });
    expect(before.error?.code).toBe('email_not_confirmed');
    expect(before.error?.status).toBe(400);

    const mail = await latestMail(email, 'Confirm Your Signup');
    const { link } = linkOf(mail);
    expect(new URL(link).searchParams.get('type')).toBe('signup');
    const res = await fetch(link, { redirect: 'manual' });
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get('location')!);
    const frag = new URLSearchParams(location.hash.slice(1));
    expect(frag.get('type')).toBe('signup');
    expect(frag.get('token_type')).toBe('bearer');
    expect(claimsOf(frag.get('access_token')!).email).toBe(email);

    const signIn = await c.auth.signInWithPassword({ email, password: PASSWORD });
    expect(signIn.error).toBeNull();
    const session = signIn.data.session!;
    const claims = claimsOf(session.access_token);
    expect(claims).toMatchObject({
      aud: 'authenticated',
      role: 'authenticated',
      sub: signIn.data.user!.id,
      email,
      aal: 'aal1',
      session_id: expect.any(String),
      is_anonymous: false,
      app_metadata: { provider: 'email', providers: ['email'] },
    });
    expect(claims.amr[0].method).toBe('password');
    expect(claims.exp - claims.iat).toBe(3600);
    expect(typeof claims.iss).toBe('string');
    expect(session.expires_in).toBe(3600);
    expect(session.token_type).toBe('bearer');

    const me = await c.auth.getUser();
    expect(me.data.user?.id).toBe(signIn.data.user!.id);
    expect(me.data.user?.email_confirmed_at).toBeTruthy();
    expect(me.data.user?.identities?.[0]?.provider).toBe('email');

    const refreshed = await c.auth.refreshSession();
    expect(refreshed.error).toBeNull();
    expect(refreshed.data.session!.refresh_token).not.toBe(session.refresh_token);
    expect(claimsOf(refreshed.data.session!.access_token).session_id).toBe(claims.session_id);

    const out = await c.auth.signOut();
    expect(out.error).toBeNull();
    const after = await raw('/user', { token: refreshed.data.session!.access_token });
    expect(after.status).toBe(403);
    expect(after.json.code).toBe('session_not_found');
    const reuse = await raw('/token?grant_type=refresh_token', { method: 'POST', json: { refresh_token: refreshed.data.session!.refresh_token } });
    expect(reuse.status).toBe(400);
    expect(reuse.json.code).toBe('refresh_token_not_found');
  });

  it("carries the project's hook claims to REST, where RLS reads them", async () => {
    // config.toml enables public.custom_access_token_hook: a new org's owner gets org_id and
    // org_role at the next refresh, and PostgREST policies see exactly those claims.
    const email = newEmail('owner');
    const c = client();
    await c.auth.signUp({ email, password: PASSWORD });
    const { otp } = linkOf(await latestMail(email, 'Confirm Your Signup'));
    expect((await c.auth.verifyOtp({ email, token: otp, type: 'signup' })).error).toBeNull();
    const before = claimsOf((await c.auth.getSession()).data.session!.access_token);
    expect(before).not.toHaveProperty('org_id');
    const slug = `auth-${Math.random().toString(36).slice(2, 10)}`;
    const org = await c.rpc('create_organization', { p_name: 'Auth Test Lettings', p_slug: slug });
    expect(org.error).toBeNull();
    const refreshed = await c.auth.refreshSession();
    const claims = claimsOf(refreshed.data.session!.access_token);
    expect(claims).toMatchObject({ org_id: (org.data as { id: string }).id, org_role: 'owner' });
    const mine = await c.from('organizations').select('id, slug');
    expect(mine.error).toBeNull();
    expect(mine.data).toEqual([{ id: claims.org_id, slug }]);
    const stranger = await signedInUser();
    const theirs = await stranger.client.from('organizations').select('id').eq('id', claims.org_id);
    expect(theirs.data).toEqual([]);
    expect((await c.auth.signOut()).error).toBeNull();
  });

  it('lets the database see the claims of the issued token under RLS', async () => {
    // REST (/rest/v1) is another service; here the claims are set exactly as PostgREST sets
    // them, so the policy reads what the access token carries.
    const { session, user } = await signedInUser();
    const claims = claimsOf(session.access_token);
    const pg = await db();
    try {
      await pg.query('begin');
      await pg.query('create temporary table if not exists auth_rls_probe (owner uuid, note text) on commit drop');
      await pg.query('create table public.auth_rls_probe_t (owner uuid not null, note text)');
      await pg.query('alter table public.auth_rls_probe_t enable row level security');
      await pg.query('grant select on public.auth_rls_probe_t to authenticated');
      await pg.query(`create policy "probe: owners can select own" on public.auth_rls_probe_t for select to authenticated using (owner = (select auth.uid()) and (select auth.jwt() ->> 'aal') = 'aal1')`);
      await pg.query("insert into public.auth_rls_probe_t values ($1, 'mine'), (gen_random_uuid(), 'theirs')", [user.id]);
      await pg.query("select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)", [JSON.stringify(claims)]);
      const { rows } = await pg.query('select note from public.auth_rls_probe_t');
      expect(rows).toEqual([{ note: 'mine' }]);
    } finally {
      await pg.query('rollback');
      await pg.end();
    }
  });
});

describe('errors as GoTrue sends them', () => {
  it('answers invalid_credentials for a wrong password and an unknown email alike', async () => {
    const { email } = await signedInUser();
    const wrong = await raw('/token?grant_type=password', { method: 'POST', json: { email, password: 'nope-nope-1' } });
    const unknown = await raw('/token?grant_type=password', { method: 'POST', json: { email: newEmail('ghost'), password: 'nope-nope-1' } });
    for (const r of [wrong, unknown]) {
      expect(r.status).toBe(400);
      expect(r.json).toEqual({ code: 'invalid_credentials', message: 'Invalid login credentials' });
      expect(r.headers.get('x-sb-error-code')).toBe('invalid_credentials');
      expect(r.headers.get('x-supabase-api-version')).toBe('2024-01-01');
    }
    const legacy = await raw('/token?grant_type=password', { method: 'POST', json: { email, password: 'nope-nope-1' }, version: false });
    expect(legacy.json).toEqual({ code: 400, error_code: 'invalid_credentials', msg: 'Invalid login credentials' });
    expect(legacy.headers.get('x-supabase-api-version')).toBeNull();
    const viaClient = await client().auth.signInWithPassword({ email, password: 'nope-nope-1' });
    expect(viaClient.error?.code).toBe('invalid_credentials');
    expect(viaClient.error?.name).toBe('AuthApiError');
  });

  it('exposes X-Supabase-Api-Version to a browser, as GoTrue’s CORS handler does, so the error code is readable', async () => {
    const { email } = await signedInUser();
    const fromPage = await raw('/token?grant_type=password', { method: 'POST', json: { email, password: 'nope-nope-1' }, headers: { origin: 'http://127.0.0.1:5173' } });
    const exposed = (fromPage.headers.get('access-control-expose-headers') ?? '').split(',').map((h) => h.trim().toLowerCase());
    expect(exposed).toEqual(expect.arrayContaining(['x-supabase-api-version', 'x-total-count', 'link']));
  });

  it('rejects weak passwords with the reasons', async () => {
    const short = await client().auth.signUp({ email: newEmail(), password: 'ab1' });
    expect(short.error?.code).toBe('weak_password');
    expect(short.error?.status).toBe(422);
    expect((short.error as { reasons?: string[] }).reasons).toEqual(['length']);
    const noDigit = await raw('/signup', { method: 'POST', json: { email: newEmail(), password: 'onlyletters' } });
    expect(noDigit.status).toBe(422);
    expect(noDigit.json.code).toBe('weak_password');
    expect(noDigit.json.weak_password.reasons).toEqual(['characters']);
  });

  it('answers email_exists when an admin creates a duplicate', async () => {
    const { email } = await signedInUser();
    const dup = await serviceClient().auth.admin.createUser({ email, password: PASSWORD });
    expect(dup.error?.code).toBe('email_exists');
    expect(dup.error?.status).toBe(422);
  });

  it('hides whether an address is registered on repeated signup', async () => {
    const { email, user } = await signedInUser();
    const again = await client().auth.signUp({ email, password: PASSWORD });
    expect(again.error).toBeNull();
    expect(again.data.user?.id).not.toBe(user.id);
    expect(again.data.session).toBeNull();
  });

  it('needs a bearer token for /user and refuses tokens it did not sign', async () => {
    const none = await raw('/user');
    expect(none.status).toBe(401);
    expect(none.json.code).toBe('no_authorization');
    const { session } = await signedInUser();
    const [h, p] = session.access_token.split('.');
    const forged = `${h}.${p}.${createHmac('sha256', 'another-secret-another-secret-another-secret').update(`${h}.${p}`).digest('base64url')}`;
    const noneAlg = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${p}.`;
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claimsOf(session.access_token), role: 'service_role' })).toString('base64url')}.${session.access_token.split('.')[2]}`;
    for (const token of [forged, noneAlg, tampered, 'not-a-jwt', 'a.b.c']) {
      const r = await raw('/user', { token });
      expect(r.status, token).toBe(403);
      expect(r.json.code).toBe('bad_jwt');
    }
  });
});

describe('password hashes', () => {
  it('accepts bcrypt hashes from seeds (pgcrypto $2a$) and from bcryptjs ($2b$)', async () => {
    const { email, user } = await signedInUser();
    const pg = await db();
    try {
      const stored = await pg.query('select encrypted_password from auth.users where id = $1', [user.id]);
      expect(stored.rows[0].encrypted_password).toMatch(/^\$2a\$10\$/);
      await pg.query("update auth.users set encrypted_password = extensions.crypt('Seeded-pass-1', extensions.gen_salt('bf')) where id = $1", [user.id]);
      expect((await client().auth.signInWithPassword({ email, password: 'Seeded-pass-1' })).error).toBeNull();
      await pg.query('update auth.users set encrypted_password = $2 where id = $1', [user.id, bcrypt.hashSync('Js-hashed-pass-2', 10)]);
      expect((await client().auth.signInWithPassword({ email, password: 'Js-hashed-pass-2' })).error).toBeNull();
      expect((await client().auth.signInWithPassword({ email, password: 'Seeded-pass-1' })).error?.code).toBe('invalid_credentials');
    } finally {
      await pg.end();
    }
  });
});

describe('refresh token rotation and reuse detection', () => {
  it('returns the active token for its parent and revokes the family on older reuse', async () => {
    const { session } = await signedInUser();
    const first = session.refresh_token;
    const r1 = await raw('/token?grant_type=refresh_token', { method: 'POST', json: { refresh_token: first } });
    expect(r1.status).toBe(200);
    const second = r1.json.refresh_token as string;
    // A client that lost the answer retries with the parent: it gets the active token back.
    const retry = await raw('/token?grant_type=refresh_token', { method: 'POST', json: { refresh_token: first } });
    expect(retry.status).toBe(200);
    expect(retry.json.refresh_token).toBe(second);
    const r2 = await raw('/token?grant_type=refresh_token', { method: 'POST', json: { refresh_token: second } });
    const third = r2.json.refresh_token as string;
    expect(third).not.toBe(second);

    // `first` is now neither active nor the active token's parent; outside the reuse interval
    // (10 s in config.toml) its reuse revokes the whole session.
    const pg = await db();
    try {
      await pg.query("update auth.refresh_tokens set updated_at = now() - interval '1 minute' where token = $1", [first]);
    } finally {
      await pg.end();
    }
    const reuse = await raw('/token?grant_type=refresh_token', { method: 'POST', json: { refresh_token: first } });
    expect(reuse.status).toBe(400);
    expect(reuse.json).toEqual({ code: 'refresh_token_already_used', message: 'Invalid Refresh Token: Already Used' });
    const pg2 = await db();
    try {
      const live = await pg2.query(
        "select count(*)::int as n from auth.refresh_tokens where session_id = $1 and not revoked",
        [claimsOf(session.access_token).session_id],
      );
      expect(live.rows[0].n).toBe(0);
      // Once the reuse interval has passed, the active token of the family is dead too.
      await pg2.query("update auth.refresh_tokens set updated_at = now() - interval '1 minute' where token = $1", [third]);
    } finally {
      await pg2.end();
    }
    const afterFamily = await raw('/token?grant_type=refresh_token', { method: 'POST', json: { refresh_token: third } });
    expect(afterFamily.status).toBe(400);
    expect(afterFamily.json.code).toBe('refresh_token_already_used');
  });

  it('answers refresh_token_not_found for a token it never issued', async () => {
    const r = await client().auth.refreshSession({ refresh_token: 'nonexistent1' });
    expect(r.error?.code).toBe('refresh_token_not_found');
  });
});

describe('sign out scopes', () => {
  it('local ends one session, others keeps it, global ends all', async () => {
    const { email } = await signedInUser();
    const sessions = [];
    for (let i = 0; i < 3; i++) {
      const c = client();
      const s = await c.auth.signInWithPassword({ email, password: PASSWORD });
      sessions.push({ c, s: s.data.session! });
    }
    const alive = async (token: string) => (await raw('/user', { token })).status === 200;
    expect((await raw('/logout?scope=others', { method: 'POST', token: sessions[0]!.s.access_token })).status).toBe(204);
    expect(await alive(sessions[0]!.s.access_token)).toBe(true);
    expect(await alive(sessions[1]!.s.access_token)).toBe(false);
    const again = await client().auth.signInWithPassword({ email, password: PASSWORD });
    expect((await raw('/logout?scope=local', { method: 'POST', token: sessions[0]!.s.access_token })).status).toBe(204);
    expect(await alive(sessions[0]!.s.access_token)).toBe(false);
    expect(await alive(again.data.session!.access_token)).toBe(true);
    expect((await raw('/logout', { method: 'POST', token: again.data.session!.access_token })).status).toBe(204);
    expect(await alive(again.data.session!.access_token)).toBe(false);
    const bad = await raw('/logout?scope=everyone', { method: 'POST', token: again.data.session!.access_token });
    expect(bad.status).toBe(400);
    expect(bad.json.code).toBe('validation_failed');
  });
});

describe('email links: OTP, magic link, recovery, resend, email change', () => {
  it('verifies a signup by OTP code', async () => {
    const email = newEmail('otp');
    const c = client();
    await c.auth.signUp({ email, password: PASSWORD });
    const { otp } = linkOf(await latestMail(email, 'Confirm Your Signup'));
    expect(otp).toMatch(/^\d{6}$/);
    const wrong = await c.auth.verifyOtp({ email, token: otp === '000000' ? '111111' : '000000', type: 'signup' });
    expect(wrong.error?.code).toBe('otp_expired');
    expect(wrong.error?.status).toBe(403);
    const ok = await c.auth.verifyOtp({ email, token: otp, type: 'signup' });
    expect(ok.error).toBeNull();
    expect(ok.data.session?.user.email_confirmed_at).toBeTruthy();
    const twice = await c.auth.verifyOtp({ email, token: otp, type: 'signup' });
    expect(twice.error?.code).toBe('otp_expired');
  });

  it('signs in with a magic link and respects create_user', async () => {
    const { email } = await signedInUser();
    const c = client();
    const sent = await c.auth.signInWithOtp({ email, options: { emailRedirectTo: 'http://localhost:5173/welcome' } });
    expect(sent.error).toBeNull();
    const mail = await latestMail(email, 'Your Magic Link');
    const { link } = linkOf(mail);
    expect(new URL(link).searchParams.get('redirect_to')).toBe('http://localhost:5173/welcome');
    const res = await fetch(link, { redirect: 'manual' });
    const location = new URL(res.headers.get('location')!);
    expect(location.origin + location.pathname).toBe('http://localhost:5173/welcome');
    const frag = new URLSearchParams(location.hash.slice(1));
    expect(frag.get('type')).toBe('magiclink');
    expect(claimsOf(frag.get('access_token')!).email).toBe(email);
    const reused = await fetch(link, { redirect: 'manual' });
    const err = new URLSearchParams(new URL(reused.headers.get('location')!).hash.slice(1));
    expect(err.get('error_code')).toBe('otp_expired');

    const noCreate = await c.auth.signInWithOtp({ email: newEmail('nobody'), options: { shouldCreateUser: false } });
    expect(noCreate.error?.code).toBe('otp_disabled');
  });

  it('only redirects to the site URL or the allow-list', async () => {
    const { email } = await signedInUser();
    await client().auth.signInWithOtp({ email, options: { emailRedirectTo: 'https://evil.example.com/steal' } });
    const { link } = linkOf(await latestMail(email, 'Your Magic Link'));
    const res = await fetch(link, { redirect: 'manual' });
    expect(new URL(res.headers.get('location')!).origin).toBe('http://127.0.0.1:5173');
  });

  it('resets a password through the recovery mail', async () => {
    const { email } = await signedInUser();
    const c = client();
    expect((await c.auth.resetPasswordForEmail(email)).error).toBeNull();
    expect((await c.auth.resetPasswordForEmail(newEmail('unknown'))).error).toBeNull();
    const { otp } = linkOf(await latestMail(email, 'Reset Your Password'));
    const v = await c.auth.verifyOtp({ email, token: otp, type: 'recovery' });
    expect(v.error).toBeNull();
    expect(claimsOf(v.data.session!.access_token).amr[0].method).toBe('otp');
    const same = await c.auth.updateUser({ password: PASSWORD });
    expect(same.error?.code).toBe('same_password');
    expect((await c.auth.updateUser({ password: 'Brand-new-2027' })).error).toBeNull();
    const old = await client().auth.signInWithPassword({ email, password: PASSWORD });
    expect(old.error?.code).toBe('invalid_credentials');
    expect((await client().auth.signInWithPassword({ email, password: 'Brand-new-2027' })).error).toBeNull();
  });

  it('resends a signup confirmation', async () => {
    const email = newEmail('resend');
    const c = client();
    await c.auth.signUp({ email, password: PASSWORD });
    await latestMail(email);
    // max_frequency (1 s here) is tested on its own with a longer interval in auth-config.
    const pg = await db();
    try {
      await pg.query("update auth.users set confirmation_sent_at = now() - interval '2 seconds' where email = $1", [email]);
    } finally {
      await pg.end();
    }
    expect((await c.auth.resend({ type: 'signup', email })).error).toBeNull();
    expect(await mailCount(email)).toBe(2);
  });

  it('changes the email after both addresses confirm', async () => {
    const { client: c, email } = await signedInUser();
    const next = newEmail('moved');
    const upd = await c.auth.updateUser({ email: next });
    expect(upd.error).toBeNull();
    expect(upd.data.user?.new_email).toBe(next);
    expect(upd.data.user?.email).toBe(email);
    const toNew = linkOf(await latestMail(next, 'Confirm Email Change'));
    const toOld = linkOf(await latestMail(email, 'Confirm Email Change'));
    const first = await fetch(toNew.link, { redirect: 'manual' });
    expect(new URLSearchParams(new URL(first.headers.get('location')!).hash.slice(1)).get('message')).toMatch(/Confirmation link accepted/);
    const second = await c.auth.verifyOtp({ email, token: toOld.otp, type: 'email_change' });
    expect(second.error).toBeNull();
    expect(second.data.user?.email).toBe(next);
    expect((await client().auth.signInWithPassword({ email: next, password: PASSWORD })).error).toBeNull();
  });

  it('updates user metadata, deleting keys set to null', async () => {
    const { client: c } = await signedInUser();
    await c.auth.updateUser({ data: { a: 1, b: 'two' } });
    const r = await c.auth.updateUser({ data: { a: null, c: true } });
    expect(r.data.user?.user_metadata).toMatchObject({ b: 'two', c: true });
    expect(r.data.user?.user_metadata).not.toHaveProperty('a');
  });
});

describe('admin API with the service role', () => {
  it('creates, reads, lists with pagination, updates, bans and deletes users', async () => {
    const admin = serviceClient().auth.admin;
    const email = newEmail('admin');
    const created = await admin.createUser({ email, password: PASSWORD, email_confirm: true, app_metadata: { platform_operator: true }, user_metadata: { n: 1 } });
    expect(created.error).toBeNull();
    const id = created.data.user!.id;
    expect(created.data.user?.app_metadata).toMatchObject({ provider: 'email', platform_operator: true });
    expect((await admin.getUserById(id)).data.user?.email).toBe(email);

    for (let i = 0; i < 3; i++) await admin.createUser({ email: newEmail('page'), password: PASSWORD });
    const page1 = await admin.listUsers({ page: 1, perPage: 2 });
    expect(page1.error).toBeNull();
    expect(page1.data.users).toHaveLength(2);
    expect((page1.data as { total: number }).total).toBeGreaterThanOrEqual(4);
    expect((page1.data as { nextPage: number | null }).nextPage).toBe(2);
    const raw1 = await raw('/admin/users?page=1&per_page=2', { token: stack().SERVICE_ROLE_KEY });
    expect(Number(raw1.headers.get('x-total-count'))).toBeGreaterThanOrEqual(4);
    expect(raw1.headers.get('link')).toMatch(/rel="next".*rel="last"/);

    const upd = await admin.updateUserById(id, { user_metadata: { n: 2 }, ban_duration: '24h' });
    expect(upd.data.user?.user_metadata.n).toBe(2);
    expect(upd.data.user?.banned_until).toBeTruthy();
    const banned = await client().auth.signInWithPassword({ email, password: PASSWORD });
    expect(banned.error?.code).toBe('user_banned');
    await admin.updateUserById(id, { ban_duration: 'none' });
    expect((await client().auth.signInWithPassword({ email, password: PASSWORD })).error).toBeNull();

    expect((await admin.deleteUser(id)).error).toBeNull();
    const gone = await admin.getUserById(id);
    expect(gone.error?.status).toBe(404);
    expect(gone.error?.code).toBe('user_not_found');
  });

  it('refuses the anon key and user tokens', async () => {
    const anon = await raw('/admin/users', { token: stack().ANON_KEY });
    expect(anon.status).toBe(403);
    expect(anon.json.code).toBe('not_admin');
    const { session } = await signedInUser();
    expect((await raw('/admin/users', { token: session.access_token })).status).toBe(403);
  });

  it('invites a user who accepts through the mail', async () => {
    const email = newEmail('invitee');
    const inv = await serviceClient().auth.admin.inviteUserByEmail(email, { data: { org: 'acme' } });
    expect(inv.error).toBeNull();
    expect(inv.data.user?.invited_at).toBeTruthy();
    const mail = await latestMail(email, 'You have been invited');
    const res = await fetch(linkOf(mail).link, { redirect: 'manual' });
    const frag = new URLSearchParams(new URL(res.headers.get('location')!).hash.slice(1));
    expect(frag.get('type')).toBe('invite');
    const c = client();
    await c.auth.setSession({ access_token: frag.get('access_token')!, refresh_token: frag.get('refresh_token')! });
    expect((await c.auth.updateUser({ password: PASSWORD })).error).toBeNull();
    expect((await client().auth.signInWithPassword({ email, password: PASSWORD })).error).toBeNull();
    const again = await serviceClient().auth.admin.inviteUserByEmail(email);
    expect(again.error?.code).toBe('email_exists');
  });

  it('generates links without sending mail', async () => {
    const email = newEmail('genlink');
    const admin = serviceClient().auth.admin;
    const gen = await admin.generateLink({ type: 'signup', email, password: PASSWORD });
    expect(gen.error).toBeNull();
    expect(gen.data.properties?.verification_type).toBe('signup');
    expect(gen.data.properties?.email_otp).toMatch(/^\d{6}$/);
    expect(await mailCount(email)).toBe(0);
    const v = await client().auth.verifyOtp({ token_hash: gen.data.properties!.hashed_token, type: 'signup' });
    expect(v.error).toBeNull();
    const magic = await admin.generateLink({ type: 'magiclink', email });
    const res = await fetch(magic.data.properties!.action_link, { redirect: 'manual' });
    expect(new URLSearchParams(new URL(res.headers.get('location')!).hash.slice(1)).get('access_token')).toBeTruthy();
  });
});

describe('PKCE', () => {
  it('exchanges the code from a magic link for a session', async () => {
    const { email } = await signedInUser();
    const store = new Map<string, string>();
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v), removeItem: (k: string) => void store.delete(k) };
    const c = createClient(stack().API_URL!, stack().ANON_KEY!, { auth: { flowType: 'pkce', storage, persistSession: true, autoRefreshToken: false, detectSessionInUrl: false }, realtime: REALTIME });
    expect((await c.auth.signInWithOtp({ email })).error).toBeNull();
    const { link } = linkOf(await latestMail(email, 'Your Magic Link'));
    expect(new URL(link).searchParams.get('token')).toMatch(/^pkce_/);
    const res = await fetch(link, { redirect: 'manual' });
    const code = new URL(res.headers.get('location')!).searchParams.get('code')!;
    expect(code).toBeTruthy();
    const wrong = await raw('/token?grant_type=pkce', { method: 'POST', json: { auth_code: code, code_verifier: 'x'.repeat(50) } });
    expect(wrong.status).toBe(400);
    expect(wrong.json.code).toBe('bad_code_verifier');
    const ex = await c.auth.exchangeCodeForSession(code);
    expect(ex.error).toBeNull();
    expect(ex.data.session?.user.email).toBe(email);
    const again = await raw('/token?grant_type=pkce', { method: 'POST', json: { auth_code: code, code_verifier: 'x'.repeat(50) } });
    expect(again.status).toBe(404);
    expect(again.json.code).toBe('flow_state_not_found');
  });
});

describe('multi-factor authentication (TOTP)', () => {
  it('enrolls, challenges, verifies to aal2 and unenrolls', async () => {
    const { client: c } = await signedInUser();
    const enroll = await c.auth.mfa.enroll({ factorType: 'totp', friendlyName: 'phone app' });
    expect(enroll.error).toBeNull();
    const { id, totp } = enroll.data as { id: string; totp: { secret: string; uri: string; qr_code: string } };
    expect(totp.uri).toMatch(/^otpauth:\/\/totp\//);
    expect(totp.qr_code).toMatch(/^data:image\/svg\+xml/);
    const gen = new TOTP({ secret: totp.secret });

    const bad = await c.auth.mfa.challengeAndVerify({ factorId: id, code: gen.generate() === '000000' ? '111111' : '000000' });
    expect(bad.error?.code).toBe('mfa_verification_failed');
    const ok = await c.auth.mfa.challengeAndVerify({ factorId: id, code: gen.generate() });
    expect(ok.error).toBeNull();
    const claims = claimsOf((await c.auth.getSession()).data.session!.access_token);
    expect(claims.aal).toBe('aal2');
    expect(claims.amr.map((a: { method: string }) => a.method)).toEqual(expect.arrayContaining(['password', 'totp']));
    const aal = await c.auth.mfa.getAuthenticatorAssuranceLevel();
    expect(aal.data).toMatchObject({ currentLevel: 'aal2', nextLevel: 'aal2' });
    const refreshed = await c.auth.refreshSession();
    expect(claimsOf(refreshed.data.session!.access_token).aal).toBe('aal2');

    // A new sign-in starts at aal1 and is told to step up.
    const email = (await c.auth.getUser()).data.user!.email!;
    const other = client();
    await other.auth.signInWithPassword({ email, password: PASSWORD });
    const level = await other.auth.mfa.getAuthenticatorAssuranceLevel();
    expect(level.data).toMatchObject({ currentLevel: 'aal1', nextLevel: 'aal2' });
    const cannot = await other.auth.mfa.unenroll({ factorId: id });
    expect(cannot.error?.code).toBe('insufficient_aal');

    const factors = await c.auth.mfa.listFactors();
    expect(factors.data?.totp.map((f) => f.id)).toEqual([id]);
    expect((await c.auth.mfa.unenroll({ factorId: id })).error).toBeNull();
    expect((await c.auth.mfa.listFactors()).data?.totp).toEqual([]);
  });
});

describe('features Lintel switches off answer as GoTrue does with them off', () => {
  it('SSO, identity linking, id_token, web3 and phone OTPs', async () => {
    const { client: c } = await signedInUser();
    const sso = await c.auth.signInWithSSO({ domain: 'example.com' });
    expect(sso.error?.message).toBe('SAML 2.0 is disabled');
    const link = await c.auth.linkIdentity({ provider: 'github', options: { skipBrowserRedirect: true } });
    expect(link.error?.message).toBe('Manual linking is disabled');
    const idToken = await c.auth.signInWithIdToken({ provider: 'google', token: 'x' });
    expect(idToken.error?.code).toBe('provider_disabled');
    const phone = await c.auth.verifyOtp({ phone: '15555550100', token: '123456', type: 'sms' });
    expect(phone.error?.code).toBe('otp_expired');
    const badPhone = await c.auth.verifyOtp({ phone: 'call me', token: '123456', type: 'sms' });
    expect(badPhone.error?.message).toBe('Invalid phone number format (E.164 required)');
  });

  it('reauthenticate mails a nonce; admin paging rejects bad numbers', async () => {
    const { client: c, email } = await signedInUser();
    expect((await c.auth.reauthenticate()).error).toBeNull();
    expect((await latestMail(email, 'Confirm reauthentication')).Text).toMatch(/\d{6}/);
    const bad = await serviceClient().auth.admin.listUsers({ page: -1, perPage: 10 });
    expect(bad.error?.status).toBe(400);
    expect(bad.data.users).toEqual([]);
  });
});

describe('settings, health, keys', () => {
  it('publishes settings from config.toml', async () => {
    const r = await raw('/settings');
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ disable_signup: false, mailer_autoconfirm: false, external: { email: true, anonymous_users: false } });
    expect((await raw('/health')).json.name).toBe('GoTrue');
  });

  it('publishes an empty JWKS when only the HS256 secret signs, so getClaims falls back to getUser', async () => {
    const r = await raw('/.well-known/jwks.json');
    expect(r.json).toEqual({ keys: [] });
    const { client: c, user } = await signedInUser();
    const claims = await c.auth.getClaims();
    expect(claims.error).toBeNull();
    expect(claims.data?.claims.sub).toBe(user.id);
  });

  it('refuses anonymous sign-in as configured', async () => {
    const r = await client().auth.signInAnonymously();
    expect(r.error?.code).toBe('anonymous_provider_disabled');
    expect(r.error?.status).toBe(422);
  });
});

describe('hostile input answers 4xx in GoTrue shape, never 5xx', () => {
  const bodies: [string, string, RequestInit][] = [
    ['/signup', 'invalid JSON', { method: 'POST', body: '{"email": ', headers: { 'content-type': 'application/json' } }],
    ['/signup', 'array body', { method: 'POST', body: '[1,2]', headers: { 'content-type': 'application/json' } }],
    ['/signup', 'email as number', { method: 'POST', body: JSON.stringify({ email: 42, password: PASSWORD }), headers: { 'content-type': 'application/json' } }],
    ['/signup', 'huge email', { method: 'POST', body: JSON.stringify({ email: `${'a'.repeat(5000)}@example.com`, password: PASSWORD }), headers: { 'content-type': 'application/json' } }],
    ['/signup', 'huge password', { method: 'POST', body: JSON.stringify({ email: 'x@example.com', password: 'a1'.repeat(500) }), headers: { 'content-type': 'application/json' } }],
    ['/signup', 'data as string', { method: 'POST', body: JSON.stringify({ email: 'y@example.com', password: PASSWORD, data: 'x' }), headers: { 'content-type': 'application/json' } }],
    ['/signup', 'body over 256 KiB', { method: 'POST', body: JSON.stringify({ email: 'z@example.com', password: PASSWORD, data: { x: 'a'.repeat(300_000) } }), headers: { 'content-type': 'application/json' } }],
    ['/token?grant_type=password', 'password as object', { method: 'POST', body: JSON.stringify({ email: 'a@example.com', password: { $gt: '' } }), headers: { 'content-type': 'application/json' } }],
    ['/token?grant_type=refresh_token', 'refresh token as array', { method: 'POST', body: JSON.stringify({ refresh_token: ['x'] }), headers: { 'content-type': 'application/json' } }],
    ['/token?grant_type=refresh_token', 'huge refresh token', { method: 'POST', body: JSON.stringify({ refresh_token: 'x'.repeat(100_000) }), headers: { 'content-type': 'application/json' } }],
    ['/token?grant_type=magic', 'unknown grant', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } }],
    ['/verify', 'verify with bogus type', { method: 'POST', body: JSON.stringify({ type: 'wat', token_hash: 'x' }), headers: { 'content-type': 'application/json' } }],
    ['/verify', 'verify token_hash as number', { method: 'POST', body: JSON.stringify({ type: 'signup', token_hash: 1 }), headers: { 'content-type': 'application/json' } }],
    ['/otp', 'otp without email', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } }],
    ['/recover', 'recover with SQL in email', { method: 'POST', body: JSON.stringify({ email: "a'; drop table auth.users;--@x.com" }), headers: { 'content-type': 'application/json' } }],
    ['/factors/not-a-uuid/verify', 'factor without auth', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } }],
    ['/admin/users/not-a-uuid', 'admin without key', { method: 'GET' }],
  ];
  for (const [path, name, init] of bodies) {
    it(`${name} on ${path}`, async () => {
      const r = await raw(path, init);
      expect(r.status, r.text).toBeGreaterThanOrEqual(400);
      expect(r.status, r.text).toBeLessThan(500);
      expect(typeof r.json.code).toBe('string');
      expect(typeof r.json.message).toBe('string');
      expect(r.headers.get('x-sb-error-code')).toBe(r.json.code);
    });
  }

  it('refuses forged service-role tokens on admin routes and forged tokens on logout', async () => {
    const h = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
    const b = Buffer.from(JSON.stringify({ role: 'service_role', iss: 'supabase-demo', exp: 1983812996 })).toString('base64url');
    const forged = `${h}.${b}.${createHmac('sha256', 'not-the-project-secret-not-the-project-secret').update(`${h}.${b}`).digest('base64url')}`;
    const none = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${b}.`;
    for (const token of [forged, none]) {
      const admin = await raw('/admin/users', { token });
      expect(admin.status).toBe(403);
      expect(admin.json.code).toBe('bad_jwt');
      const logout = await raw('/logout', { method: 'POST', token });
      expect(logout.status).toBe(403);
    }
  });

  it('admin routes with a bogus user id answer 404', async () => {
    const r = await raw('/admin/users/not-a-uuid', { token: stack().SERVICE_ROLE_KEY });
    expect(r.status).toBe(404);
    expect(r.json.code).toBe('user_not_found');
  });

  it('expired tokens are refused as bad_jwt', async () => {
    const { session } = await signedInUser();
    const p = { ...claimsOf(session.access_token), exp: Math.floor(Date.now() / 1000) - 10 };
    const h = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
    const b = Buffer.from(JSON.stringify(p)).toString('base64url');
    const token = `${h}.${b}.${createHmac('sha256', stack().JWT_SECRET!).update(`${h}.${b}`).digest('base64url')}`;
    const r = await raw('/user', { token });
    expect(r.status).toBe(403);
    expect(r.json.code).toBe('bad_jwt');
  });
});

describe('rate limits', () => {
  it('limits the token endpoint per client with a clear 429', async () => {
    // GoTrue keys its limits on the client address header (X-Forwarded-For on Supabase);
    // token_refresh = 150 per 5 minutes with a burst of 30.
    const ip = `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.7`;
    const statuses: number[] = [];
    for (let i = 0; i < 45; i++) {
      // A refresh with an unknown token: cheap, so the loop outruns the bucket's refill.
      const r = await raw('/token?grant_type=refresh_token', { method: 'POST', json: { refresh_token: 'unknown12345' }, headers: { 'x-forwarded-for': ip } });
      statuses.push(r.status);
      if (r.status === 429) {
        expect(r.json).toEqual({ code: 'over_request_rate_limit', message: 'Request rate limit reached' });
        break;
      }
    }
    // The burst passes; refill at 0.5/s lets a few more through while the loop runs.
    expect(statuses.slice(0, 30).every((s) => s === 400)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
    // Another client is unaffected.
    const other = await raw('/token?grant_type=password', { method: 'POST', json: { email: 'nobody@example.com', password: 'x' }, headers: { 'x-forwarded-for': '10.255.255.1' } });
    expect(other.status).toBe(400);
  });
});

describe('rate limits on sign-up/OTP and verification', () => {
  const burst = async (path: string, json: unknown) => {
    const ip = `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.9`;
    const statuses: number[] = [];
    for (let i = 0; i < 40 && !statuses.includes(429); i++) {
      statuses.push((await raw(path, { method: 'POST', json, headers: { 'x-forwarded-for': ip } })).status);
    }
    return statuses;
  };

  it('counts every /otp request, valid or not, against sign_in_sign_ups', async () => {
    const statuses = await burst('/otp', { email: 'not-an-email' });
    expect(statuses.slice(0, 30).every((s) => s === 400)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
  });

  it('limits /verify by token_verifications', async () => {
    const statuses = await burst('/verify', { type: 'signup', token_hash: 'deadbeef' });
    expect(statuses.slice(0, 30).every((s) => s === 403)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
  });
});

describe('@supabase/ssr server client', () => {
  it('keeps the session in cookies across requests and signs out', async () => {
    const { email } = await signedInUser();
    const jar = new Map<string, string>();
    const make = () =>
      createServerClient(stack().API_URL!, stack().ANON_KEY!, {
        realtime: REALTIME,
        cookies: {
          getAll: () => [...jar].map(([name, value]) => ({ name, value })),
          setAll: (list) => {
            for (const { name, value, options } of list) {
              if (options?.maxAge === 0 || value === '') jar.delete(name);
              else jar.set(name, value);
            }
          },
        },
      });
    const first = make();
    const signIn = await first.auth.signInWithPassword({ email, password: PASSWORD });
    expect(signIn.error).toBeNull();
    const cookieName = [...jar.keys()].find((k) => k.startsWith('sb-') && k.includes('-auth-token'));
    expect(cookieName).toBeTruthy();
    expect(jar.get(cookieName!)!.startsWith('base64-')).toBe(true);

    // A later request builds a new client from the cookies alone.
    const second = make();
    const user = await second.auth.getUser();
    expect(user.data.user?.email).toBe(email);
    const claims = await second.auth.getClaims();
    expect(claims.data?.claims.email).toBe(email);

    // Force a refresh through the cookie session: the cookie gets the rotated token.
    const before = jar.get(cookieName!);
    const refreshed = await second.auth.refreshSession();
    expect(refreshed.error).toBeNull();
    expect(jar.get(cookieName!)).not.toBe(before);

    const third = make();
    expect((await third.auth.signOut()).error).toBeNull();
    expect([...jar.keys()].some((k) => k.startsWith('sb-'))).toBe(false);
    const after = await raw('/user', { token: refreshed.data.session!.access_token });
    expect(after.status).toBe(403);
  });
});
