import { beforeAll, describe, expect, it } from 'vitest';
import { actAs, actAsPostgres, asUser, attempt, rolledBack, tokenClaims, type Tx } from './db.ts';
import { createUser, fixtures, login, type OrgFixture, type OrgKey } from './fixtures.ts';

let F: Record<OrgKey, OrgFixture>;
beforeAll(async () => {
  F = await fixtures();
});

const CONSULTANT = 'consultant@lintel.test';

/** What a caller reaches in their org: rows of a few tables and the org's Realtime topic. */
async function reach(c: Tx, org: string) {
  const n = async (table: string) => (await c.query(`select count(*)::int as n from public.${table}`)).rows[0].n as number;
  return {
    organizations: await n('organizations'),
    properties: await n('properties'),
    units: await n('units'),
    memberships: await n('memberships'),
    topic: (await c.query(`select private.can_receive_topic($1) as ok`, [`org:${org}`])).rows[0].ok as boolean,
  };
}

/** PostgREST's pre-request as the caller: nothing, or its LT440 answer (RAISE SQLSTATE 'PGRST'). */
async function preRequest(c: Tx): Promise<{ code: string; details: string; status: number } | null> {
  await c.query('savepoint pre');
  try {
    await c.query('select private.check_request()');
    await c.query('release savepoint pre');
    return null;
  } catch (err) {
    await c.query('rollback to savepoint pre');
    const e = err as { code: string; message: string; detail: string };
    expect(e.code).toBe('PGRST');
    const body = JSON.parse(e.message) as { code: string; details: string };
    return { code: body.code, details: body.details, status: (JSON.parse(e.detail) as { status: number }).status };
  }
}

const addProperty = (c: Tx, org: string) => attempt(c, `insert into public.properties (org_id, name) values ($1, 'Stale Token Tower') returning id`, [org]);

