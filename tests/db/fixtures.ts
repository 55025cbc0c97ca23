import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { pool } from './db.ts';

export const ROLES = ['owner', 'admin', 'manager', 'maintenance', 'viewer', 'resident'] as const;
export type Role = (typeof ROLES)[number];
export type OrgKey = 'acme' | 'birch';

/** Seeded org slugs and login domains by short name (supabase/seed.sql). */
export const ORGS: Record<OrgKey, { slug: string; domain: string }> = {
  acme: { slug: 'acme', domain: 'acme.test' },
  birch: { slug: 'birchwood', domain: 'birch.test' },
};

export const login = (role: Role, org: OrgKey) => `${role}@${ORGS[org].domain}`;
export const other = (org: OrgKey): OrgKey => (org === 'acme' ? 'birch' : 'acme');

export interface OrgFixture {
  id: string;
  /** The resident login's resident row, one of its leases and that lease's unit. */
  residentId: string;
  residentLeaseId: string;
  residentUnitId: string;
  /** Another resident of the org with an active lease (not the login). */
  otherResidentId: string;
  otherLeaseId: string;
  otherUnitId: string;
  propertyId: string;
  vacantUnitId: string;
  users: Record<Role, string>;
}

let cached: Promise<Record<OrgKey, OrgFixture>> | undefined;

/** The seeded demo data, looked up by name. */
export function fixtures(): Promise<Record<OrgKey, OrgFixture>> {
  cached ??= (async () => {
    const out = {} as Record<OrgKey, OrgFixture>;
    for (const key of ['acme', 'birch'] as OrgKey[]) {
      const q = (sql: string, params: unknown[]) => pool().query(sql, params).then((r) => r.rows[0]);
      const org = await q('select id from public.organizations where slug = $1', [ORGS[key].slug]);
      const users = {} as Record<Role, string>;
      for (const role of ROLES) users[role] = (await q('select id from auth.users where email = $1', [login(role, key)])).id;
      const mine = await q(
        `select r.id as resident_id, l.id as lease_id, l.unit_id from public.residents r
         join public.lease_residents lr on lr.resident_id = r.id join public.leases l on l.id = lr.lease_id
         where r.user_id = $1 and l.status = 'active'`,
        [users.resident],
      );
      const theirs = await q(
        `select r.id as resident_id, l.id as lease_id, l.unit_id from public.residents r
         join public.lease_residents lr on lr.resident_id = r.id join public.leases l on l.id = lr.lease_id
         where r.org_id = $1 and r.user_id is null and l.status = 'active' order by l.id limit 1`,
        [org.id],
      );
      const vacant = await q(
        `select u.id, u.property_id from public.units u where u.org_id = $1
         and not exists (select 1 from public.leases l where l.unit_id = u.id) order by u.id limit 1`,
        [org.id],
      );
      out[key] = {
        id: org.id,
        residentId: mine.resident_id,
        residentLeaseId: mine.lease_id,
        residentUnitId: mine.unit_id,
        otherResidentId: theirs.resident_id,
        otherLeaseId: theirs.lease_id,
        otherUnitId: theirs.unit_id,
        propertyId: vacant.property_id,
        vacantUnitId: vacant.id,
        users,
      };
    }
    return out;
  })();
  return cached;
}

/** A new login (GoTrue's column conventions), inside the caller's transaction. */
export async function createUser(client: pg.ClientBase, email = `user-${randomUUID()}@example.test`): Promise<string> {
  const { rows } = await client.query(
    `insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
       confirmation_token, recovery_token, email_change_token_new, email_change, raw_app_meta_data, raw_user_meta_data,
       created_at, updated_at)
     values ('00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated', $1, '', now(),
       '', '', '', '', '{"provider":"email","providers":["email"]}', '{}', now(), now())
     returning id`,
    [email],
  );
  return rows[0].id;
}

/** A throwaway org (committed), with a login per staff role, a unit and an active lease. */
export async function createOrg(opts: { rent?: number; start?: string; end?: string | null; dueDay?: number; graceDays?: number; lateFee?: number } = {}) {
  const client = await pool().connect();
  try {
    await client.query('begin');
    const slug = `t-${randomUUID().slice(0, 8)}`;
    const org = (await client.query(`insert into public.organizations (name, slug) values ($1, $2) returning id`, [`Test ${slug}`, slug])).rows[0].id;
    const users = {} as Record<string, { id: string; email: string }>;
    for (const role of ['owner', 'admin', 'manager', 'maintenance', 'viewer'] as const) {
      const email = `${role}-${slug}@example.test`;
      const id = await createUser(client, email);
      await client.query('insert into public.memberships (org_id, user_id, role) values ($1, $2, $3)', [org, id, role]);
      users[role] = { id, email };
    }
    const property = (await client.query(`insert into public.properties (org_id, name) values ($1, 'P') returning id`, [org])).rows[0].id;
    const unit = (await client.query(`insert into public.units (org_id, property_id, label) values ($1, $2, '1') returning id`, [org, property])).rows[0].id;
    const lease = (
      await client.query(
        `insert into public.leases (org_id, unit_id, status, start_date, end_date, rent_minor, due_day, grace_days, late_fee_minor)
         values ($1, $2, 'active', $3, $4, $5, $6, $7, $8) returning id`,
        [org, unit, opts.start ?? '2001-01-01', opts.end ?? null, opts.rent ?? 100000, opts.dueDay ?? 1, opts.graceDays ?? 5, opts.lateFee ?? 5000],
      )
    ).rows[0].id;
    await client.query('commit');
    return { org, slug, users, property, unit, lease };
  } catch (err) {
    await client.query('rollback');
    throw err;
  } finally {
    client.release();
  }
}
