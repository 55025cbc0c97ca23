import type { Hono } from 'hono';
import type pg from 'pg';
import { audit, checkFrequency, createUser, newToken, pkceFlow } from './accounts.ts';
import { AuthError, E } from './errors.ts';
import type { LimitName } from './limits.ts';
import type { Mailer } from './mailer.ts';
import { boolField, obj, redirectTo, str, validEmail, type Env } from './request.ts';
import type { AuthSettings } from './settings.ts';
import { findUserByEmail, transaction, type UserRow } from './store.ts';

/** What the emailed-code routes need. */
export interface OtpDeps {
  pool: pg.Pool;
  /** Runs bcrypt (pgcrypto) as the stack's login role. */
  cryptPool: pg.Pool;
  settings: AuthSettings;
  mailer: Mailer;
  limit: (name: LimitName, req: Request) => void;
}

/** Emailed codes and links: `/otp`, `/magiclink`, `/recover`, `/resend` (otp.go, magic_link.go, recover.go, resend.go). */
export function otpRoutes(app: Hono<Env, any, any>, d: OtpDeps) {
  const { settings } = d;

  app.post('/recover', async (c) => {
    d.limit('otp', c.req.raw);
    const b = c.get('body');
    const mail = validEmail(str(b, 'email', 1024));
    const redirect = redirectTo(c, settings);
    await transaction(d.pool, async (tx) => {
      const user = await findUserByEmail(tx, mail);
      if (!user) return; // recover.go: unknown addresses answer the same, revealing nothing.
      await tx.query('select 1 from auth.users where id = $1 for update', [user.id]);
      checkFrequency(settings, user.recovery_sent_at);
      const pkce = await pkceFlow(tx, b, user.id, 'recovery');
      const t = await newToken(tx, settings, user, 'recovery', mail, pkce);
      d.mailer.send(mail, 'recovery', t, redirect, user);
      await audit(tx, 'user_recovery_requested', user);
    });
    return c.json({});
  });

  app.post('/otp', async (c) => {
    d.limit('otp', c.req.raw);
    const b = c.get('body');
    if (str(b, 'phone', 64)) throw E.phoneDisabled();
    const mail = validEmail(str(b, 'email', 1024));
    const createUserFlag = boolField(b, 'create_user') ?? true;
    const data = obj(b, 'data');
    const redirect = redirectTo(c, settings);
    await transaction(d.pool, async (tx) => {
      let user = await findUserByEmail(tx, mail);
      if (!user) {
        if (!createUserFlag || !settings.enableSignup) throw E.otpDisabled();
        user = await createUser(tx, d.cryptPool, { email: mail, userMetadata: data, confirmed: settings.autoconfirm, selfService: true });
        await audit(tx, 'user_signedup', user, { provider: 'email' });
      }
      await tx.query('select 1 from auth.users where id = $1 for update', [user.id]);
      if (!user.email_confirmed_at && !settings.autoconfirm) {
        // magic_link.go: an unconfirmed user gets the signup confirmation instead.
        checkFrequency(settings, user.confirmation_sent_at);
        const pkce = await pkceFlow(tx, b, user.id, 'email/signup');
        const t = await newToken(tx, settings, user, 'confirmation', mail, pkce);
        d.mailer.send(mail, 'signup', t, redirect, user);
      } else {
        checkFrequency(settings, user.recovery_sent_at);
        const pkce = await pkceFlow(tx, b, user.id, 'magiclink');
        const t = await newToken(tx, settings, user, 'recovery', mail, pkce);
        d.mailer.send(mail, 'magiclink', t, redirect, user);
      }
    });
    return c.json({});
  });

  app.post('/magiclink', async (c) => {
    d.limit('otp', c.req.raw);
    const b = c.get('body');
    const mail = validEmail(str(b, 'email', 1024));
    const redirect = redirectTo(c, settings);
    await transaction(d.pool, async (tx) => {
      const user = await findUserByEmail(tx, mail);
      if (!user) throw E.otpDisabled();
      checkFrequency(settings, user.recovery_sent_at);
      const t = await newToken(tx, settings, user, 'recovery', mail, false);
      d.mailer.send(mail, 'magiclink', t, redirect, user);
    });
    return c.json({});
  });

  app.post('/resend', async (c) => {
    d.limit('otp', c.req.raw);
    const b = c.get('body');
    const type = str(b, 'type', 32);
    if (type === 'sms' || type === 'phone_change') throw E.phoneDisabled();
    if (type !== 'signup' && type !== 'email_change') throw E.validation('Missing one of these types: signup, email_change, sms, phone_change');
    const mail = validEmail(str(b, 'email', 1024));
    const redirect = redirectTo(c, settings);
    await transaction(d.pool, async (tx) => {
      if (type === 'signup') {
        const user = await findUserByEmail(tx, mail);
        if (!user) return;
        if (user.email_confirmed_at) throw new AuthError(422, 'email_exists', 'Email address already confirmed');
        checkFrequency(settings, user.confirmation_sent_at);
        const pkce = await pkceFlow(tx, b, user.id, 'email/signup');
        const t = await newToken(tx, settings, user, 'confirmation', mail, pkce);
        d.mailer.send(mail, 'signup', t, redirect, user);
      } else {
        const { rows } = await tx.query('select * from auth.users where email_change = $1 limit 1', [mail]);
        const user = rows[0] as UserRow | undefined;
        if (!user) return;
        checkFrequency(settings, user.email_change_sent_at);
        const tNew = await newToken(tx, settings, user, 'email_change_new', mail, false);
        d.mailer.send(mail, 'email_change', tNew, redirect, user, mail);
        if (settings.doubleConfirmChanges && user.email) {
          const tCur = await newToken(tx, settings, user, 'email_change_current', user.email, false);
          d.mailer.send(user.email, 'email_change', tCur, redirect, user, mail);
        }
      }
    });
    return c.json({});
  });
}
