import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../local-stack/config.ts';

// The catalog check: whatever the migrations add, every table the API exposes is guarded by
// RLS with policies, and no function callable through the API runs as its owner without need.

const exposed = loadConfig().api.schemas;
let client: pg.Client;

beforeAll(async () => {
  client = new pg.Client({ connectionString: inject('stack').DB_URL });
  await client.connect();
});
afterAll(() => client.end());

describe('exposed schemas', () => {
  it('are the ones config.toml [api] names, as PostgREST and the advisors read them', async () => {
    const { rows } = await client.query<{ schemas: string }>("select current_setting('pgrst.db_schemas') as schemas");
    expect(rows[0]!.schemas.split(',').map((s) => s.trim())).toEqual(exposed);
  });

  it('hold no table or view without row-level security and policies', async () => {
    const { rows } = await client.query<{ name: string; rls: boolean; policies: number }>(
      `select c.oid::regclass::text as name, c.relrowsecurity as rls,
              (select count(*)::int from pg_policy p where p.polrelid = c.oid) as policies
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = any($1) and c.relkind in ('r', 'p')`,
      [exposed],
    );
    expect(rows.filter((r) => !r.rls || r.policies === 0).map((r) => r.name)).toEqual([]);
    const views = await client.query<{ name: string }>(
      `select c.oid::regclass::text as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = any($1) and c.relkind in ('v', 'm')
          and not coalesce(c.reloptions::text[] @> array['security_invoker=true'], false)`,
      [exposed],
    );
    expect(views.rows.map((r) => r.name)).toEqual([]);
  });

  it('expose no security-definer function to anon', async () => {
    const { rows } = await client.query<{ fn: string }>(
      `select p.oid::regprocedure::text as fn from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = any($1) and p.prosecdef and has_function_privilege('anon', p.oid, 'execute')`,
      [exposed],
    );
    expect(rows.map((r) => r.fn)).toEqual([]);
  });
});

describe('platform schemas', () => {
  it('give the API roles no direct access to auth tables', async () => {
    const { rows } = await client.query<{ grantee: string; table: string }>(
      `select grantee, table_name as table from information_schema.role_table_grants
        where table_schema = 'auth' and grantee in ('anon', 'authenticated')`,
    );
    expect(rows).toEqual([]);
  });
});

describe('database server', () => {
  it('is the PostgreSQL major this pass asked for (LINTEL_TEST_PG=15 in CI’s second pass)', async () => {
    const { rows } = await client.query<{ v: string }>("select current_setting('server_version_num') as v");
    const major = Math.floor(Number(rows[0]!.v) / 10000);
    expect(major).toBe(process.env.LINTEL_TEST_PG === '15' ? 15 : 18);
  });
});
