import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { actAs, actAsPostgres, asUser, attempt, rolledBack, type Tx } from './db.ts';
import { fixtures, login, type OrgFixture, type OrgKey } from './fixtures.ts';

let F: Record<OrgKey, OrgFixture>;
beforeAll(async () => {
  F = await fixtures();
});

type Row = Record<string, string | number>;

const importRows = (c: Tx, rows: Row[]) => attempt<{ out: Summary }>(c, `select public.import_portfolio($1::jsonb) as out`, [JSON.stringify(rows)]);

interface Counted {
  created: number;
  reused: number;
}
interface Summary {
  properties: Counted;
  units: Counted;
  residents: Counted;
  leases: Counted;
  items: { id: string; name: string; created: boolean; units_created: number; units_reused: number }[];
}

/** What an org holds, to prove an import wrote all of a file or none of it. */
async function holdings(c: Tx, orgId: string) {
  const { rows } = await c.query(
    `select (select count(*) from public.properties where org_id = $1)::int as properties,
            (select count(*) from public.units where org_id = $1)::int as units,
            (select count(*) from public.residents where org_id = $1)::int as residents,
            (select count(*) from public.leases where org_id = $1)::int as leases,
            (select count(*) from public.lease_residents where org_id = $1)::int as lease_residents,
            (select unit_count from public.organizations where id = $1) as unit_count`,
    [orgId],
  );
  return rows[0];
}

/** The row errors an LT422 refusal carries in its DETAIL. */
function rowErrors(message: string | undefined, detail: unknown) {
  expect(message, 'the refusal').toBeDefined();
  return (JSON.parse(String(detail)) as { errors: { row: number; column: string; message: string }[] }).errors;
}

const goodFile: Row[] = [
  {
    row: 2, property_name: 'Harbor View', address_line1: '9 Dock St', city: 'Chicago', region: 'IL', postal_code: '60601',
    unit_label: '1A', bedrooms: 2, bathrooms: '1.5', square_feet: 850, market_rent_minor: 180000,
    resident_name: 'Nora Quinn', resident_email: 'Nora.Quinn@Example.com', resident_phone: '+1 555 0101',
    co_resident_name: 'Owen Quinn', co_resident_email: 'owen.quinn@example.com',
    lease_start: '2026-01-01', lease_end: '2099-12-31', rent_minor: 175000, deposit_minor: 175000, due_day: 3,
  },
  // The same property spelled in other case, a vacant unit: no resident, no lease.
  { row: 3, property_name: 'harbor view', unit_label: '1B' },
  // An existing property, a new unit with an ended lease.
  { row: 4, property_name: 'maple court', unit_label: 'Unit 900', resident_name: 'Pia Ross', lease_start: '2020-01-01', lease_end: '2021-01-01', rent_minor: 100000 },
];

