import { beforeAll, describe, expect, it } from 'vitest';
import { actAs, actAsPostgres, asUser, attempt, rolledBack, type Tx } from './db.ts';
import { fixtures, login, type OrgFixture, type OrgKey } from './fixtures.ts';

let F: Record<OrgKey, OrgFixture>;
beforeAll(async () => {
  F = await fixtures();
});

const EDITORS = ['owner', 'admin', 'manager'] as const;
const OTHERS = ['maintenance', 'viewer', 'resident'] as const;

const CREATE = `select * from public.create_lease(p_unit_id => $1, p_resident_ids => $2::uuid[], p_start_date => $3,
  p_end_date => $4, p_rent_minor => $5, p_status => $6)`;

/** The org's date today plus n days, as YYYY-MM-DD (the RPCs compare dates in org time). */
async function orgDay(c: Tx, org: string, n = 0): Promise<string> {
  const { rows } = await c.query(`select to_char((now() at time zone o.timezone)::date + $2::integer, 'YYYY-MM-DD') as d from public.organizations o where o.id = $1`, [org, n]);
  return rows[0].d;
}

/** Runs fn as `who` after `setup` ran as postgres in the same rolled-back transaction. */
async function arranged<T>(who: string, setup: (c: Tx) => Promise<void>, fn: (c: Tx) => Promise<T>): Promise<T> {
  return rolledBack(async (c) => {
    await setup(c);
    await actAs(c, who);
    return fn(c);
  });
}

async function leaseRow(c: Tx, id: string) {
  await actAsPostgres(c);
  const { rows } = await c.query(
    `select status, to_char(start_date, 'YYYY-MM-DD') as start_date, to_char(end_date, 'YYYY-MM-DD') as end_date, rent_minor::int as rent,
       previous_lease_id, array(select resident_id::text from public.lease_residents where lease_id = l.id order by resident_id) as residents,
       (select resident_id from public.lease_residents where lease_id = l.id and is_primary) as primary_resident
     from public.leases l where id = $1`,
    [id],
  );
  return rows[0];
}

