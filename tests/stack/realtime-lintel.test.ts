import { createClient, type RealtimeChannel, type SupabaseClient } from '@supabase/supabase-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { signHs256 } from '../../local-stack/jwt.ts';
import { tokenClaims } from '../db/db.ts';
import { fixtures, login, type OrgFixture, type Role } from '../db/fixtures.ts';
import { db, stack } from '../setup/clients.ts';

// Lintel's topics (supabase/migrations/*_add_realtime_broadcasts.sql) through supabase-js, with
// the seeded demo orgs and tokens carrying the claims the access token hook computes.

const clients: SupabaseClient[] = [];
let acme: OrgFixture;

async function as(role: Role | 'anon', org: 'acme' | 'birch' = 'acme'): Promise<SupabaseClient> {
  const s = stack();
  let token: string | undefined;
  if (role !== 'anon') {
    const c = await db();
    try {
      await c.query('begin');
      const claims = await tokenClaims(c, login(role, org));
      await c.query('rollback');
      token = await signHs256(s.JWT_SECRET!, claims);
    } finally {
      await c.end();
    }
  }
  const client = createClient(s.API_URL!, s.ANON_KEY!, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as never } as never,
    ...(token ? { accessToken: async () => token } : {}),
  });
  await client.realtime.setAuth();
  clients.push(client);
  return client;
}

function join(client: SupabaseClient, topic: string, got?: unknown[]): Promise<RealtimeChannel> {
  const channel = client.channel(topic, { config: { private: true } });
  if (got) channel.on('broadcast', { event: '*' }, (m) => got.push(m));
  return new Promise((resolve, reject) => {
    channel.subscribe((status, err) => {
      if (status === 'SUBSCRIBED') resolve(channel);
      else if (status === 'CHANNEL_ERROR' || status === 'TIMED_OUT') reject(err ?? new Error(status));
    });
  });
}

