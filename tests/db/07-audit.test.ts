import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { actAs, actAsPostgres, attempt, rolledBack, type Tx } from './db.ts';
import { fixtures, login, type OrgFixture, type OrgKey } from './fixtures.ts';

let F: Record<OrgKey, OrgFixture>;
beforeAll(async () => {
  F = await fixtures();
});

const latest = async (c: Tx, table: string, recordId: string) =>
  (
    await c.query(
      `select action, actor_user_id, actor_role, via, request_id, old_values, new_values from public.audit_log
       where table_name = $1 and record_id = $2 order by id desc limit 1`,
      [table, recordId],
    )
  ).rows[0];

describe('audit trail', () => {
  it('a manual ledger entry records who, in which role, through which function and request', async () => {
    await rolledBack(async (c) => {
      const requestId = randomUUID();
      await actAs(c, login('manager', 'acme'), { requestId });
      const id = (await c.query(`select (public.post_ledger_entry($1, 'charge', 1500, $2)).id`, [F.acme.otherLeaseId, `k-${randomUUID()}`])).rows[0].id;
      await actAsPostgres(c);
      const row = await latest(c, 'ledger_entries', id);
      expect(row).toMatchObject({
        action: 'insert',
        actor_user_id: F.acme.users.manager,
        actor_role: 'manager',
        via: 'post_ledger_entry',
        request_id: requestId,
        old_values: null,
      });
      expect(row.new_values).toMatchObject({ id, amount_minor: 1500, kind: 'charge' });
    });
  });

  it('a lease change records old and new values; balance-only changes are left to the ledger rows', async () => {
    await rolledBack(async (c) => {
      await actAs(c, login('admin', 'acme'));
      await c.query(`update public.leases set rent_minor = rent_minor + 1000 where id = $1`, [F.acme.otherLeaseId]);
      await actAsPostgres(c);
      const row = await latest(c, 'leases', F.acme.otherLeaseId);
      expect(row.action).toBe('update');
      expect(row.actor_role).toBe('admin');
      expect(Number(row.new_values.rent_minor) - Number(row.old_values.rent_minor)).toBe(1000);
      const before = (await c.query(`select count(*)::int as n from public.audit_log where table_name = 'leases'`)).rows[0].n;
      await c.query(`select private.insert_ledger_entry($1, $2, 'charge', 10, $3)`, [F.acme.id, F.acme.otherLeaseId, `k-${randomUUID()}`]);
      expect((await c.query(`select count(*)::int as n from public.audit_log where table_name = 'leases'`)).rows[0].n).toBe(before);
    });
  });

  it('role changes and removals are recorded with the acting owner', async () => {
    await rolledBack(async (c) => {
      await actAs(c, login('owner', 'acme'));
      await c.query(`select public.change_member_role($1, 'manager')`, [F.acme.users.viewer]);
      await c.query(`select public.remove_member($1)`, [F.acme.users.maintenance]);
      await actAsPostgres(c);
      expect(await latest(c, 'memberships', F.acme.users.viewer)).toMatchObject({
        action: 'update',
        actor_role: 'owner',
        via: 'change_member_role',
        old_values: expect.objectContaining({ role: 'viewer' }),
        new_values: expect.objectContaining({ role: 'manager' }),
      });
      expect(await latest(c, 'memberships', F.acme.users.maintenance)).toMatchObject({ action: 'delete', actor_user_id: F.acme.users.owner });
    });
  });

  it('a rent run an owner starts names them, through rent_run; the service role is named too', async () => {
    await rolledBack(async (c) => {
      // Due today in the org's own calendar, so "run now" posts it.
      const lease = (
        await c.query(
          `insert into public.leases (org_id, unit_id, status, start_date, rent_minor)
           select o.id, $2, 'active', (now() at time zone o.timezone)::date, 1000 from public.organizations o where o.id = $1 returning id`,
          [F.acme.id, F.acme.vacantUnitId],
        )
      ).rows[0].id;
      await actAs(c, login('owner', 'acme'));
      expect((await c.query(`select (public.run_rent_now()).status`)).rows[0].status).toBe('succeeded');
      await actAsPostgres(c);
      // A rent run is audited as one bulk change per org; its entries share the row's created_at.
      const row = (
        await c.query(
          `select a.actor_role, a.via, a.actor_user_id from public.audit_log a join public.ledger_entries e
             on e.org_id = a.org_id and e.created_at = a.created_at and a.record_id like 'bulk:%'
           where a.table_name = 'ledger_entries' and e.lease_id = $1`,
          [lease],
        )
      ).rows;
      expect(row).toEqual([{ actor_role: 'owner', via: 'rent_run', actor_user_id: F.acme.users.owner }]);
      const pay = (
        await c.query(`insert into public.payments (org_id, lease_id, amount_minor, currency) values ($1, $2, 100, 'USD') returning id`, [F.acme.id, F.acme.otherLeaseId])
      ).rows[0].id;
      await actAs(c, 'anon', { claims: { role: 'service_role' } });
      await c.query(`update public.payments set status = 'failed' where id = $1`, [pay]);
      await actAsPostgres(c);
      expect(await latest(c, 'payments', pay)).toMatchObject({ action: 'update', actor_role: 'service_role', actor_user_id: null });
    });
  });

  it('a statement of more than 50 entries is audited once per org, and its entries are found from that row', async () => {
    await rolledBack(async (c) => {
      // Two orgs with 51 and 60 leases starting in a month no other test uses; each org's run
      // is its own statement (the hourly job's, as postgres).
      const orgs: { id: string; leases: number }[] = [];
      for (const n of [51, 60]) {
        const id = (await c.query(`insert into public.organizations (name, slug) values ('Bulk', 'bulk-' || substr(md5(random()::text), 1, 8)) returning id`)).rows[0].id;
        const property = (await c.query(`insert into public.properties (org_id, name) values ($1, 'P') returning id`, [id])).rows[0].id;
        await c.query(
          `with u as (insert into public.units (org_id, property_id, label) select $1, $2, 'U' || i from generate_series(1, $3) i returning id)
           insert into public.leases (org_id, unit_id, status, start_date, rent_minor) select $1, u.id, 'active', '1980-01-01', 1000 from u`,
          [id, property, n],
        );
        orgs.push({ id, leases: n });
      }
      for (const org of orgs) {
        expect((await c.query(`select rent_entries from private.post_rent($1, '1980-03-01')`, [org.id])).rows[0].rent_entries).toBe(org.leases);
      }
      for (const org of orgs) {
        const rows = (
          await c.query(
            `select a.record_id, a.action, a.actor_role, a.via, a.old_values, a.new_values,
                    (select count(*)::int from public.ledger_entries e where e.org_id = a.org_id and e.created_at = a.created_at) as linked
             from public.audit_log a where a.table_name = 'ledger_entries' and a.org_id = $1`,
            [org.id],
          )
        ).rows;
        expect(rows).toHaveLength(1);
        expect(rows[0]).toMatchObject({ action: 'insert', actor_role: 'postgres', via: 'rent_run', old_values: null, linked: org.leases });
        expect(rows[0].record_id).toMatch(/^bulk:\d+$/);
        expect(rows[0].new_values).toMatchObject({ bulk: true, entries: org.leases, amount_minor: org.leases * 1000, kinds: { rent: org.leases } });
      }
    });
  });

  it('the audit log is append-only, even for postgres', async () => {
    await rolledBack(async (c) => {
      expect((await attempt(c, `update public.audit_log set via = 'x'`)).code).toBe('LT409');
      expect((await attempt(c, `delete from public.audit_log`)).code).toBe('LT409');
      expect((await attempt(c, `truncate public.audit_log`)).code).toBe('LT409');
      await actAs(c, 'anon', { claims: { role: 'service_role' } });
      expect((await attempt(c, `delete from public.audit_log`)).code).toBe('42501');
    });
  });

  it('invitation rows never carry the token hash into the log', async () => {
    await rolledBack(async (c) => {
      await actAs(c, login('owner', 'acme'));
      const { invitation_id } = (await c.query(`select public.invite_member('auditee@example.test', 'viewer') as r`)).rows[0].r;
      await actAsPostgres(c);
      const row = await latest(c, 'invitations', invitation_id);
      expect(row.new_values).not.toHaveProperty('token_hash');
      expect(row.via).toBe('invite_member');
    });
  });
});