describe('create_lease', () => {
  it('owners, admins and managers write a lease with its residents, the first one primary, late terms from the org', async () => {
    for (const role of EDITORS) {
      await asUser(login(role, 'acme'), async (c) => {
        const residents = [F.acme.otherResidentId, F.acme.residentId];
        const lease = (await c.query(CREATE, [F.acme.vacantUnitId, residents, '2026-01-01', '2026-12-31', 150000, 'active'])).rows[0];
        expect(lease, role).toMatchObject({ status: 'active', unit_id: F.acme.vacantUnitId, currency: 'USD', org_id: F.acme.id });
        const row = await leaseRow(c, lease.id);
        expect(row.residents).toEqual([...residents].sort());
        expect(row.primary_resident).toBe(F.acme.otherResidentId);
        const org = (await c.query('select default_grace_days, default_late_fee_minor from public.organizations where id = $1', [F.acme.id])).rows[0];
        expect(lease.grace_days).toBe(org.default_grace_days);
        expect(Number(lease.late_fee_minor)).toBe(Number(org.default_late_fee_minor));
      });
    }
  });

  it('maintenance staff, viewers and residents are refused', async () => {
    for (const role of OTHERS) {
      await asUser(login(role, 'acme'), async (c) => {
        const res = await attempt(c, CREATE, [F.acme.vacantUnitId, [F.acme.otherResidentId], '2026-01-01', null, 100000, 'active']);
        expect(res.code, role).toBe('LT403');
      });
    }
  });

  it('another org’s unit or resident answers like a missing one, and leaves no lease', async () => {
    await asUser(login('manager', 'acme'), async (c) => {
      const unit = await attempt(c, CREATE, [F.birch.vacantUnitId, [F.acme.otherResidentId], '2026-01-01', null, 100000, 'active']);
      expect(unit.code).toBe('LT404');
      const resident = await attempt(c, CREATE, [F.acme.vacantUnitId, [F.birch.otherResidentId], '2026-01-01', null, 100000, 'active']);
      expect(resident.code).toBe('LT404');
      await actAsPostgres(c);
      const n = (await c.query('select count(*)::int as n from public.leases where unit_id in ($1, $2)', [F.acme.vacantUnitId, F.birch.vacantUnitId])).rows[0].n;
      expect(n).toBe(0);
    });
  });

  it('is atomic: a bad resident id among good ones leaves no lease and no lease_residents', async () => {
    await asUser(login('manager', 'acme'), async (c) => {
      const res = await attempt(c, CREATE, [F.acme.vacantUnitId, [F.acme.otherResidentId, '00000000-0000-4000-8000-000000000000'], '2026-01-01', null, 100000, 'active']);
      expect(res.code).toBe('LT404');
      await actAsPostgres(c);
      expect((await c.query('select count(*)::int as n from public.leases where unit_id = $1', [F.acme.vacantUnitId])).rows[0].n).toBe(0);
      const orphans = await c.query('select 1 from public.lease_residents lr where not exists (select 1 from public.leases l where l.id = lr.lease_id)');
      expect(orphans.rowCount).toBe(0);
    });
  });

  it('refuses a second active lease on a unit by the unique index, and a lease with no resident', async () => {
    await asUser(login('manager', 'acme'), async (c) => {
      const dup = await attempt(c, CREATE, [F.acme.otherUnitId, [F.acme.otherResidentId], '2026-01-01', null, 100000, 'active']);
      expect(dup.code).toBe('23505');
      expect(dup.message).toContain('leases_unit_id_active_key');
      const none = await attempt(c, CREATE, [F.acme.vacantUnitId, [], '2026-01-01', null, 100000, 'active']);
      expect(none.code).toBe('LT422');
      const bad = await attempt(c, CREATE, [F.acme.vacantUnitId, [F.acme.otherResidentId], '2026-01-01', null, 100000, 'ended']);
      expect(bad.code).toBe('LT422');
    });
  });

  it('drafts a lease for an occupied unit after the current one ends, to follow it; refuses it as active or overlapping', async () => {
    let end = '';
    await arranged(
      login('manager', 'acme'),
      async (c) => {
        end = await orgDay(c, F.acme.id, 30);
        await c.query('update public.leases set end_date = $2 where id = $1', [F.acme.otherLeaseId, end]);
      },
      async (c) => {
        const after = await orgDay(c, F.acme.id, 31);
        const asActive = await attempt(c, CREATE, [F.acme.otherUnitId, [F.acme.residentId], after, null, 100000, 'active']);
        expect(asActive.code).toBe('LT409');
        const overlapping = await attempt(c, CREATE, [F.acme.otherUnitId, [F.acme.residentId], end, null, 100000, 'draft']);
        expect(overlapping.code).toBe('LT409');
        const draft = (await c.query(CREATE, [F.acme.otherUnitId, [F.acme.residentId], after, null, 100000, 'draft'])).rows[0];
        expect(draft).toMatchObject({ status: 'draft', previous_lease_id: F.acme.otherLeaseId });
      },
    );
  });

  it('ends a lease left active past its end date when the new one starts after it; refuses one overlapping it', async () => {
    await arranged(
      login('manager', 'acme'),
      async (c) => {
        await c.query('update public.leases set end_date = $2 where id = $1', [F.acme.otherLeaseId, await orgDay(c, F.acme.id, -10)]);
      },
      async (c) => {
        const overlapping = await attempt(c, CREATE, [F.acme.otherUnitId, [F.acme.residentId], await orgDay(c, F.acme.id, -20), null, 100000, 'active']);
        expect(overlapping.code).toBe('LT409');
        expect(overlapping.message).toContain('leased to someone else');
        const lease = (await c.query(CREATE, [F.acme.otherUnitId, [F.acme.residentId], await orgDay(c, F.acme.id, -9), null, 100000, 'active'])).rows[0];
        expect(lease.status).toBe('active');
        expect((await leaseRow(c, F.acme.otherLeaseId)).status).toBe('ended');
      },
    );
  });
});

const RENEW = 'select * from public.renew_lease($1, $2, $3)';