async function until(check: () => boolean, what: string, ms = 5000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`never saw ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function sql(text: string, params: unknown[] = []) {
  const c = await db();
  try {
    return (await c.query(text, params)).rows;
  } finally {
    await c.end();
  }
}

const refused = (topic: string) => `Unauthorized: You do not have permissions to read from this Channel topic: ${topic}`;

beforeAll(async () => {
  ({ acme } = await fixtures());
});

afterAll(async () => {
  for (const c of clients) await c.removeAllChannels();
});

describe('org topics', () => {
  it('lets staff of the org join org:<org> and receive unit changes; refuses another org, a resident and anon', async () => {
    const topic = `org:${acme.id}`;
    const got: any[] = [];
    await join(await as('manager'), topic, got);
    await join(await as('maintenance'), topic);
    await expect(join(await as('manager', 'birch'), topic)).rejects.toThrow(refused(topic));
    await expect(join(await as('resident'), topic)).rejects.toThrow(refused(topic));
    await expect(join(await as('anon'), topic)).rejects.toThrow(refused(topic));

    await sql(`update public.units set updated_at = now() where id = $1`, [acme.vacantUnitId]);
    await until(() => got.some((m) => m.payload.table === 'units'), 'the unit change');
    const m = got.find((x) => x.payload.table === 'units');
    expect(m).toMatchObject({ event: 'UPDATE', payload: { operation: 'UPDATE', schema: 'public', record: { id: acme.vacantUnitId, org_id: acme.id } } });
  });

  it('keeps money on org:<org>:finance, which maintenance staff cannot join', async () => {
    const topic = `org:${acme.id}:finance`;
    await expect(join(await as('maintenance'), topic)).rejects.toThrow(refused(topic));
    const staffGot: any[] = [];
    await join(await as('maintenance'), `org:${acme.id}`, staffGot);
    const got: any[] = [];
    await join(await as('viewer'), topic, got);
    const [p] = await sql(
      `insert into public.payments (org_id, lease_id, resident_id, amount_minor, currency) values ($1, $2, $3, 1234, 'USD') returning id`,
      [acme.id, acme.otherLeaseId, acme.otherResidentId],
    );
    await until(() => got.some((m) => m.payload.record?.id === p.id), 'the payment');
    await sql(`update public.units set updated_at = now() where id = $1`, [acme.vacantUnitId]);
    await until(() => staffGot.some((m) => m.payload.table === 'units'), 'the unit change after the payment');
    expect(staffGot.filter((m) => m.payload.table === 'payments')).toEqual([]);
  });
});

describe('resident topics', () => {
  it('gives a resident their own payment and request updates and nobody else’s', async () => {
    const resident = await as('resident');
    await expect(join(resident, `resident:${acme.otherResidentId}`)).rejects.toThrow(refused(`resident:${acme.otherResidentId}`));
    await expect(join(await as('manager'), `resident:${acme.residentId}`)).rejects.toThrow(/Unauthorized/);
    const got: any[] = [];
    await join(resident, `resident:${acme.residentId}`, got);

    const [theirs] = await sql(
      `insert into public.maintenance_requests (org_id, unit_id, resident_id, title) values ($1, $2, $3, 'Their leak') returning id`,
      [acme.id, acme.otherUnitId, acme.otherResidentId],
    );
    await sql(`insert into public.payments (org_id, lease_id, resident_id, amount_minor, currency) values ($1, $2, $3, 999, 'USD')`, [
      acme.id,
      acme.otherLeaseId,
      acme.otherResidentId,
    ]);
    const [mine] = await sql(
      `insert into public.maintenance_requests (org_id, unit_id, resident_id, title) values ($1, $2, $3, 'My leak') returning id`,
      [acme.id, acme.residentUnitId, acme.residentId],
    );
    await sql(`update public.maintenance_requests set status = 'in_progress' where id = $1`, [mine.id]);
    await sql(`insert into public.maintenance_events (org_id, request_id, kind, body, is_internal) values ($1, $2, 'comment', 'staff only', true)`, [
      acme.id,
      mine.id,
    ]);
    const [pay] = await sql(
      `insert into public.payments (org_id, lease_id, resident_id, amount_minor, currency) values ($1, $2, $3, 4321, 'USD') returning id`,
      [acme.id, acme.residentLeaseId, acme.residentId],
    );
    await until(() => got.some((m) => m.payload.record?.id === pay.id), 'my payment');

    const requests = got.filter((m) => m.payload.table === 'maintenance_requests');
    expect(requests.map((m) => [m.event, m.payload.record.status])).toEqual([
      ['INSERT', 'open'],
      ['UPDATE', 'in_progress'],
    ]);
    expect(requests.every((m) => m.payload.record.id === mine.id)).toBe(true);
    // The status change's history event is public; the internal comment never reaches the resident.
    const events = got.filter((m) => m.payload.table === 'maintenance_events');
    expect(events.map((m) => m.payload.record.kind)).toEqual(['status_change']);
    const payments = got.filter((m) => m.payload.table === 'payments');
    expect(payments.map((m) => m.payload.record.amount_minor)).toEqual([4321]);
    expect(got.some((m) => JSON.stringify(m).includes(theirs.id))).toBe(false);
  });
});

describe('user topics', () => {
  it('delivers a notification to its user only', async () => {
    const got: any[] = [];
    await join(await as('manager'), `user:${acme.users.manager}`, got);
    await expect(join(await as('admin'), `user:${acme.users.manager}`)).rejects.toThrow(/Unauthorized/);
    const [n] = await sql(`insert into public.notifications (org_id, user_id, kind, title) values ($1, $2, 'rent_due', 'Rent is due') returning id`, [
      acme.id,
      acme.users.manager,
    ]);
    await until(() => got.some((m) => m.payload.record?.id === n.id), 'the notification');
  });
});

describe('money topics, per statement', () => {
  // A fresh org with two leases, one of them a resident's, so its messages are countable.
  async function moneyOrg() {
    const [{ org }] = await sql(`insert into public.organizations (name, slug) values ('Bulk', 'bulk-' || substr(md5(random()::text), 1, 8)) returning id as org`);
    const [{ property }] = await sql(`insert into public.properties (org_id, name) values ($1, 'P') returning id as property`, [org]);
    const units = await sql(`insert into public.units (org_id, property_id, label) select $1, $2, 'U' || i from generate_series(1, 2) i returning id`, [org, property]);
    const leases = await sql(
      `insert into public.leases (org_id, unit_id, status, start_date, rent_minor) select $1, u, 'active', '2001-01-01', 100000 from unnest($2::uuid[]) u returning id`,
      [org, units.map((u) => u.id)],
    );
    const [{ resident }] = await sql(`insert into public.residents (org_id, full_name) values ($1, 'R') returning id as resident`, [org]);
    await sql(`insert into public.lease_residents (org_id, lease_id, resident_id, is_primary) values ($1, $2, $3, true)`, [org, leases[0].id, resident]);
    return { org: org as string, resident: resident as string, leases: leases.map((l) => l.id as string) };
  }

  async function withClaims(claims: Record<string, unknown>): Promise<SupabaseClient> {
    const s = stack();
    const token = await signHs256(s.JWT_SECRET!, { sub: crypto.randomUUID(), role: 'authenticated', aud: 'authenticated', ...claims }, 600);
    const client = createClient(s.API_URL!, s.ANON_KEY!, {
      auth: { persistSession: false, autoRefreshToken: false },
      realtime: { transport: WebSocket as never } as never,
      accessToken: async () => token,
    });
    await client.realtime.setAuth();
    clients.push(client);
    return client;
  }

  it('a single entry arrives row by row on the finance topic and its residents’ topics, as broadcast_changes shapes it', async () => {
    const m = await moneyOrg();
    const staff: any[] = [];
    const mine: any[] = [];
    await join(await withClaims({ org_id: m.org, org_role: 'viewer' }), `org:${m.org}:finance`, staff);
    await join(await withClaims({ org_id: m.org, org_role: 'resident', resident_id: m.resident }), `resident:${m.resident}`, mine);
    const [{ id }] = await sql(`select (private.insert_ledger_entry($1, $2, 'charge', 700, 'k-single-' || gen_random_uuid())).id`, [m.org, m.leases[0]]);
    await until(() => mine.some((x) => x.payload.table === 'leases'), 'the resident’s lease balance');
    await until(() => staff.some((x) => x.payload.table === 'leases'), 'the staff’s lease balance');
    for (const got of [staff, mine]) {
      const entry = got.find((x) => x.payload.table === 'ledger_entries');
      expect(entry).toMatchObject({ event: 'INSERT', payload: { operation: 'INSERT', schema: 'public', old_record: null, record: { id, amount_minor: 700, kind: 'charge' } } });
      const lease = got.find((x) => x.payload.table === 'leases');
      expect(lease).toMatchObject({ event: 'UPDATE', payload: { operation: 'UPDATE', old_record: { id: m.leases[0], balance_minor: 0 }, record: { id: m.leases[0], balance_minor: 700 } } });
    }
  });

  it('a bulk statement sends one bulk_change per org instead of a message per row', async () => {
    const m = await moneyOrg();
    const staff: any[] = [];
    const mine: any[] = [];
    await join(await withClaims({ org_id: m.org, org_role: 'manager' }), `org:${m.org}:finance`, staff);
    await join(await withClaims({ org_id: m.org, org_role: 'resident', resident_id: m.resident }), `resident:${m.resident}`, mine);
    // 60 charges over the two leases in one statement (as the rent run posts them).
    await sql(
      `insert into public.ledger_entries (org_id, lease_id, kind, amount_minor, currency, idempotency_key)
       select $1, ($2::uuid[])[1 + i % 2], 'charge', 100, 'USD', 'manual:bulk-' || gen_random_uuid() from generate_series(1, 60) i`,
      [m.org, m.leases],
    );
    // A later single-row change marks the end of what the statement sent.
    const [{ id: last }] = await sql(`select (private.insert_ledger_entry($1, $2, 'charge', 5, 'k-last-' || gen_random_uuid())).id`, [m.org, m.leases[0]]);
    await until(() => staff.some((x) => x.payload.record?.id === last), 'the staff’s last entry');
    await until(() => mine.some((x) => x.payload.record?.id === last), 'the resident’s last entry');

    const bulk = staff.filter((x) => x.event === 'bulk_change');
    expect(bulk.map((x) => x.payload)).toEqual([expect.objectContaining({ operation: 'INSERT', table: 'ledger_entries', schema: 'public', count: 60 })]);
    expect(staff.filter((x) => x.payload.table === 'ledger_entries' && x.event === 'INSERT').map((x) => x.payload.record.id)).toEqual([last]);
    // The statement's two balance updates are few enough to go row by row.
    expect(staff.filter((x) => x.payload.table === 'leases' && x.payload.record?.balance_minor === 3000).length).toBe(2);
    // Residents get no bulk summary (it would name other leases' totals), only their own rows.
    expect(mine.filter((x) => x.payload.table === 'ledger_entries').map((x) => x.payload.record.id)).toEqual([last]);
    expect(mine.some((x) => x.event === 'bulk_change')).toBe(false);
  });
});
