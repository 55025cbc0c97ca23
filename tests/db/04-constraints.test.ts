import { beforeAll, describe, expect, it } from 'vitest';
import { actAs, actAsPostgres, asUser, attempt, rolledBack } from './db.ts';
import { createUser, fixtures, login, type OrgFixture, type OrgKey } from './fixtures.ts';

let F: Record<OrgKey, OrgFixture>;
beforeAll(async () => {
  F = await fixtures();
});

describe('cross-row references stay inside one org', () => {
  it('a lease cannot point at another org’s unit, even for the database owner', async () => {
    await asUser(login('manager', 'acme'), async (c) => {
      const res = await attempt(c, `insert into public.leases (unit_id, start_date, rent_minor) values ($1, '2030-01-01', 1000)`, [F.birch.vacantUnitId]);
      expect(res.code).toBe('23503');
    });
    await rolledBack(async (c) => {
      const res = await attempt(c, `insert into public.leases (org_id, unit_id, start_date, rent_minor) values ($1, $2, '2030-01-01', 1000)`, [
        F.acme.id,
        F.birch.vacantUnitId,
      ]);
      expect(res.message).toMatch(/leases_org_id_unit_id_fkey/);
    });
  });

  it('a maintenance request cannot point at another org’s unit or resident, nor be assigned outside the org', async () => {
    await asUser(login('maintenance', 'acme'), async (c) => {
      expect((await attempt(c, `insert into public.maintenance_requests (unit_id, title) values ($1, 'x')`, [F.birch.otherUnitId])).code).toBe('23503');
      expect(
        (await attempt(c, `insert into public.maintenance_requests (unit_id, resident_id, title) values ($1, $2, 'x')`, [F.acme.otherUnitId, F.birch.otherResidentId]))
          .code,
      ).toBe('23503');
      expect(
        (await attempt(c, `insert into public.maintenance_requests (unit_id, assigned_to, title) values ($1, $2, 'x')`, [F.acme.otherUnitId, F.birch.users.maintenance]))
          .code,
      ).toBe('23503');
      expect(
        (await attempt(c, `insert into public.maintenance_requests (unit_id, assigned_to, title) values ($1, $2, 'x')`, [F.acme.otherUnitId, F.acme.users.maintenance]))
          .code,
      ).toBeUndefined();
    });
  });

  it('a membership cannot reference another org’s invitation', async () => {
    await rolledBack(async (c) => {
      const inv = (
        await c.query(`insert into public.invitations (org_id, email, role, token_hash) values ($1, 'x@example.test', 'viewer', '\\x01') returning id`, [F.birch.id])
      ).rows[0].id;
      const user = await createUser(c);
      const res = await attempt(c, `insert into public.memberships (org_id, user_id, role, invitation_id) values ($1, $2, 'viewer', $3)`, [F.acme.id, user, inv]);
      expect(res.message).toMatch(/memberships_org_id_invitation_id_fkey/);
    });
  });

  it('org_id defaults from the claim and a mismatching one is refused', async () => {
    await asUser(login('manager', 'acme'), async (c) => {
      const ok = await attempt<{ org_id: string }>(c, `insert into public.properties (name) values ('Claim Default') returning org_id`);
      expect(ok.rows[0]?.org_id).toBe(F.acme.id);
      expect((await attempt(c, `insert into public.properties (org_id, name) values ($1, 'Wrong Org')`, [F.birch.id])).code).toBe('42501');
      // Nor can a row be moved into another org.
      expect((await attempt(c, `update public.properties set org_id = $1 where id = $2`, [F.birch.id, F.acme.propertyId])).code).toBe('42501');
    });
  });
});