describe('renew_lease', () => {
  it('owners, admins and managers renew: same residents and terms, the next term the day after, a draft that follows', async () => {
    for (const role of EDITORS) {
      let end = '';
      await arranged(
        login(role, 'acme'),
        async (c) => {
          end = await orgDay(c, F.acme.id, 45);
          await c.query('update public.leases set end_date = $2 where id = $1', [F.acme.otherLeaseId, end]);
        },
        async (c) => {
          const next = (await c.query(RENEW, [F.acme.otherLeaseId, '2030-06-30', 222200])).rows[0];
          const before = await leaseRow(c, F.acme.otherLeaseId);
          const after = await leaseRow(c, next.id);
          expect(before.status, role).toBe('active');
          expect(after).toMatchObject({ status: 'draft', end_date: '2030-06-30', rent: 222200, previous_lease_id: F.acme.otherLeaseId });
          const dayAfter = (await c.query(`select to_char($1::date + 1, 'YYYY-MM-DD') as d`, [end])).rows[0].d;
          expect(after.start_date).toBe(dayAfter);
          expect(after.residents).toEqual(before.residents);
          expect(after.primary_resident).toBe(before.primary_resident);
          // When the old term's end has passed, the hourly hand-over swaps them.
          await c.query('update public.leases set end_date = $2 where id = $1', [F.acme.otherLeaseId, await orgDay(c, F.acme.id, -1)]);
          await c.query('update public.leases set start_date = $2 where id = $1', [next.id, await orgDay(c, F.acme.id, 0)]);
          await c.query('select private.roll_over_leases()');
          expect((await leaseRow(c, F.acme.otherLeaseId)).status).toBe('ended');
          expect((await leaseRow(c, next.id)).status).toBe('active');
        },
      );
    }
  });

  it('hands over at once when the lease’s end date has already passed, keeping the dates contiguous', async () => {
    await arranged(
      login('manager', 'acme'),
      async (c) => {
        await c.query('update public.leases set end_date = $2 where id = $1', [F.acme.otherLeaseId, await orgDay(c, F.acme.id, -3)]);
      },
      async (c) => {
        const next = (await c.query(RENEW, [F.acme.otherLeaseId, null, null])).rows[0];
        expect(next.status).toBe('active');
        expect(next.end_date).toBeNull();
        const old = await leaseRow(c, F.acme.otherLeaseId);
        expect(old.status).toBe('ended');
        const n = await leaseRow(c, next.id);
        expect(n.start_date).toBe(await orgDay(c, F.acme.id, -2));
        expect(n.rent).toBe(old.rent);
      },
    );
  });

  it('refuses other roles, another org’s lease, a month-to-month lease and a second renewal', async () => {
    for (const role of OTHERS) {
      await asUser(login(role, 'acme'), async (c) => {
        expect((await attempt(c, RENEW, [F.acme.otherLeaseId, null, null])).code, role).toBe('LT403');
      });
    }
    await arranged(
      login('manager', 'acme'),
      async (c) => {
        await c.query('update public.leases set end_date = null where id = $1', [F.acme.residentLeaseId]);
        await c.query('update public.leases set end_date = $2 where id = $1', [F.acme.otherLeaseId, await orgDay(c, F.acme.id, 40)]);
      },
      async (c) => {
        expect((await attempt(c, RENEW, [F.birch.otherLeaseId, null, null])).code).toBe('LT404');
        expect((await attempt(c, RENEW, [F.acme.residentLeaseId, null, null])).code).toBe('LT409');
        await c.query(RENEW, [F.acme.otherLeaseId, null, null]);
        expect((await attempt(c, RENEW, [F.acme.otherLeaseId, null, null])).code).toBe('LT409');
      },
    );
  });
});

const END = 'select * from public.end_lease($1, $2)';

describe('end_lease', () => {
  it('ends now when the move-out date is today or earlier, and later when it is ahead', async () => {
    for (const role of EDITORS) {
      await asUser(login(role, 'acme'), async (c) => {
        await actAsPostgres(c);
        const today = await orgDay(c, F.acme.id);
        const ahead = await orgDay(c, F.acme.id, 20);
        await actAs(c, login(role, 'acme'));
        const now = (await c.query(END, [F.acme.otherLeaseId, today])).rows[0];
        expect(now.status, role).toBe('ended');
        const later = (await c.query(END, [F.acme.residentLeaseId, ahead])).rows[0];
        expect(later.status, role).toBe('active');
        expect((await leaseRow(c, F.acme.residentLeaseId)).end_date).toBe(ahead);
      });
    }
  });

  it('cancels a renewal waiting to follow the lease', async () => {
    await arranged(
      login('manager', 'acme'),
      async (c) => {
        await c.query('update public.leases set end_date = $2 where id = $1', [F.acme.otherLeaseId, await orgDay(c, F.acme.id, 40)]);
      },
      async (c) => {
        const next = (await c.query(RENEW, [F.acme.otherLeaseId, null, null])).rows[0];
        await actAsPostgres(c);
        const moveOut = await orgDay(c, F.acme.id, 10);
        await actAs(c, login('manager', 'acme'));
        await c.query(END, [F.acme.otherLeaseId, moveOut]);
        expect((await leaseRow(c, next.id)).status).toBe('terminated');
      },
    );
  });

  it('refuses other roles, another org’s lease, an ended lease and a move-out before the start', async () => {
    for (const role of OTHERS) {
      await asUser(login(role, 'acme'), async (c) => {
        expect((await attempt(c, END, [F.acme.otherLeaseId, '2030-01-01'])).code, role).toBe('LT403');
      });
    }
    await asUser(login('manager', 'acme'), async (c) => {
      expect((await attempt(c, END, [F.birch.otherLeaseId, '2030-01-01'])).code).toBe('LT404');
      expect((await attempt(c, END, [F.acme.otherLeaseId, '2001-01-01'])).code).toBe('LT422');
      await c.query(END, [F.acme.otherLeaseId, '2026-01-31']);
      expect((await attempt(c, END, [F.acme.otherLeaseId, '2026-02-28'])).code).toBe('LT409');
    });
  });
});
