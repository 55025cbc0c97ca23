import type { Hono } from 'hono';
import type pg from 'pg';
import { applyEmailChange, audit, checkPassword, createUser, markEmailVerified, newToken, type TokenKind } from './accounts.ts';
import { AuthError, E } from './errors.ts';
import type { Guards } from './guards.ts';
import type { Mailer } from './mailer.ts';
import { boolField, obj, redirectTo, str, validEmail, type Env } from './request.ts';
import type { AuthSettings } from './settings.ts';
import { findUserByEmail, findUserById, hashPassword, transaction, userJson } from './store.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// A UUID-shaped id that matches no row, for path ids that are not UUIDs (a cast would fail).
const NO_ID = '00000000-0000-0000-0000-000000000000';

/** What the admin API needs. */
export interface AdminDeps {
  pool: pg.Pool;
  /** Runs bcrypt (pgcrypto) as the stack's login role. */
  cryptPool: pg.Pool;
  settings: AuthSettings;
  mailer: Mailer;
  requireAdmin: Guards['requireAdmin'];
}

/** Go's time.ParseDuration for ban_duration: a time from now, null for `none`, undefined when absent. */
function banUntil(v: unknown): Date | null | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw E.badJson('json: cannot unmarshal into Go struct field .ban_duration of type string');
  if (v === 'none') return null;
  const m = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)$/.exec(v) ?? /^((?:\d+h)?(?:\d+m)?(?:\d+(?:\.\d+)?s)?)$/.exec(v);
  if (!m || !v) throw E.validation('invalid format for ban duration: time: invalid duration "' + v + '"');
  let secs = 0;
  for (const part of v.matchAll(/(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)/g)) {
    const n = Number(part[1]);
    secs += { ns: 1e-9, us: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 }[part[2] as 'h'] * n;
  }
  return new Date(Date.now() + secs * 1000);
}

