import { randomUUID } from 'node:crypto';
import type { Tx } from './db.ts';
import { createUser, type OrgFixture } from './fixtures.ts';

/** Who acts, and in which org a row is made. */
export interface MakeCtx {
  f: OrgFixture;
  /** The acting login's user id (null for anon). */
  userId: string | null;
  /** True when `f` is the acting caller's own org. */
  ownOrg: boolean;
}

export type Row = Record<string, unknown>;

/**
 * How the permission test exercises one table: which rows belong to an org (`scope`), which
 * are the caller's own (`own`), how to make rows as `postgres` and what to try inserting and
 * updating. In SQL, :org, :user and :resident are the acting caller's org, user and resident.
 */
export interface TableSpec {
  key: string[];
  scope: string;
  own: string;
  /** A row made as postgres; `mine` links it to the acting caller where the table has such rows. */
  make(c: Tx, x: MakeCtx, mine: boolean): Promise<Row>;
  /** The row the caller tries to insert. */
  row(c: Tx, x: MakeCtx, mine: boolean): Promise<Row>;
  set: string;
}

const one = async (c: Tx, sql: string, params: unknown[] = []): Promise<Row> => (await c.query(sql, params)).rows[0];
const tag = () => randomUUID().slice(0, 8);
const myLease = `(select lr.lease_id from public.lease_residents lr where lr.resident_id = :resident)`;

async function newResident(c: Tx, x: MakeCtx): Promise<string> {
  return (await one(c, `insert into public.residents (org_id, full_name) values ($1, 'Test Resident') returning id`, [x.f.id])).id as string;
}
async function newRequest(c: Tx, x: MakeCtx, mine: boolean): Promise<string> {
  const [unit, resident] = mine && x.ownOrg ? [x.f.residentUnitId, x.f.residentId] : [x.f.otherUnitId, x.f.otherResidentId];
  return (
    await one(c, `insert into public.maintenance_requests (org_id, unit_id, resident_id, title) values ($1, $2, $3, 'Test request') returning id`, [
      x.f.id,
      unit,
      resident,
    ])
  ).id as string;
}
const isMine = (x: MakeCtx, mine: boolean) => mine && x.ownOrg && x.userId !== null;