describe('removal takes effect on the member’s next request', () => {
  it('a removed member’s unexpired token sees nothing of the org and cannot write; before removal the same token could', async () => {
    await rolledBack(async (c) => {
      const stale = await tokenClaims(c, login('manager', 'acme'));
      await actAs(c, login('manager', 'acme'), { claims: stale });
      const before = await reach(c, F.acme.id);
      expect(before).toMatchObject({ organizations: 1, topic: true });
      expect(before.properties).toBeGreaterThan(0);
      expect(await preRequest(c)).toBeNull();
      expect((await addProperty(c, F.acme.id)).code).toBeUndefined();

      await actAsPostgres(c);
      await actAs(c, login('owner', 'acme'));
      expect((await attempt(c, 'select public.remove_member($1)', [F.acme.users.manager])).code).toBeUndefined();
      await actAsPostgres(c);

      await actAs(c, login('manager', 'acme'), { claims: stale });
      expect(await reach(c, F.acme.id)).toEqual({ organizations: 0, properties: 0, units: 0, memberships: 0, topic: false });
      expect((await addProperty(c, F.acme.id)).code).toBe('42501');
      expect((await c.query(`update public.units set label = label returning id`)).rowCount).toBe(0);
      expect((await attempt(c, 'select public.invite_member($1, $2)', ['x@example.test', 'viewer'])).code).toBe('LT403');
      expect(await preRequest(c)).toEqual({ code: 'LT440', details: 'removed', status: 401 });
    });
  });

  it('the same user’s token for another org is unaffected', async () => {
    await rolledBack(async (c) => {
      const acmeToken = await tokenClaims(c, CONSULTANT);
      expect([acmeToken.org_id, acmeToken.org_role]).toEqual([F.acme.id, 'manager']);
      await c.query(`update public.profiles set active_org_id = $1 where user_id = (select id from auth.users where email = $2)`, [F.birch.id, CONSULTANT]);
      const birchToken = await tokenClaims(c, CONSULTANT);
      expect([birchToken.org_id, birchToken.org_role]).toEqual([F.birch.id, 'viewer']);

      await actAs(c, login('owner', 'birch'));
      const consultant = (await c.query<{ user_id: string }>(`select user_id from public.team_members() where email = $1`, [CONSULTANT])).rows[0]!.user_id;
      expect((await attempt(c, 'select public.remove_member($1)', [consultant])).code).toBeUndefined();
      await actAsPostgres(c);

      await actAs(c, CONSULTANT, { claims: birchToken });
      expect(await reach(c, F.birch.id)).toMatchObject({ organizations: 0, properties: 0, topic: false });
      expect((await preRequest(c))?.details).toBe('removed');
      await actAsPostgres(c);
      await actAs(c, CONSULTANT, { claims: acmeToken });
      const acme = await reach(c, F.acme.id);
      expect(acme).toMatchObject({ organizations: 1, topic: true });
      expect(acme.properties).toBeGreaterThan(0);
      expect(await preRequest(c)).toBeNull();
      expect((await addProperty(c, F.acme.id)).code).toBeUndefined();
    });
  });

  it('a token refreshed after removal carries the next org, or none, and is not refused', async () => {
    await rolledBack(async (c) => {
      await actAs(c, login('owner', 'acme'));
      const consultant = (await c.query<{ user_id: string }>(`select user_id from public.team_members() where email = $1`, [CONSULTANT])).rows[0]!.user_id;
      await attempt(c, 'select public.remove_member($1)', [consultant]);
      await attempt(c, 'select public.remove_member($1)', [F.acme.users.viewer]);
      await actAsPostgres(c);

      const next = await tokenClaims(c, CONSULTANT);
      expect([next.org_id, next.org_role]).toEqual([F.birch.id, 'viewer']);
      await actAs(c, CONSULTANT, { claims: next });
      expect(await preRequest(c)).toBeNull();
      expect(await reach(c, F.birch.id)).toMatchObject({ organizations: 1, topic: true });
      await actAsPostgres(c);

      const none = await tokenClaims(c, login('viewer', 'acme'));
      expect(none).not.toHaveProperty('org_id');
      await actAs(c, login('viewer', 'acme'), { claims: none });
      expect(await preRequest(c)).toBeNull();
      expect(await reach(c, F.acme.id)).toEqual({ organizations: 0, properties: 0, units: 0, memberships: 0, topic: false });
    });
  });

  it('a role change takes effect at once: the old role’s token is refused, a refreshed one works', async () => {
    await rolledBack(async (c) => {
      const asManager = await tokenClaims(c, login('manager', 'acme'));
      await actAs(c, login('admin', 'acme'));
      expect((await attempt(c, `select public.change_member_role($1, 'viewer')`, [F.acme.users.manager])).code).toBeUndefined();
      await actAsPostgres(c);

      await actAs(c, login('manager', 'acme'), { claims: asManager });
      expect((await addProperty(c, F.acme.id)).code).toBe('42501');
      expect(await preRequest(c)).toEqual({ code: 'LT440', details: 'role_changed', status: 401 });
      await actAsPostgres(c);

      const asViewer = await tokenClaims(c, login('manager', 'acme'));
      expect(asViewer.org_role).toBe('viewer');
      await actAs(c, login('manager', 'acme'), { claims: asViewer });
      expect(await preRequest(c)).toBeNull();
      expect((await reach(c, F.acme.id)).properties).toBeGreaterThan(0);
      expect((await addProperty(c, F.acme.id)).code).toBe('42501');
    });
  });

  it('granting the role again makes the earlier token count again', async () => {
    await rolledBack(async (c) => {
      const stale = await tokenClaims(c, login('viewer', 'acme'));
      await actAs(c, login('owner', 'acme'));
      await attempt(c, 'select public.remove_member($1)', [F.acme.users.viewer]);
      const { token } = (await c.query(`select public.invite_member($1, 'viewer') as r`, [login('viewer', 'acme')])).rows[0].r as { token: string };
      await actAsPostgres(c);
      await actAs(c, login('viewer', 'acme'));
      expect((await attempt(c, 'select public.accept_invitation($1)', [token])).code).toBeUndefined();
      await actAsPostgres(c);
      await actAs(c, login('viewer', 'acme'), { claims: stale });
      expect(await preRequest(c)).toBeNull();
      expect((await reach(c, F.acme.id)).organizations).toBe(1);
    });
  });

  it('tokens without an org (anon, service role, new users) pass the pre-request', async () => {
    await asUser('anon', async (c) => expect(await preRequest(c)).toBeNull());
    await rolledBack(async (c) => {
      await actAs(c, 'anon', { claims: { role: 'service_role' } });
      expect(await preRequest(c)).toBeNull();
      await actAsPostgres(c);
      await createUser(c, 'brand.new@example.test');
      await actAs(c, 'brand.new@example.test');
      expect(await preRequest(c)).toBeNull();
    });
  });

  it('forgets revocations older than any token can live', async () => {
    await rolledBack(async (c) => {
      const old = (await c.query(`insert into private.revoked_claims (org_id, user_id, role, revoked_at)
        values ($1, gen_random_uuid(), 'viewer', now() - interval '9 days') returning user_id`, [F.acme.id])).rows[0].user_id;
      await actAs(c, login('owner', 'acme'));
      await attempt(c, 'select public.remove_member($1)', [F.acme.users.viewer]);
      await actAsPostgres(c);
      const users = (await c.query(`select user_id from private.revoked_claims where org_id = $1`, [F.acme.id])).rows.map((r) => r.user_id);
      expect(users).toContain(F.acme.users.viewer);
      expect(users).not.toContain(old);
    });
  });
});

