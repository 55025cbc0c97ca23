import type { Context, Hono } from 'hono';
import type pg from 'pg';
import { applyEmailChange, audit, checkFrequency, checkPassword, newToken, pkceFlow } from './accounts.ts';
import { AuthError, E } from './errors.ts';
import type { Guards } from './guards.ts';
import type { LimitName } from './limits.ts';
import type { Mailer } from './mailer.ts';
import { obj, redirectTo, str, validEmail, type Env } from './request.ts';
import type { AuthSettings } from './settings.ts';
import { findUserByEmail, findUserById, generateOtp, hashPassword, tokenHash, transaction, userJson, verifyPassword } from './store.ts';

/** What the signed-in user's own routes need. */
export interface UserDeps {
  pool: pg.Pool;
  /** Runs bcrypt (pgcrypto) as the stack's login role. */
  cryptPool: pg.Pool;
  settings: AuthSettings;
  mailer: Mailer;
  limit: (name: LimitName, req: Request) => void;
  authenticate: Guards['authenticate'];
}

/** The signed-in user: `/user` read and update, `/logout`, `/reauthenticate` (user.go, logout.go, reauthenticate.go). */
export function userRoutes(app: Hono<Env, any, any>, d: UserDeps) {
  const { settings } = d;

  app.get('/user', async (c) => {
    const { user } = await d.authenticate(c);
    return c.json(await userJson(d.pool, user));
  });

  app.put('/user', async (c) => {
    const { user, session } = await d.authenticate(c);
    d.limit('otp', c.req.raw);
    const b = c.get('body');
    const email = str(b, 'email', 1024);
    const password = str(b, 'password', 1024);
    const data = obj(b, 'data');
    // user.go: app_metadata in the body is ignored; only admins set it.
    if (str(b, 'phone', 64)) throw E.phoneDisabled();
    const redirect = redirectTo(c, settings);
    return c.json(
      await transaction(d.pool, async (tx) => {
        await tx.query('select 1 from auth.users where id = $1 for update', [user.id]);
        if (password !== undefined) {
          checkPassword(settings, password);
          if (user.encrypted_password && (await verifyPassword(d.cryptPool, password, user.encrypted_password))) throw E.samePassword();
          await tx.query('update auth.users set encrypted_password = $2, updated_at = now() where id = $1', [user.id, await hashPassword(d.cryptPool, password)]);
          await audit(tx, 'user_updated_password', user);
          // user.go: other sessions are logged out when the password changes.
          if (session) await tx.query('delete from auth.sessions where user_id = $1 and id <> $2', [user.id, session.id]);
        }
        if (data) {
          // UpdateUserMetaData: keys set, null deletes.
          const nulls = Object.keys(data).filter((k) => data[k] === null);
          const set = Object.fromEntries(Object.entries(data).filter(([, v]) => v !== null));
          await tx.query('update auth.users set raw_user_meta_data = (coalesce(raw_user_meta_data, \'{}\') || $2) - $3::text[], updated_at = now() where id = $1', [
            user.id,
            set,
            nulls,
          ]);
        }
        if (email !== undefined) {
          const mail = validEmail(email);
          if (mail !== user.email) {
            const other = await findUserByEmail(tx, mail);
            if (other && other.id !== user.id) throw E.emailExists();
            if (settings.autoconfirm) {
              await applyEmailChange(tx, user, mail);
            } else {
              checkFrequency(settings, user.email_change_sent_at);
              await tx.query('update auth.users set email_change = $2, email_change_confirm_status = 0 where id = $1', [user.id, mail]);
              const pkce = await pkceFlow(tx, b, user.id, 'email_change');
              const tNew = await newToken(tx, settings, user, 'email_change_new', mail, pkce);
              d.mailer.send(mail, 'email_change', tNew, redirect, user, mail);
              if (settings.doubleConfirmChanges && user.email) {
                const tCur = await newToken(tx, settings, user, 'email_change_current', user.email, pkce);
                d.mailer.send(user.email, 'email_change', tCur, redirect, user, mail);
              }
            }
          }
        }
        return userJson(tx, (await findUserById(tx, user.id))!);
      }),
    );
  });

  app.post('/logout', async (c) => {
    const scope = c.req.query('scope') ?? 'global';
    if (!['global', 'local', 'others'].includes(scope)) throw E.validation(`Unsupported logout scope "${scope}"`);
    const { user, session } = await d.authenticate(c);
    if (scope === 'local') {
      if (session) await d.pool.query('delete from auth.sessions where id = $1', [session.id]);
    } else if (scope === 'others') {
      await d.pool.query('delete from auth.sessions where user_id = $1 and id <> $2', [user.id, session?.id ?? '00000000-0000-0000-0000-000000000000']);
    } else {
      await d.pool.query('delete from auth.sessions where user_id = $1', [user.id]);
    }
    await audit(d.pool, 'logout', user);
    return c.body(null, 204);
  });

  // reauthenticate.go: a nonce by email for secure password changes.
  app.get('/reauthenticate', async (c) => {
    const { user } = await d.authenticate(c);
    if (!user.email) throw new AuthError(422, 'validation_failed', 'Reauthentication requires the user to have an email or a phone number');
    await transaction(d.pool, async (tx) => {
      checkFrequency(settings, user.reauthentication_sent_at);
      const otp = generateOtp(settings.otpLength);
      await tx.query('update auth.users set reauthentication_token = $2, reauthentication_sent_at = now() where id = $1', [user.id, tokenHash(user.email!, otp)]);
      d.mailer.sendReauthentication(user.email!, otp);
    });
    return c.json({});
  });

  // enable_manual_linking = false: identity linking routes answer as GoTrue's
  // requireManualLinkingEnabled does.
  const manualLinking = async (c: Context<Env>) => {
    await d.authenticate(c);
    throw new AuthError(404, 'manual_linking_disabled', 'Manual linking is disabled');
  };
  app.get('/user/identities/authorize', manualLinking);
  app.delete('/user/identities/:id', manualLinking);
}