export const TABLES: Record<string, TableSpec> = {
  organizations: {
    key: ['id'],
    scope: 't.id = :org',
    own: 'false',
    make: async (_c, x) => ({ id: x.f.id }),
    row: async () => ({ name: 'New Org', slug: `n-${tag()}` }),
    set: 'name = t.name',
  },
  memberships: {
    key: ['org_id', 'user_id'],
    scope: 't.org_id = :org',
    own: 't.org_id = :org and t.user_id = :user',
    make: async (c, x, mine) => {
      if (isMine(x, mine)) return { org_id: x.f.id, user_id: x.userId };
      const user = await createUser(c);
      await c.query(`insert into public.memberships (org_id, user_id, role) values ($1, $2, 'viewer')`, [x.f.id, user]);
      return { org_id: x.f.id, user_id: user };
    },
    row: async (c, x) => ({ org_id: x.f.id, user_id: await createUser(c), role: 'viewer' }),
    set: 'role = t.role',
  },
  invitations: {
    key: ['id'],
    scope: 't.org_id = :org',
    own: 'false',
    make: async (c, x) =>
      one(c, `insert into public.invitations (org_id, email, role, token_hash) values ($1, $2, 'viewer', sha256($3::bytea)) returning id`, [
        x.f.id,
        `invitee-${tag()}@example.test`,
        Buffer.from(tag()),
      ]),
    row: async (_c, x) => ({ org_id: x.f.id, email: `x-${tag()}@example.test`, role: 'viewer', token_hash: Buffer.from(tag()) }),
    set: 'email = t.email',
  },
  profiles: {
    key: ['user_id'],
    scope: 't.user_id in (select m.user_id from public.memberships m where m.org_id = :org)',
    own: 't.user_id = :user',
    make: async (c, x, mine) => {
      if (isMine(x, mine)) return { user_id: x.userId };
      const user = await createUser(c);
      await c.query(`insert into public.memberships (org_id, user_id, role) values ($1, $2, 'viewer')`, [x.f.id, user]);
      return { user_id: user };
    },
    row: async (c) => ({ user_id: await createUser(c), full_name: 'X' }),
    set: 'full_name = t.full_name',
  },
  properties: {
    key: ['id'],
    scope: 't.org_id = :org',
    own: `t.id in (select u.property_id from public.units u join public.leases l on l.unit_id = u.id where l.id in ${myLease})`,
    make: async (c, x, mine) =>
      isMine(x, mine)
        ? one(c, 'select property_id as id from public.units where id = $1', [x.f.residentUnitId])
        : one(c, `insert into public.properties (org_id, name) values ($1, 'Test Property') returning id`, [x.f.id]),
    row: async (_c, x) => ({ org_id: x.f.id, name: 'New Property' }),
    set: 'name = t.name',
  },
  units: {
    key: ['id'],
    scope: 't.org_id = :org',
    own: `t.id in (select l.unit_id from public.leases l where l.id in ${myLease})`,
    make: async (c, x, mine) =>
      isMine(x, mine)
        ? { id: x.f.residentUnitId }
        : one(c, `insert into public.units (org_id, property_id, label) values ($1, $2, $3) returning id`, [x.f.id, x.f.propertyId, `T-${tag()}`]),
    row: async (_c, x) => ({ org_id: x.f.id, property_id: x.f.propertyId, label: `N-${tag()}` }),
    set: 'label = t.label',
  },
  residents: {
    key: ['id'],
    scope: 't.org_id = :org',
    own: 't.id = :resident',
    make: async (c, x, mine) => (isMine(x, mine) ? { id: x.f.residentId } : { id: await newResident(c, x) }),
    row: async (_c, x) => ({ org_id: x.f.id, full_name: 'New Resident' }),
    set: 'full_name = t.full_name',
  },
  leases: {
    key: ['id'],
    scope: 't.org_id = :org',
    own: `t.id in ${myLease}`,
    make: async (c, x, mine) =>
      isMine(x, mine)
        ? { id: x.f.residentLeaseId }
        : one(c, `insert into public.leases (org_id, unit_id, start_date, rent_minor) values ($1, $2, current_date, 100000) returning id`, [
            x.f.id,
            x.f.vacantUnitId,
          ]),
    row: async (_c, x) => ({ org_id: x.f.id, unit_id: x.f.vacantUnitId, status: 'draft', start_date: '2030-01-01', rent_minor: 120000 }),
    set: 'rent_minor = t.rent_minor',
  },
  lease_residents: {
    key: ['lease_id', 'resident_id'],
    scope: 't.org_id = :org',
    own: 't.resident_id = :resident',
    make: async (c, x, mine) => {
      if (isMine(x, mine)) return { lease_id: x.f.residentLeaseId, resident_id: x.f.residentId };
      const resident = await newResident(c, x);
      await c.query('insert into public.lease_residents (org_id, lease_id, resident_id) values ($1, $2, $3)', [x.f.id, x.f.otherLeaseId, resident]);
      return { lease_id: x.f.otherLeaseId, resident_id: resident };
    },
    row: async (c, x) => ({ org_id: x.f.id, lease_id: x.f.otherLeaseId, resident_id: await newResident(c, x) }),
    set: 'is_primary = t.is_primary',
  },
  ledger_entries: {
    key: ['id'],
    scope: 't.org_id = :org',
    own: `t.lease_id in ${myLease}`,
    make: async (c, x, mine) =>
      one(c, `select (private.insert_ledger_entry($1, $2, 'charge', 100, $3)).id`, [
        x.f.id,
        isMine(x, mine) ? x.f.residentLeaseId : x.f.otherLeaseId,
        `test:${tag()}`,
      ]),
    row: async (_c, x) => ({ org_id: x.f.id, lease_id: x.f.otherLeaseId, kind: 'charge', amount_minor: 100, currency: 'USD', idempotency_key: tag() }),
    set: 'description = t.description',
  },
  payments: {
    key: ['id'],
    scope: 't.org_id = :org',
    own: `t.lease_id in ${myLease}`,
    make: async (c, x, mine) =>
      one(c, `insert into public.payments (org_id, lease_id, amount_minor, currency) values ($1, $2, 100, 'USD') returning id`, [
        x.f.id,
        isMine(x, mine) ? x.f.residentLeaseId : x.f.otherLeaseId,
      ]),
    row: async (_c, x) => ({ org_id: x.f.id, lease_id: x.f.otherLeaseId, amount_minor: 100, currency: 'USD' }),
    set: 'status = t.status',
  },
  autopay_enrollments: {
    key: ['id'],
    scope: 't.org_id = :org',
    own: `t.lease_id in ${myLease}`,
    make: async (c, x, mine) =>
      isMine(x, mine)
        ? one(c, `insert into public.autopay_enrollments (org_id, lease_id, resident_id, enabled, stripe_payment_method_id) values ($1, $2, $3, true, 'pm_test') returning id`, [
            x.f.id,
            x.f.residentLeaseId,
            x.f.residentId,
          ])
        : one(c, `insert into public.autopay_enrollments (org_id, lease_id, resident_id, stripe_payment_method_id) values ($1, $2, $3, 'pm_test') returning id`, [
            x.f.id,
            x.f.otherLeaseId,
            await newResident(c, x),
          ]),
    row: async (c, x) => ({ org_id: x.f.id, lease_id: x.f.otherLeaseId, resident_id: await newResident(c, x), enabled: false }),
    set: 'enabled = not t.enabled',
  },
  maintenance_requests: {
    key: ['id'],
    scope: 't.org_id = :org',
    own: 't.resident_id = :resident',
    make: async (c, x, mine) => ({ id: await newRequest(c, x, mine) }),
    row: async (_c, x, mine) =>
      isMine(x, mine)
        ? { org_id: x.f.id, unit_id: x.f.residentUnitId, resident_id: x.f.residentId, title: 'Leaky tap' }
        : { org_id: x.f.id, unit_id: x.f.otherUnitId, resident_id: x.f.otherResidentId, title: 'Leaky tap' },
    set: 'priority = t.priority',
  },
  maintenance_events: {
    key: ['id'],
    scope: 't.org_id = :org',
    own: 'not t.is_internal and t.request_id in (select r.id from public.maintenance_requests r where r.resident_id = :resident)',
    make: async (c, x, mine) =>
      one(c, `insert into public.maintenance_events (org_id, request_id, kind, body) values ($1, $2, 'comment', 'Test comment') returning id`, [
        x.f.id,
        await newRequest(c, x, mine),
      ]),
    row: async (c, x, mine) => ({ org_id: x.f.id, request_id: await newRequest(c, x, mine), kind: 'comment', body: 'On my way' }),
    set: 'body = t.body',
  },
  notifications: {
    key: ['id'],
    scope: 't.org_id = :org',
    own: 't.org_id = :org and t.user_id = :user',
    make: async (c, x, mine) =>
      one(c, `insert into public.notifications (org_id, user_id, kind, title) values ($1, $2, 'test', 'Test') returning id`, [
        x.f.id,
        isMine(x, mine) ? x.userId : x.userId === x.f.users.owner ? x.f.users.admin : x.f.users.owner,
      ]),
    row: async (_c, x) => ({ org_id: x.f.id, user_id: x.userId ?? x.f.users.owner, kind: 'test', title: 'Hi' }),
    set: 'read_at = now()',
  },
  audit_log: {
    key: ['id'],
    scope: 't.org_id = :org',
    own: 'false',
    make: async (c, x) =>
      one(c, `insert into public.audit_log (org_id, table_name, record_id, action) values ($1, 'test', 'x', 'insert') returning id`, [x.f.id]),
    row: async (_c, x) => ({ org_id: x.f.id, table_name: 'test', record_id: 'x', action: 'insert' }),
    set: 'via = t.via',
  },
};