describe('team_members', () => {
  it('gives staff their own org’s staff with emails, never residents or another org’s', async () => {
    for (const role of ['owner', 'manager', 'maintenance', 'viewer'] as const) {
      await asUser(login(role, 'acme'), async (c) => {
        const rows = (await c.query(`select email, role, full_name, joined_at from public.team_members()`)).rows;
        const emails = rows.map((r) => r.email as string);
        // Other layers' tests may add members to Acme while this runs; the seeded ones are all here.
        expect(emails, role).toEqual(expect.arrayContaining([CONSULTANT, ...['admin', 'maintenance', 'manager', 'owner', 'viewer'].map((r) => `${r}@acme.test`)]));
        expect(emails.filter((e) => e.endsWith('@birch.test') || e === login('resident', 'acme'))).toEqual([]);
        expect(rows.map((r) => r.role)).not.toContain('resident');
        expect(rows[0]).toMatchObject({ email: 'owner@acme.test', role: 'owner', full_name: 'Olivia Acheson' });
        expect(rows.every((r) => r.joined_at instanceof Date)).toBe(true);
      });
    }
  });

  it('is refused to residents, removed members and anon', async () => {
    await asUser(login('resident', 'acme'), async (c) => {
      expect((await attempt(c, 'select * from public.team_members()')).code).toBe('LT403');
    });
    await asUser('anon', async (c) => {
      expect((await attempt(c, 'select * from public.team_members()')).code).toBe('42501');
    });
    await rolledBack(async (c) => {
      const stale = await tokenClaims(c, login('viewer', 'acme'));
      await actAs(c, login('owner', 'acme'));
      await attempt(c, 'select public.remove_member($1)', [F.acme.users.viewer]);
      await actAsPostgres(c);
      await actAs(c, login('viewer', 'acme'), { claims: stale });
      expect((await attempt(c, 'select * from public.team_members()')).code).toBe('LT403');
    });
  });
});

