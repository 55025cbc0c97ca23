import { pathToFileURL } from 'node:url';
import cliProgress from 'cli-progress';
import pg from 'pg';

/** Shape of a generated portfolio dataset (defaults: the benchmark scale). */
export interface DatasetOptions {
  orgs: number;
  /** Orgs with `largeUnits` units each; the rest follow a skewed curve, most under 100. */
  largeOrgs: number;
  largeUnits: number;
  /** Months of rent and payment history per active lease (2 ledger rows a month). */
  months: number;
  seed: number;
  /** Org slugs are `<prefix>-000001`…, manager logins `manager@<prefix>-000001.test`: two datasets can share a database. */
  prefix?: string;
}

export const DEFAULT_DATASET: DatasetOptions = { orgs: 2000, largeOrgs: 5, largeUnits: 5000, months: 10, seed: 0.42 };

/** Marker org slug: a database that has it already holds a generated dataset with this prefix. */
export const marker = (prefix = 'bench') => `${prefix}-000001`;
/** The default dataset's marker. */
export const MARKER = marker();

// Each step is one set-based statement (generate_series), run as postgres with triggers and
// foreign-key checks off (session_replication_role = replica); the cached columns the triggers
// would keep (unit_count, balance_minor, rent_posted_period) are computed in bulk afterwards.
const steps = (o: DatasetOptions): [string, string][] => [
  ['orgs', `
    select setseed(${o.seed});
    create temp table g_orgs on commit drop as
      select i, gen_random_uuid() as id,
             case when i <= ${o.largeOrgs} then ${o.largeUnits} else (10 + 312 * power(random(), 3))::int end as units
      from generate_series(1, ${o.orgs}) i;
    insert into public.organizations (id, name, slug, plan, unit_limit, unit_count)
      select id, 'Bench Org ' || i, '${o.prefix ?? 'bench'}-' || lpad(i::text, 6, '0'), 'enterprise', 10000, units from g_orgs;`],
  ['properties', `
    create temp table g_props on commit drop as
      select o.id as org_id, gen_random_uuid() as id, p as pn, greatest(1, o.units / 25) as nprops
      from g_orgs o, generate_series(1, greatest(1, o.units / 25)) p;
    insert into public.properties (id, org_id, name, address_line1, city)
      select id, org_id, 'Property ' || pn, pn || ' Main St', 'Springfield' from g_props;`],
  ['units', `
    create temp table g_units on commit drop as
      select gen_random_uuid() as id, o.id as org_id, n, o.units from g_orgs o, generate_series(1, o.units) n;
    insert into public.units (id, org_id, property_id, label, bedrooms, market_rent_minor)
      select u.id, u.org_id, p.id, 'Unit ' || u.n, 1 + u.n % 3, 90000 + (u.n % 17) * 10000
      from g_units u join g_props p on p.org_id = u.org_id and p.pn = 1 + (u.n - 1) % p.nprops;`],
  ['residents and leases', `
    create temp table g_leases on commit drop as
      select gen_random_uuid() as id, gen_random_uuid() as resident_id, u.id as unit_id, u.org_id, u.n,
             case when u.n % 2 = 1 then 'active' else 'ended' end as status,
             90000 + (u.n % 17) * 10000 as rent
      from g_units u where u.n % 2 = 1 or u.n % 10 = 0;
    insert into public.residents (id, org_id, full_name, email)
      select resident_id, org_id, 'Resident ' || n, 'resident' || n || '@example.com' from g_leases;
    insert into public.leases (id, org_id, unit_id, status, start_date, end_date, rent_minor, currency, due_day, grace_days, late_fee_minor)
      select id, org_id, unit_id, status,
             case when status = 'ended' then (date_trunc('month', current_date) - interval '1 day')::date - 765
                  else (date_trunc('month', current_date) - interval '${o.months} months')::date + case when n % 7 = 0 then 9 else 0 end end,
             case when status = 'ended' then (date_trunc('month', current_date) - interval '1 day')::date - 400 end,
             rent, 'USD', 1, 5, 5000
      from g_leases;
    insert into public.lease_residents (org_id, lease_id, resident_id, is_primary)
      select org_id, id, resident_id, true from g_leases;`],
  ['ledger entries', `
    insert into public.ledger_entries (org_id, lease_id, kind, amount_minor, currency, effective_date, period_start, period_end, description, idempotency_key)
      select l.org_id, l.id, k.kind,
             case k.kind when 'rent' then l.rent else -l.rent end, 'USD',
             m.month + case k.kind when 'rent' then 0 else 2 + l.n % 9 end,
             case k.kind when 'rent' then m.month end,
             case k.kind when 'rent' then (m.month + interval '1 month - 1 day')::date end,
             initcap(k.kind) || ' ' || to_char(m.month, 'YYYY-MM'),
             case k.kind when 'rent' then 'rent:' else 'stripe:pi_' end || l.id || ':' || to_char(m.month, 'YYYY-MM')
      from g_leases l
      cross join lateral (
        select (date_trunc('month', current_date) - make_interval(months => i))::date as month, i
        from generate_series(1, ${o.months}) i
      ) m
      cross join (values ('rent'), ('payment')) k (kind)
      where l.status = 'active'
        -- about one lease in twelve has stopped paying for its last one to three months
        and not (k.kind = 'payment' and l.n % 23 in (1, 3, 5) and m.i <= 1 + l.n % 3);`],
  ['maintenance requests', `
    insert into public.maintenance_requests (org_id, unit_id, title, category, priority, status, closed_at, created_at)
      select u.org_id, u.id, 'Request ' || u.n,
             (array['general', 'plumbing', 'electrical', 'hvac', 'appliance'])[1 + u.n % 5],
             (array['low', 'normal', 'normal', 'high', 'emergency'])[1 + (u.n / 2) % 5],
             s.status, case when s.status in ('completed', 'canceled') then now() - interval '3 days' end,
             now() - make_interval(days => u.n % 300)
      from g_units u
      cross join lateral (select (array['open', 'in_progress', 'completed', 'completed', 'completed', 'canceled', 'on_hold', 'completed'])[1 + u.n % 8] as status) s
      where u.n % 2 = 0;`],
  ['balances', `
    update public.leases l set balance_minor = s.total, rent_posted_period = s.rent_period
      from (select e.lease_id, sum(e.amount_minor) as total,
                   max(date_trunc('month', e.period_start)::date) filter (where e.kind = 'rent') as rent_period
            from public.ledger_entries e
            where e.org_id in (select id from g_orgs) group by e.lease_id) s
      where l.id = s.lease_id;`],
  ['managers', `
    insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at, confirmation_token,
        recovery_token, email_change_token_new, email_change, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
      select '00000000-0000-0000-0000-000000000000', gen_random_uuid(), 'authenticated', 'authenticated',
             'manager@${o.prefix ?? 'bench'}-' || lpad(i::text, 6, '0') || '.test', '', now(), '', '', '', '',
             '{"provider":"email","providers":["email"]}', '{}', now(), now()
      from g_orgs;
    insert into public.profiles (user_id, full_name) select id, 'Bench Manager' from auth.users where email like 'manager@${o.prefix ?? 'bench'}-%';
    insert into public.memberships (org_id, user_id, role)
      select o.id, u.id, 'manager' from g_orgs o join auth.users u on u.email = 'manager@${o.prefix ?? 'bench'}-' || lpad(o.i::text, 6, '0') || '.test';`],
];

