import { beforeAll, describe, expect, it } from 'vitest';
import { actAs, actAsPostgres, asUser, attempt, rolledBack } from './db.ts';
import { createUser, fixtures, login, type OrgFixture, type OrgKey } from './fixtures.ts';

let F: Record<OrgKey, OrgFixture>;
beforeAll(async () => {
  F = await fixtures();
});

describe('create_organization', () => {
  it('makes the caller the owner of a new org with its country and locale, and makes it active', async () => {
    await rolledBack(async (c) => {
      const email = `founder-${Date.now()}@example.test`;
      const user = await createUser(c, email);
      await actAs(c, email);
      const org = (await c.query(`select * from public.create_organization('Harbour Homes', 'harbour-homes', 'GBP', 'Europe/London', 'GB', 'en-GB')`)).rows[0];
      expect(org).toMatchObject({ name: 'Harbour Homes', slug: 'harbour-homes', currency: 'GBP', timezone: 'Europe/London', country: 'GB', locale: 'en-GB' });
      await actAsPostgres(c);
      const m = (await c.query(`select role from public.memberships where org_id = $1 and user_id = $2`, [org.id, user])).rows;
      expect(m).toEqual([{ role: 'owner' }]);
      const p = (await c.query(`select active_org_id from public.profiles where user_id = $1`, [user])).rows[0];
      expect(p.active_org_id).toBe(org.id);
    });
  });

  it('refuses a taken address with a conflict the form can show, and bad settings by name', async () => {
    await asUser(login('owner', 'acme'), async (c) => {
      const taken = await attempt(c, `select public.create_organization('Acme 2', 'acme')`);
      expect(taken.code).toBe('LT409');
      expect((await attempt(c, `select public.create_organization('X', 'x-co', 'USD', 'UTC', 'USA')`)).message).toContain('organizations_country_check');
      expect((await attempt(c, `select public.create_organization('X', 'x-co', 'USD', 'UTC', 'US', 'english')`)).message).toContain('organizations_locale_check');
      expect((await attempt(c, `select public.create_organization('X', 'x-co', 'USD', 'Mars/Olympus')`)).code).toBe('22023');
    });
  });

  it('is not for anonymous callers', async () => {
    await asUser('anon', async (c) => {
      expect((await attempt(c, `select public.create_organization('X', 'x-anon')`)).code).toBe('42501');
    });
  });
});

describe('my_organizations', () => {
  it('lists every org of the caller with their role in it and which is active, and nothing else', async () => {
    await asUser('consultant@lintel.test', async (c) => {
      const rows = (await c.query(`select name, role, is_active from public.my_organizations()`)).rows;
      expect(rows).toEqual([
        { name: 'Acme Property Co', role: 'manager', is_active: true },
        { name: 'Birchwood Rentals', role: 'viewer', is_active: false },
      ]);
    });
    await asUser(login('manager', 'birch'), async (c) => {
      expect((await c.query(`select name from public.my_organizations()`)).rows).toEqual([{ name: 'Birchwood Rentals' }]);
    });
  });
});

describe('org settings', () => {
  it('owners and admins change country and locale; the currency only while no lease uses it', async () => {
    await asUser(login('admin', 'acme'), async (c) => {
      const ok = await attempt(c, `update public.organizations set country = 'CA', locale = 'fr-CA' where id = $1`, [F.acme.id]);
      expect(ok.code).toBeUndefined();
      const cur = await attempt(c, `update public.organizations set currency = 'CAD' where id = $1`, [F.acme.id]);
      expect(cur.code).toBe('LT409');
    });
    await rolledBack(async (c) => {
      const email = `founder-${Date.now()}@example.test`;
      await createUser(c, email);
      await actAs(c, email);
      const org = (await c.query(`select id from public.create_organization('Fresh Co', 'fresh-co-${Date.now()}')`)).rows[0];
      // A fresh token now carries the new org's claims.
      await actAsPostgres(c);
      await actAs(c, email);
      const changed = await c.query(`update public.organizations set currency = 'EUR' where id = $1 returning currency`, [org.id]);
      expect(changed.rows).toEqual([{ currency: 'EUR' }]);
    });
  });

  it('managers and viewers cannot change the settings', async () => {
    for (const role of ['manager', 'viewer'] as const) {
      await asUser(login(role, 'acme'), async (c) => {
        const res = await c.query(`update public.organizations set locale = 'de-DE' where id = $1 returning id`, [F.acme.id]);
        expect(res.rowCount, role).toBe(0);
      });
    }
  });
});