describe('invitation links', () => {
  async function invite(c: Tx, inviter: string, email: string, role = 'viewer') {
    await actAs(c, inviter);
    const r = (await c.query(`select public.invite_member($1, $2) as r`, [email, role])).rows[0].r as { token: string; invitation_id: string };
    await actAsPostgres(c);
    return r;
  }
  const lookup = async (c: Tx, token: string) => {
    await actAs(c, 'anon');
    const rows = (await c.query(`select * from public.lookup_invitation($1)`, [token])).rows;
    await actAsPostgres(c);
    return rows;
  };

  it('lookup_invitation shows the org, role, email and status to whoever holds the token, signed out too', async () => {
    await rolledBack(async (c) => {
      const { token, invitation_id } = await invite(c, login('manager', 'acme'), 'looker@example.test', 'maintenance');
      expect(await lookup(c, token)).toEqual([
        { org_name: 'Acme Property Co', email: 'looker@example.test', role: 'maintenance', status: 'pending', expires_at: expect.any(Date), invited_by_name: 'Maya Ortiz' },
      ]);
      expect(await lookup(c, token.replace(/.$/, (d) => (d === '0' ? '1' : '0')))).toEqual([]);
      expect(await lookup(c, '')).toEqual([]);
      await c.query(`update public.invitations set created_at = now() - interval '9 days', expires_at = now() - interval '1 day' where id = $1`, [invitation_id]);
      expect((await lookup(c, token))[0]?.status).toBe('expired');
    });
  });

  it('shows an accepted invitation as accepted', async () => {
    await rolledBack(async (c) => {
      await createUser(c, 'joiner@example.test');
      const { token } = await invite(c, login('admin', 'acme'), 'joiner@example.test');
      await actAs(c, 'joiner@example.test');
      expect((await attempt(c, 'select public.accept_invitation($1)', [token])).code).toBeUndefined();
      await actAsPostgres(c);
      expect((await lookup(c, token))[0]?.status).toBe('accepted');
    });
  });

  it('resend gives a new token and seven more days; the old link stops working', async () => {
    await rolledBack(async (c) => {
      await createUser(c, 'resent@example.test');
      const first = await invite(c, login('manager', 'acme'), 'resent@example.test');
      await c.query(`update public.invitations set created_at = now() - interval '9 days', expires_at = now() - interval '1 day' where id = $1`, [first.invitation_id]);
      await actAs(c, login('manager', 'acme'));
      const res = await attempt<{ r: { token: string; expires_at: string; email: string; role: string } }>(c, 'select public.resend_invitation($1) as r', [first.invitation_id]);
      expect(res.code).toBeUndefined();
      const again = res.rows[0]!.r;
      expect(again).toMatchObject({ email: 'resent@example.test', role: 'viewer' });
      expect(again.token).not.toBe(first.token);
      expect(new Date(again.expires_at).getTime()).toBeGreaterThan(Date.now() + 6 * 86_400_000);
      await actAsPostgres(c);
      expect(await lookup(c, first.token)).toEqual([]);
      expect((await lookup(c, again.token))[0]?.status).toBe('pending');
      await actAs(c, 'resent@example.test');
      expect((await attempt(c, 'select public.accept_invitation($1)', [first.token])).code).toBe('LT404');
      expect((await attempt(c, 'select public.accept_invitation($1)', [again.token])).code).toBeUndefined();
      await actAsPostgres(c);
      await actAs(c, login('manager', 'acme'));
      expect((await attempt(c, 'select public.resend_invitation($1)', [first.invitation_id])).code).toBe('LT410');
    });
  });

  it('resend is for inviting staff of the org, up to their own role', async () => {
    await rolledBack(async (c) => {
      const admin = await invite(c, login('owner', 'acme'), 'future.admin@example.test', 'admin');
      await actAs(c, login('manager', 'acme'));
      expect((await attempt(c, 'select public.resend_invitation($1)', [admin.invitation_id])).code).toBe('LT403');
      await actAsPostgres(c);
      await actAs(c, login('viewer', 'acme'));
      expect((await attempt(c, 'select public.resend_invitation($1)', [admin.invitation_id])).code).toBe('LT403');
      await actAsPostgres(c);
      await actAs(c, login('owner', 'birch'));
      expect((await attempt(c, 'select public.resend_invitation($1)', [admin.invitation_id])).code).toBe('LT404');
      await actAsPostgres(c);
      await actAs(c, 'anon');
      expect((await attempt(c, 'select public.resend_invitation($1)', [admin.invitation_id])).code).toBe('42501');
    });
  });

  it('an email with a pending invitation is not invited twice; once it has expired it may be', async () => {
    await rolledBack(async (c) => {
      const first = await invite(c, login('manager', 'acme'), 'twice@example.test');
      await actAs(c, login('admin', 'acme'));
      const dup = await attempt(c, `select public.invite_member('Twice@Example.test', 'viewer')`);
      expect(dup.code).toBe('LT409');
      expect(dup.message).toBe('twice@example.test already has a pending invitation');
      await actAsPostgres(c);
      await c.query(`update public.invitations set created_at = now() - interval '9 days', expires_at = now() - interval '1 day' where id = $1`, [first.invitation_id]);
      await actAs(c, login('admin', 'acme'));
      expect((await attempt(c, `select public.invite_member('twice@example.test', 'viewer')`)).code).toBeUndefined();
    });
  });
});