/**
 * Fills a migrated Lintel database with a skewed multi-org dataset. Idempotent: a database that
 * already has it is left alone. Returns the row counts.
 */
export async function generateDataset(dbUrl: string, opts: DatasetOptions = DEFAULT_DATASET, log = (s: string) => process.stdout.write(s)): Promise<Record<string, number>> {
  const client = new pg.Client({ connectionString: dbUrl });
  await client.connect();
  try {
    const exists = await client.query('select 1 from public.organizations where slug = $1', [marker(opts.prefix)]);
    if (!exists.rowCount) {
      const list = steps(opts);
      const bar = new cliProgress.SingleBar(
        { format: 'Generating dataset [{bar}] {value}/{total} {step} ({duration}s)', hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      bar.start(list.length + 1, 0, { step: list[0]![0] });
      await client.query('begin');
      await client.query(`set local session_replication_role = replica`);
      await client.query(`set local maintenance_work_mem = '256MB'`);
      await client.query(`set local work_mem = '64MB'`);
      for (const [i, [name, sql]] of list.entries()) {
        bar.update(i, { step: name });
        await client.query(sql);
      }
      await client.query('commit');
      bar.update(list.length, { step: 'analyze' });
      await client.query('vacuum analyze');
      bar.update(list.length + 1, { step: 'done' });
      bar.stop();
    } else {
      log('Dataset already present; reusing it.\n');
    }
    // The dataset's own rows (other datasets, the seed and tests may share the database).
    const counts = await client.query(
      `with o as (select id, unit_count from public.organizations where slug like $1)
       select (select count(*) from o)::int as orgs,
              (select count(*) from public.units where org_id in (select id from o))::int as units,
              (select count(*) from public.leases where status = 'active' and org_id in (select id from o))::int as active_leases,
              (select count(*) from public.ledger_entries where org_id in (select id from o))::int as ledger_entries,
              (select count(*) from public.maintenance_requests where org_id in (select id from o))::int as maintenance_requests,
              (select count(*) from o where unit_count < 100)::int as orgs_under_100_units`,
      [`${opts.prefix ?? 'bench'}-%`],
    );
    return counts.rows[0];
  } finally {
    await client.end();
  }
}

// `tsx tests/load/generate.ts <db url>`: generate into any migrated database.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const url = process.argv[2] ?? process.env.DB_URL;
  if (!url) {
    process.stderr.write('usage: tsx tests/load/generate.ts <postgres url>\n');
    process.exit(2);
  }
  const t0 = performance.now();
  const counts = await generateDataset(url);
  process.stdout.write(`${JSON.stringify(counts)} in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
}
