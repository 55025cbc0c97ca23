import { beforeAll, describe, expect, it } from 'vitest';
import { actAs, actAsPostgres, asUser, attempt, rolledBack, tokenClaims, type Tx } from './db.ts';
import { createUser, fixtures, login, ROLES, type OrgFixture, type OrgKey } from './fixtures.ts';

let F: Record<OrgKey, OrgFixture>;
beforeAll(async () => {
  F = await fixtures();
});

const rpc = (c: Tx, sql: string, params: unknown[] = []) => attempt(c, sql, params);

describe('access token hook', () => {
  for (const org of ['acme', 'birch'] as OrgKey[]) {
    for (const role of ROLES) {
      it(`${role}@${org}: org_id and org_role${role === 'resident' ? ' and resident_id' : ''}`, async () => {
        const claims = await rolledBack((c) => tokenClaims(c, login(role, org)));
        expect(claims.org_id).toBe(F[org].id);
        expect(claims.org_role).toBe(role);
        if (role === 'resident') expect(claims.resident_id).toBe(F[org].residentId);
        else expect(claims).not.toHaveProperty('resident_id');
        // GoTrue's required claims survive the hook (supabase-facts.md §1).
        for (const k of ['aud', 'exp', 'iat', 'sub', 'email', 'phone', 'role', 'aal', 'session_id', 'is_anonymous']) {
          expect(claims, k).toHaveProperty(k);
        }
      });
    }
  }

  it('a user with no membership gets no org claims and sees nothing', async () => {
    await rolledBack(async (c) => {
      await createUser(c, 'nobody@example.test');
      const claims = await tokenClaims(c, 'nobody@example.test');
      expect(claims).not.toHaveProperty('org_id');
      expect(claims).not.toHaveProperty('org_role');
      expect(claims.role).toBe('authenticated');
      await actAs(c, 'nobody@example.test', { claims });
      for (const t of ['organizations', 'units', 'leases', 'ledger_entries', 'residents', 'memberships']) {
        expect((await c.query(`select count(*)::int as n from public.${t}`)).rows[0].n, t).toBe(0);
      }
    });
  });

  it('strips org claims a client smuggled into the incoming claims', async () => {
    await rolledBack(async (c) => {
      const id = await createUser(c, 'smuggler@example.test');
      await c.query('set local role supabase_auth_admin');
      const out = (
        await c.query(`select public.custom_access_token_hook($1::jsonb) as o`, [
          JSON.stringify({ user_id: id, claims: { sub: id, role: 'authenticated', org_id: F.acme.id, org_role: 'owner' } }),
        ])
      ).rows[0].o;
      expect(out.claims).toEqual({ sub: id, role: 'authenticated' });
    });
  });

  it('a removed member gets no claims for that org at the next refresh', async () => {
    await rolledBack(async (c) => {
      await actAs(c, login('owner', 'acme'));
      expect((await rpc(c, 'select public.remove_member($1)', [F.acme.users.viewer])).code).toBeUndefined();
      await actAsPostgres(c);
      const claims = await tokenClaims(c, login('viewer', 'acme'));
      expect(claims).not.toHaveProperty('org_id');
      expect(claims).not.toHaveProperty('org_role');
    });
  });

  it('the two-org consultant switches orgs with set_active_org', async () => {
    await rolledBack(async (c) => {
      const first = await tokenClaims(c, 'consultant@lintel.test');
      expect([first.org_id, first.org_role]).toEqual([F.acme.id, 'manager']);
      await actAs(c, 'consultant@lintel.test', { claims: first });
      const visible = async () => (await c.query('select distinct org_id from public.units')).rows.map((r) => r.org_id);
      expect(await visible()).toEqual([F.acme.id]);
      const res = await rpc(c, 'select public.set_active_org($1) as r', [F.birch.id]);
      expect(res.rows[0]?.r).toEqual({ org_id: F.birch.id, org_role: 'viewer' });
      // The old token keeps its claims until the session refreshes.
      expect(await visible()).toEqual([F.acme.id]);
      await actAsPostgres(c);
      const second = await tokenClaims(c, 'consultant@lintel.test');
      expect([second.org_id, second.org_role]).toEqual([F.birch.id, 'viewer']);
      await actAs(c, 'consultant@lintel.test', { claims: second });
      expect(await visible()).toEqual([F.birch.id]);
      // As a viewer in Birchwood the consultant can no longer change units.
      expect((await c.query(`update public.units set label = label returning 1`)).rowCount).toBe(0);
    });
  });

  it('set_active_org refuses an org the caller is not a member of, like a missing one', async () => {
    await asUser(login('manager', 'acme'), async (c) => {
      const res = await rpc(c, 'select public.set_active_org($1)', [F.birch.id]);
      expect(res.code).toBe('LT404');
    });
  });
});