describe('import_portfolio', () => {
  it('writes properties, units, residents and leases in the caller’s org, reusing what exists', async () => {
    await rolledBack(async (c) => {
      const before = await holdings(c, F.acme.id);
      await actAs(c, login('manager', 'acme'));
      const res = await importRows(c, goodFile);
      expect(res.code).toBeUndefined();
      const out = res.rows[0]!.out;
      expect(out.properties).toEqual({ created: 1, reused: 1 });
      expect(out.units).toEqual({ created: 3, reused: 0 });
      expect(out.residents).toEqual({ created: 3, reused: 0 });
      expect(out.leases).toEqual({ created: 2, reused: 0 });
      expect(out.items.map((i) => [i.name, i.created, i.units_created])).toEqual([
        ['Harbor View', true, 2],
        ['Maple Court', false, 1],
      ]);

      await actAsPostgres(c);
      const after = await holdings(c, F.acme.id);
      expect(after).toEqual({
        properties: before.properties + 1,
        units: before.units + 3,
        residents: before.residents + 3,
        leases: before.leases + 2,
        lease_residents: before.lease_residents + 3,
        unit_count: before.unit_count + 3,
      });
      const maple = (await c.query(`select id from public.properties where org_id = $1 and name = 'Maple Court'`, [F.acme.id])).rows[0].id;
      expect(out.items[1]!.id).toBe(maple);

      const lease = (
        await c.query(
          `select l.org_id, l.status, l.start_date::text, l.rent_minor::int, l.deposit_minor::int, l.due_day, l.grace_days, l.late_fee_minor::int, l.currency,
                  u.label, u.bedrooms, u.bathrooms::text, u.square_feet, p.name as property, p.city,
                  array_agg(r.full_name || ':' || coalesce(r.email, '') || ':' || lr.is_primary order by lr.is_primary desc) as residents
           from public.leases l join public.units u on u.id = l.unit_id join public.properties p on p.id = u.property_id
           join public.lease_residents lr on lr.lease_id = l.id join public.residents r on r.id = lr.resident_id
           where l.org_id = $1 and p.name = 'Harbor View' group by l.id, u.id, p.id`,
          [F.acme.id],
        )
      ).rows;
      // Grace days and late fee come from the org's defaults (seed: 5 days, $75.00), the currency from the org.
      expect(lease).toEqual([
        {
          org_id: F.acme.id, status: 'active', start_date: '2026-01-01', rent_minor: 175000, deposit_minor: 175000, due_day: 3,
          grace_days: 5, late_fee_minor: 7500, currency: 'USD', label: '1A', bedrooms: 2, bathrooms: '1.5', square_feet: 850,
          property: 'Harbor View', city: 'Chicago', residents: ['Nora Quinn:nora.quinn@example.com:true', 'Owen Quinn:owen.quinn@example.com:false'],
        },
      ]);
      const ended = (await c.query(`select l.status from public.leases l join public.units u on u.id = l.unit_id where u.label = 'Unit 900'`)).rows;
      expect(ended).toEqual([{ status: 'ended' }]);
      // A vacant row makes a unit with the table's defaults and no lease.
      const vacant = (await c.query(`select bedrooms, bathrooms::text, (select count(*)::int from public.leases l where l.unit_id = u.id) as leases from public.units u where u.label = '1B' and u.org_id = $1`, [F.acme.id])).rows;
      expect(vacant).toEqual([{ bedrooms: 1, bathrooms: '1.0', leases: 0 }]);
    });
  });

  it('is audited and broadcast as the import, one summary for a large file', async () => {
    await rolledBack(async (c) => {
      await actAs(c, login('manager', 'acme'), { requestId: 'import-request' });
      expect((await importRows(c, goodFile)).code).toBeUndefined();
      const big = Array.from({ length: 60 }, (_, i) => ({
        row: i + 2, property_name: 'Bulk Block', unit_label: `B${i}`, resident_name: `Bulk ${i}`, lease_start: '2026-01-01', rent_minor: 100000,
      }));
      expect((await importRows(c, big)).code).toBeUndefined();
      await actAsPostgres(c);
      const audit = (
        await c.query(
          `select table_name, record_id like 'bulk:%' as bulk, via, actor_role, request_id, new_values ->> 'entries' as entries
           from public.audit_log where org_id = $1 and via = 'import_portfolio' and table_name in ('leases', 'lease_residents')
           order by id`,
          [F.acme.id],
        )
      ).rows;
      const small = { via: 'import_portfolio', actor_role: 'manager', request_id: 'import-request', bulk: false, entries: null };
      expect(audit).toEqual([
        { table_name: 'leases', ...small },
        { table_name: 'leases', ...small },
        { table_name: 'lease_residents', ...small },
        { table_name: 'lease_residents', ...small },
        { table_name: 'lease_residents', ...small },
        { table_name: 'leases', ...small, bulk: true, entries: '60' },
        { table_name: 'lease_residents', ...small, bulk: true, entries: '60' },
      ]);
      const messages = (
        await c.query(
          `select topic, event, payload ->> 'table' as tbl, payload ->> 'count' as n from realtime.messages
           where topic like $1 || '%' and payload ->> 'table' in ('units', 'leases') and inserted_at = now()::timestamp
           order by topic, event`,
          [`org:${F.acme.id}`],
        )
      ).rows;
      // 3 units and 2 leases one by one; then one bulk_change each for 60 units (all staff) and 60 leases (finance).
      expect(messages.filter((m) => m.event === 'INSERT' && m.tbl === 'units')).toHaveLength(3);
      expect(messages.filter((m) => m.event === 'INSERT' && m.tbl === 'leases')).toHaveLength(2);
      expect(messages.filter((m) => m.event === 'bulk_change')).toEqual([
        { topic: `org:${F.acme.id}`, event: 'bulk_change', tbl: 'units', n: '60' },
        { topic: `org:${F.acme.id}:finance`, event: 'bulk_change', tbl: 'leases', n: '60' },
      ]);
    });
  });

  it('imports nothing when one row is bad, and names each bad row, its column and why', async () => {
    await rolledBack(async (c) => {
      const before = await holdings(c, F.acme.id);
      await actAs(c, login('admin', 'acme'));
      const file: Row[] = [
        ...goodFile,
        { row: 5, property_name: 'Harbor View', unit_label: '2A', resident_name: 'Quin Li', lease_start: '2026-02-30', rent_minor: 90000, due_day: 29 },
        { row: 6, property_name: 'HARBOR VIEW', unit_label: '1A' },
        { row: 7, property_name: 'Maple Court', unit_label: 'Unit 101', resident_name: 'Ray Sun', lease_start: '2026-06-01', rent_minor: 100000 },
        { row: 8, property_name: '', unit_label: '', resident_email: 'not-an-email', bedrooms: 'two' },
      ];
      const res = await importRows(c, file);
      expect(res.code).toBe('LT422');
      expect(res.message).toBe("4 of the file's rows cannot be imported");
      expect(res.hint).toMatch(/nothing was imported/);
      const errors = rowErrors(res.message, res.detail);
      expect(errors.map((e) => [e.row, e.column])).toEqual([
        [5, 'due_day'],
        [5, 'lease_start'],
        [6, 'unit_label'],
        [7, 'lease_start'],
        [8, 'bedrooms'],
        [8, 'property_name'],
        [8, 'resident_email'],
        [8, 'resident_name'],
        [8, 'unit_label'],
      ]);
      expect(errors.find((e) => e.row === 6)!.message).toBe('HARBOR VIEW, 1A is also on row 2.');
      expect(errors.find((e) => e.row === 7)!.message).toMatch(/^Maple Court, Unit 101 already has an active lease from \d{4}-\d{2}-\d{2}\./);
      expect(errors.find((e) => e.row === 5 && e.column === 'lease_start')!.message).toMatch(/YYYY-MM-DD/);
      await actAsPostgres(c);
      expect(await holdings(c, F.acme.id)).toEqual(before);
    });
  });

  it('takes no org from the file: another org’s names and emails make new records in the caller’s org', async () => {
    await rolledBack(async (c) => {
      await actAsPostgres(c);
      // An address only Acme has (other layers add residents to both orgs while this runs).
      const acmeResident = (
        await c.query(`insert into public.residents (org_id, full_name, email) values ($1, 'Only In Acme', $2) returning email`, [F.acme.id, `only-acme-${randomUUID()}@example.test`])
      ).rows[0].email;
      const acmeBefore = await holdings(c, F.acme.id);
      await actAs(c, login('manager', 'birch'));
      const res = await importRows(c, [
        { row: 2, org_id: F.acme.id, property_name: 'Maple Court', unit_label: 'Unit 101', resident_name: 'Copy', resident_email: acmeResident, lease_start: '2026-01-01', rent_minor: 1000 },
      ]);
      expect(res.code).toBeUndefined();
      expect(res.rows[0]!.out).toMatchObject({ properties: { created: 1, reused: 0 }, units: { created: 1 }, residents: { created: 1, reused: 0 }, leases: { created: 1 } });
      await actAsPostgres(c);
      expect(await holdings(c, F.acme.id)).toEqual(acmeBefore);
      const orgs = (
        await c.query(`select distinct org_id from public.properties where id = $1 union all select org_id from public.residents where email = $2 and org_id <> $3`, [
          res.rows[0]!.out.items[0]!.id,
          acmeResident,
          F.acme.id,
        ])
      ).rows;
      expect(orgs).toEqual([{ org_id: F.birch.id }, { org_id: F.birch.id }]);
    });
  });

  it('reuses residents by email and leases by unit and start date, so a file imported twice changes nothing', async () => {
    await rolledBack(async (c) => {
      await actAsPostgres(c);
      const existing = (await c.query(`select id, email, full_name from public.residents where org_id = $1 and email is not null and user_id is null order by email limit 1`, [F.acme.id])).rows[0];
      await actAs(c, login('owner', 'acme'));
      const file: Row[] = [
        ...goodFile,
        { row: 5, property_name: 'Harbor View', unit_label: '2A', resident_name: 'Someone Else', resident_email: existing.email.toUpperCase(), lease_start: '2026-01-01', rent_minor: 90000 },
      ];
      const first = await importRows(c, file);
      expect(first.rows[0]!.out.residents).toEqual({ created: 3, reused: 1 });
      const again = await importRows(c, file);
      expect(again.code).toBeUndefined();
      expect(again.rows[0]!.out).toMatchObject({
        properties: { created: 0, reused: 2 },
        units: { created: 0, reused: 4 },
        residents: { created: 0, reused: 0 },
        leases: { created: 0, reused: 3 },
      });
      await actAsPostgres(c);
      // The existing resident keeps their name and is on the new lease.
      const on = (await c.query(`select r.full_name from public.lease_residents lr join public.residents r on r.id = lr.resident_id where lr.resident_id = $1 and lr.org_id = $2`, [existing.id, F.acme.id])).rows;
      expect(on).toContainEqual({ full_name: existing.full_name });
    });
  });

  it('stops at the plan’s unit limit with LT429 and writes nothing', async () => {
    await rolledBack(async (c) => {
      await actAsPostgres(c);
      await c.query(`update public.organizations set unit_limit = unit_count + 2 where id = $1`, [F.acme.id]);
      const before = await holdings(c, F.acme.id);
      await actAs(c, login('manager', 'acme'));
      const res = await importRows(c, goodFile);
      expect(res.code).toBe('LT429');
      expect(res.message).toBe('this file adds 3 units; the plan allows 2 more');
      await actAsPostgres(c);
      expect(await holdings(c, F.acme.id)).toEqual(before);
    });
  });

  it('is refused to viewers, maintenance staff, residents and anonymous callers', async () => {
    for (const role of ['viewer', 'maintenance', 'resident'] as const) {
      await asUser(login(role, 'acme'), async (c) => {
        const res = await importRows(c, goodFile);
        expect(res.code, role).toBe('LT403');
      });
    }
    await asUser('anon', async (c) => {
      expect((await importRows(c, goodFile)).code).toBe('42501');
    });
  });

  it('refuses a payload that is not a list of rows', async () => {
    await asUser(login('manager', 'acme'), async (c) => {
      expect((await attempt(c, `select public.import_portfolio('{"rows": 1}'::jsonb)`)).code).toBe('LT422');
      expect((await attempt(c, `select public.import_portfolio('[]'::jsonb)`)).code).toBe('LT422');
      expect((await attempt(c, `select public.import_portfolio('[1, 2]'::jsonb)`)).code).toBe('LT422');
    });
  });
});