/** The admin API: `/invite`, `/admin/users…`, `/admin/generate_link` (supabase/auth internal/api/admin.go, invite.go). */
export function adminRoutes(app: Hono<Env, any, any>, d: AdminDeps) {
  const { settings } = d;

  app.post('/invite', async (c) => {
    await d.requireAdmin(c);
    const b = c.get('body');
    const mail = validEmail(str(b, 'email', 1024));
    const data = obj(b, 'data');
    const redirect = redirectTo(c, settings);
    return c.json(
      await transaction(d.pool, async (tx) => {
        let user = await findUserByEmail(tx, mail);
        if (user?.email_confirmed_at) throw E.emailExists();
        if (!user) {
          user = await createUser(tx, d.cryptPool, { email: mail, userMetadata: data, invited: true });
          await audit(tx, 'user_invited', user);
        } else {
          await tx.query('update auth.users set invited_at = now() where id = $1', [user.id]);
        }
        const t = await newToken(tx, settings, user, 'confirmation', mail, false);
        d.mailer.send(mail, 'invite', t, redirect, user);
        return userJson(tx, (await findUserById(tx, user.id))!);
      }),
    );
  });

  app.get('/admin/users', async (c) => {
    await d.requireAdmin(c);
    // pagination.go: page and per_page are unsigned integers; anything else is a 400.
    const pageQ = c.req.query('page') || '1';
    const perQ = c.req.query('per_page') || '50';
    if (!/^\d+$/.test(pageQ) || !/^\d+$/.test(perQ)) throw E.validation('Bad Pagination Parameters');
    const page = Math.max(1, Number(pageQ));
    const perPage = Math.min(1000, Math.max(1, Number(perQ)));
    const total = Number((await d.pool.query("select count(*) as n from auth.users where aud = 'authenticated'")).rows[0].n);
    const { rows } = await d.pool.query(
      "select * from auth.users where aud = 'authenticated' order by created_at desc, id limit $1 offset $2",
      [perPage, (page - 1) * perPage],
    );
    // pagination.go: Link with next/last and X-Total-Count, as GoTrueAdminApi.listUsers parses them.
    const last = Math.max(1, Math.ceil(total / perPage));
    const base = new URL(c.req.url);
    const link = (p: number, rel: string) => {
      base.searchParams.set('page', String(p));
      base.searchParams.set('per_page', String(perPage));
      return `<${base.pathname}${base.search}>; rel="${rel}"`;
    };
    const links = [...(page < last ? [link(page + 1, 'next')] : []), link(last, 'last')];
    c.header('x-total-count', String(total));
    c.header('link', links.join(', '));
    return c.json({ users: await Promise.all(rows.map((u) => userJson(d.pool, u))), aud: 'authenticated' });
  });

  app.post('/admin/users', async (c) => {
    await d.requireAdmin(c);
    const b = c.get('body');
    const email = str(b, 'email', 1024);
    const password = str(b, 'password', 1024);
    if (str(b, 'phone', 64)) throw E.phoneDisabled();
    const mail = email ? validEmail(email) : undefined;
    if (!mail) throw E.validation('Unable to validate email address: invalid format');
    if (password !== undefined) checkPassword(settings, password);
    const ban = banUntil(b.ban_duration);
    const id = str(b, 'id', 64);
    if (id !== undefined && !UUID.test(id)) throw E.validation('id must be a UUID');
    return c.json(
      await transaction(d.pool, async (tx) => {
        if (await findUserByEmail(tx, mail)) throw E.emailExists();
        if (id && (await findUserById(tx, id))) throw new AuthError(422, 'user_already_exists', 'User already exists');
        const user = await createUser(tx, d.cryptPool, {
          id,
          email: mail,
          password,
          userMetadata: obj(b, 'user_metadata') ?? obj(b, 'data'),
          appMetadata: obj(b, 'app_metadata'),
          confirmed: boolField(b, 'email_confirm') ?? false,
          role: str(b, 'role', 64),
        });
        if (ban !== undefined) await tx.query('update auth.users set banned_until = $2 where id = $1', [user.id, ban]);
        await audit(tx, 'user_signedup', user, { provider: 'email', via: 'admin' });
        return userJson(tx, (await findUserById(tx, user.id))!);
      }),
    );
  });

  app.get('/admin/users/:id', async (c) => {
    await d.requireAdmin(c);
    const user = await findUserById(d.pool, c.req.param('id'));
    if (!user) throw E.userNotFound();
    return c.json(await userJson(d.pool, user));
  });

  app.put('/admin/users/:id', async (c) => {
    await d.requireAdmin(c);
    const b = c.get('body');
    return c.json(
      await transaction(d.pool, async (tx) => {
        const user = await findUserById(tx, c.req.param('id'), true);
        if (!user) throw E.userNotFound();
        const email = str(b, 'email', 1024);
        const password = str(b, 'password', 1024);
        const userMeta = obj(b, 'user_metadata');
        const appMeta = obj(b, 'app_metadata');
        const confirm = boolField(b, 'email_confirm');
        const role = str(b, 'role', 64);
        const ban = banUntil(b.ban_duration);
        if (email !== undefined) {
          const mail = validEmail(email);
          const other = await findUserByEmail(tx, mail);
          if (other && other.id !== user.id) throw E.emailExists();
          await applyEmailChange(tx, user, mail);
        }
        if (password !== undefined) {
          checkPassword(settings, password);
          await tx.query('update auth.users set encrypted_password = $2 where id = $1', [user.id, await hashPassword(d.cryptPool, password)]);
        }
        if (userMeta) await tx.query('update auth.users set raw_user_meta_data = coalesce(raw_user_meta_data, \'{}\') || $2 where id = $1', [user.id, userMeta]);
        if (appMeta) await tx.query('update auth.users set raw_app_meta_data = coalesce(raw_app_meta_data, \'{}\') || $2 where id = $1', [user.id, appMeta]);
        if (confirm === true) await markEmailVerified(tx, user);
        if (role !== undefined) await tx.query('update auth.users set role = $2 where id = $1', [user.id, role]);
        if (ban !== undefined) {
          await tx.query('update auth.users set banned_until = $2 where id = $1', [user.id, ban]);
          // admin.go: banning a user revokes their sessions.
          if (ban) await tx.query('delete from auth.sessions where user_id = $1', [user.id]);
        }
        await tx.query('update auth.users set updated_at = now() where id = $1', [user.id]);
        await audit(tx, 'user_modified', user);
        return userJson(tx, (await findUserById(tx, user.id))!);
      }),
    );
  });

  app.delete('/admin/users/:id', async (c) => {
    await d.requireAdmin(c);
    const b = c.get('body');
    const soft = boolField(b, 'should_soft_delete') ?? false;
    const user = await findUserById(d.pool, c.req.param('id'));
    if (!user) throw E.userNotFound();
    await transaction(d.pool, async (tx) => {
      if (soft) {
        // models.User.SoftDeleteUser: obfuscate identifying fields, keep the row.
        await tx.query(
          `update auth.users set deleted_at = now(), email = null, phone = null, encrypted_password = '',
             raw_user_meta_data = '{}', raw_app_meta_data = '{}', updated_at = now() where id = $1`,
          [user.id],
        );
        await tx.query('delete from auth.identities where user_id = $1', [user.id]);
        await tx.query('delete from auth.sessions where user_id = $1', [user.id]);
      } else {
        await tx.query('delete from auth.users where id = $1', [user.id]);
      }
      await audit(tx, 'user_deleted', user);
    });
    return c.json({});
  });

  app.get('/admin/users/:id/factors', async (c) => {
    await d.requireAdmin(c);
    const user = await findUserById(d.pool, c.req.param('id'));
    if (!user) throw E.userNotFound();
    return c.json(((await userJson(d.pool, user)).factors as unknown[]) ?? []);
  });

  app.delete('/admin/users/:id/factors/:factor', async (c) => {
    await d.requireAdmin(c);
    const { rows } = await d.pool.query('delete from auth.mfa_factors where id = $1 and user_id = $2 returning id', [
      /^[0-9a-f-]{36}$/i.test(c.req.param('factor')) ? c.req.param('factor') : NO_ID,
      /^[0-9a-f-]{36}$/i.test(c.req.param('id')) ? c.req.param('id') : NO_ID,
    ]);
    if (!rows[0]) throw E.factorNotFound();
    return c.json({ id: rows[0].id });
  });

  app.post('/admin/generate_link', async (c) => {
    await d.requireAdmin(c);
    const b = c.get('body');
    const type = str(b, 'type', 32) ?? '';
    const mail = validEmail(str(b, 'email', 1024));
    const password = str(b, 'password', 1024);
    const newEmail = str(b, 'new_email', 1024);
    const data = obj(b, 'data');
    const redirect = redirectTo(c, settings, str(b, 'redirect_to', 2048));
    const types = ['signup', 'invite', 'magiclink', 'recovery', 'email_change_current', 'email_change_new'];
    if (!types.includes(type)) throw E.validation('Invalid link type');
    return c.json(
      await transaction(d.pool, async (tx) => {
        let user = await findUserByEmail(tx, mail);
        let kind: TokenKind;
        let verification: string = type;
        let relates = mail;
        if (type === 'signup') {
          if (user?.email_confirmed_at) throw E.emailExists();
          if (!password) throw E.validation('Signup requires a valid password', 422);
          checkPassword(settings, password);
          if (!user) user = await createUser(tx, d.cryptPool, { email: mail, password, userMetadata: data });
          kind = 'confirmation';
        } else if (type === 'invite') {
          if (user?.email_confirmed_at) throw E.emailExists();
          if (!user) user = await createUser(tx, d.cryptPool, { email: mail, userMetadata: data, invited: true });
          else await tx.query('update auth.users set invited_at = now() where id = $1', [user.id]);
          kind = 'confirmation';
        } else if (type === 'magiclink' || type === 'recovery') {
          if (!user) {
            if (type === 'recovery') throw E.userNotFound();
            user = await createUser(tx, d.cryptPool, { email: mail, userMetadata: data });
          }
          kind = 'recovery';
        } else {
          if (!user) throw E.userNotFound();
          const ne = validEmail(newEmail);
          if (await findUserByEmail(tx, ne)) throw E.emailExists();
          await tx.query('update auth.users set email_change = $2, email_change_confirm_status = 0 where id = $1', [user.id, ne]);
          kind = type === 'email_change_new' ? 'email_change_new' : 'email_change_current';
          if (kind === 'email_change_new') relates = ne;
          verification = 'email_change';
        }
        const t = await newToken(tx, settings, user, kind, relates, false);
        const out = await userJson(tx, (await findUserById(tx, user.id))!);
        // admin.go GenerateLinkResponse: the user's fields plus the link properties, flattened.
        return {
          ...out,
          action_link: `${settings.issuer}/verify?token=${t.hash}&type=${verification}&redirect_to=${encodeURIComponent(redirect)}`,
          email_otp: t.otp,
          hashed_token: t.hash,
          verification_type: verification,
          redirect_to: redirect,
        };
      }),
    );
  });
}