describe('membership RPCs', () => {
  it('create_organization makes the caller owner and the org active', async () => {
    await rolledBack(async (c) => {
      await createUser(c, 'founder@example.test');
      await actAs(c, 'founder@example.test');
      const res = await rpc(c, `select (public.create_organization('Founder Homes', 'founder-homes')).id as id`);
      expect(res.code).toBeUndefined();
      const org = res.rows[0]!.id;
      await actAsPostgres(c);
      const claims = await tokenClaims(c, 'founder@example.test');
      expect([claims.org_id, claims.org_role]).toEqual([org, 'owner']);
      const taken = await (async () => {
        await actAs(c, 'founder@example.test');
        return rpc(c, `select public.create_organization('Again', 'acme')`);
      })();
      expect(taken.code).toBe('LT409');
    });
  });

  it('anon cannot call the RPCs', async () => {
    await asUser('anon', async (c) => {
      expect((await rpc(c, `select public.create_organization('X', 'x-anon')`)).code).toBe('42501');
      expect((await rpc(c, `select public.set_active_org($1)`, [F.acme.id])).code).toBe('42501');
    });
  });

  it('invite and accept: hashed single-use token, email-bound, with expiry', async () => {
    await rolledBack(async (c) => {
      await createUser(c, 'new.hire@example.test');
      await actAs(c, login('manager', 'acme'));
      const inv = await rpc(c, `select public.invite_member('New.Hire@example.test', 'maintenance') as r`);
      expect(inv.code).toBeUndefined();
      const { token, invitation_id } = inv.rows[0]!.r as { token: string; invitation_id: string };
      expect(token).toMatch(/^[0-9a-f]{64}$/);
      await actAsPostgres(c);
      const stored = (await c.query('select encode(token_hash, $2) as h, email from public.invitations where id = $1', [invitation_id, 'hex'])).rows[0];
      expect(stored.h).not.toContain(token);
      expect(stored.email).toBe('new.hire@example.test');

      // Someone else holding the token cannot use it.
      await actAs(c, login('viewer', 'birch'));
      expect((await rpc(c, 'select public.accept_invitation($1)', [token])).code).toBe('LT404');
      await actAsPostgres(c);
      await actAs(c, 'new.hire@example.test');
      const ok = await rpc(c, 'select (public.accept_invitation($1)).role as role', [token]);
      expect(ok.rows[0]?.role).toBe('maintenance');
      expect((await rpc(c, 'select public.accept_invitation($1)', [token])).code).toBe('LT410');
      await actAsPostgres(c);
      const claims = await tokenClaims(c, 'new.hire@example.test');
      expect([claims.org_id, claims.org_role]).toEqual([F.acme.id, 'maintenance']);
    });
  });

  it('an expired invitation cannot be accepted', async () => {
    await rolledBack(async (c) => {
      await createUser(c, 'late@example.test');
      await actAs(c, login('admin', 'acme'));
      const { token, invitation_id } = (await rpc(c, `select public.invite_member('late@example.test', 'viewer') as r`)).rows[0]!.r as {
        token: string;
        invitation_id: string;
      };
      await actAsPostgres(c);
      await c.query(`update public.invitations set created_at = now() - interval '9 days', expires_at = now() - interval '1 day' where id = $1`, [
        invitation_id,
      ]);
      await actAs(c, 'late@example.test');
      expect((await rpc(c, 'select public.accept_invitation($1)', [token])).code).toBe('LT410');
    });
  });

  it('the invited role may not exceed the inviter’s; only inviting roles may invite', async () => {
    await asUser(login('manager', 'acme'), async (c) => {
      expect((await rpc(c, `select public.invite_member('a@example.test', 'admin')`)).code).toBe('LT403');
      expect((await rpc(c, `select public.invite_member('a@example.test', 'manager')`)).code).toBeUndefined();
    });
    await asUser(login('admin', 'acme'), async (c) => {
      expect((await rpc(c, `select public.invite_member('a@example.test', 'owner')`)).code).toBe('LT403');
    });
    for (const role of ['maintenance', 'viewer', 'resident'] as const) {
      await asUser(login(role, 'acme'), async (c) => {
        expect((await rpc(c, `select public.invite_member('a@example.test', 'viewer')`)).code, role).toBe('LT403');
      });
    }
  });

  it('a resident invitation links the login to the resident record', async () => {
    await rolledBack(async (c) => {
      await createUser(c, 'tenant@example.test');
      await actAs(c, login('manager', 'acme'));
      const { token } = (await rpc(c, `select public.invite_member('tenant@example.test', 'resident', $1) as r`, [F.acme.otherResidentId])).rows[0]!
        .r as { token: string };
      await actAsPostgres(c);
      await actAs(c, 'tenant@example.test');
      expect((await rpc(c, 'select public.accept_invitation($1)', [token])).code).toBeUndefined();
      await actAsPostgres(c);
      const claims = await tokenClaims(c, 'tenant@example.test');
      expect([claims.org_role, claims.resident_id]).toEqual(['resident', F.acme.otherResidentId]);
      await actAs(c, 'tenant@example.test', { claims });
      const leases = (await c.query('select id from public.leases')).rows.map((r) => r.id);
      expect(leases).toEqual([F.acme.otherLeaseId]);
    });
  });

  it('change_member_role: only owners touch ownership, and an org always keeps an owner', async () => {
    await rolledBack(async (c) => {
      await actAs(c, login('admin', 'acme'));
      expect((await rpc(c, `select public.change_member_role($1, 'owner')`, [F.acme.users.viewer])).code).toBe('LT403');
      expect((await rpc(c, `select public.change_member_role($1, 'viewer')`, [F.acme.users.owner])).code).toBe('LT403');
      expect((await rpc(c, `select (public.change_member_role($1, 'manager')).role as r`, [F.acme.users.viewer])).rows[0]?.r).toBe('manager');
      await actAsPostgres(c);
      await actAs(c, login('owner', 'acme'));
      const demoteSelf = await rpc(c, `select public.change_member_role($1, 'admin')`, [F.acme.users.owner]);
      expect(demoteSelf.code).toBe('LT409');
      expect((await rpc(c, `select public.remove_member($1)`, [F.acme.users.owner])).code).toBe('LT409');
      // With a second owner, the first may step down.
      expect((await rpc(c, `select public.change_member_role($1, 'owner')`, [F.acme.users.admin])).code).toBeUndefined();
      expect((await rpc(c, `select public.change_member_role($1, 'admin')`, [F.acme.users.owner])).code).toBeUndefined();
    });
  });

  it('remove_member: admins cannot remove owners or admins; members of another org are not found', async () => {
    await asUser(login('admin', 'acme'), async (c) => {
      expect((await rpc(c, `select public.remove_member($1)`, [F.acme.users.owner])).code).toBe('LT403');
      expect((await rpc(c, `select public.remove_member($1)`, [F.birch.users.viewer])).code).toBe('LT404');
      expect((await rpc(c, `select public.remove_member($1)`, [F.acme.users.maintenance])).code).toBeUndefined();
    });
    await asUser(login('manager', 'acme'), async (c) => {
      expect((await rpc(c, `select public.remove_member($1)`, [F.acme.users.viewer])).code).toBe('LT403');
    });
  });

  it('a removed member with a still-valid token cannot use the member RPCs', async () => {
    await rolledBack(async (c) => {
      const stale = await tokenClaims(c, login('admin', 'acme'));
      await actAs(c, login('owner', 'acme'));
      await rpc(c, 'select public.remove_member($1)', [F.acme.users.admin]);
      await actAsPostgres(c);
      await actAs(c, login('admin', 'acme'), { claims: stale });
      expect((await rpc(c, `select public.invite_member('x@example.test', 'viewer')`)).code).toBe('LT403');
    });
  });
});