describe('row invariants are named constraints', () => {
  const cases: [string, string, unknown[], string][] = [
    ['rent must be positive', `insert into public.leases (org_id, unit_id, start_date, rent_minor) values ($1, $2, '2030-01-01', 0)`, ['org', 'vacant'], 'leases_rent_minor_check'],
    ['end after start', `insert into public.leases (org_id, unit_id, start_date, end_date, rent_minor) values ($1, $2, '2030-01-01', '2030-01-01', 100)`, ['org', 'vacant'], 'leases_end_date_check'],
    ['lease status values', `insert into public.leases (org_id, unit_id, status, start_date, rent_minor) values ($1, $2, 'pending', '2030-01-01', 100)`, ['org', 'vacant'], 'leases_status_check'],
    ['due day 1-28', `insert into public.leases (org_id, unit_id, start_date, rent_minor, due_day) values ($1, $2, '2030-01-01', 100, 31)`, ['org', 'vacant'], 'leases_due_day_check'],
    ['one active lease per unit', `insert into public.leases (org_id, unit_id, status, start_date, rent_minor) values ($1, $2, 'active', '2030-01-01', 100)`, ['org', 'occupied'], 'leases_unit_id_active_key'],
    ['request status values', `insert into public.maintenance_requests (org_id, unit_id, title, status) values ($1, $2, 'x', 'done')`, ['org', 'occupied'], 'maintenance_requests_status_check'],
    ['payment amount positive', `insert into public.payments (org_id, lease_id, amount_minor, currency) values ($1, $2, -5, 'USD')`, ['org', 'lease'], 'payments_amount_minor_check'],
    ['ledger sign follows kind', `select private.insert_ledger_entry($1, $2, 'payment', 500, 'k-sign')`, ['org', 'lease'], 'ledger_entries_amount_minor_check'],
    ['org currency is ISO', `update public.organizations set currency = 'usd' where id = $1`, ['org'], 'organizations_currency_check'],
    ['slug format', `update public.organizations set slug = 'Not A Slug' where id = $1`, ['org'], 'organizations_slug_check'],
  ];
  for (const [name, sql, args, constraint] of cases) {
    it(name, async () => {
      await rolledBack(async (c) => {
        const f = F.acme;
        const vals = args.map((a) => ({ org: f.id, vacant: f.vacantUnitId, occupied: f.otherUnitId, lease: f.otherLeaseId })[a as 'org']);
        const res = await attempt(c, sql, vals);
        expect(res.message).toContain(constraint);
      });
    });
  }

  it('a lease always takes the org’s currency', async () => {
    await asUser(login('manager', 'acme'), async (c) => {
      const res = await attempt<{ currency: string }>(c, `insert into public.leases (unit_id, start_date, rent_minor) values ($1, '2030-01-01', 100) returning currency`, [
        F.acme.vacantUnitId,
      ]);
      expect(res.rows[0]?.currency).toBe('USD');
      expect((await attempt(c, `update public.leases set balance_minor = 0`)).code).toBe('42501');
      // The rent run's bookkeeping: a lease marked as posted would be skipped by the next run.
      expect((await attempt(c, `update public.leases set rent_posted_period = '2030-01-01'`)).code).toBe('42501');
      expect((await attempt(c, `update public.leases set late_fee_posted_period = '2030-01-01'`)).code).toBe('42501');
    });
  });

  it('an unknown time zone is refused', async () => {
    await asUser(login('admin', 'acme'), async (c) => {
      expect((await attempt(c, `update public.organizations set timezone = 'Mars/Olympus'`)).code).toBe('22023');
    });
  });

  it('billing belongs to the owner: admins cannot change it, nobody can change plan or limits', async () => {
    await asUser(login('admin', 'acme'), async (c) => {
      expect((await attempt(c, `update public.organizations set billing_email = 'me@example.test'`)).code).toBe('LT403');
      expect((await attempt(c, `update public.organizations set name = 'Acme Property Company' returning 1`)).rows).toHaveLength(1);
    });
    await asUser(login('owner', 'acme'), async (c) => {
      expect((await attempt(c, `update public.organizations set billing_email = 'me@example.test' returning 1`)).rows).toHaveLength(1);
      expect((await attempt(c, `update public.organizations set unit_limit = 100000`)).code).toBe('42501');
      expect((await attempt(c, `update public.organizations set plan = 'enterprise'`)).code).toBe('42501');
    });
  });
});

describe('unit_limit is enforced by the database', () => {
  it('the unit that would exceed the plan is refused, in one statement or many', async () => {
    await rolledBack(async (c) => {
      const count = (await c.query('select unit_count, unit_limit from public.organizations where id = $1', [F.birch.id])).rows[0];
      expect(Number(count.unit_count)).toBe(Number((await c.query('select count(*) from public.units where org_id = $1', [F.birch.id])).rows[0].count));
      const room = count.unit_limit - count.unit_count;
      await actAs(c, login('manager', 'birch'));
      const fill = await attempt(c, `insert into public.units (property_id, label) select $1, 'L' || n from generate_series(1, $2) n`, [F.birch.propertyId, room]);
      expect(fill.code).toBeUndefined();
      const over = await attempt(c, `insert into public.units (property_id, label) values ($1, 'one too many')`, [F.birch.propertyId]);
      expect(over.code).toBe('LT429');
      // Freeing a unit makes room again.
      expect((await attempt(c, `delete from public.units where label = 'L1' returning 1`)).rows).toHaveLength(1);
      expect((await attempt(c, `insert into public.units (property_id, label) values ($1, 'fits again')`, [F.birch.propertyId])).code).toBeUndefined();
      await actAsPostgres(c);
    });
  });

  it('a bulk insert past the limit is refused as a whole', async () => {
    await asUser(login('owner', 'birch'), async (c) => {
      const res = await attempt(c, `insert into public.units (property_id, label) select $1, 'B' || n from generate_series(1, 500) n`, [F.birch.propertyId]);
      expect(res.code).toBe('LT429');
    });
  });
});
