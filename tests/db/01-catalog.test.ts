import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { rolledBack } from './db.ts';

// The schemas PostgREST serves, from the same config.toml the CLI and the local stack read.
const config = parse(readFileSync(path.join(import.meta.dirname, '../../supabase/config.toml'), 'utf8')) as { api: { schemas: string[] } };
const EXPOSED = config.api.schemas;
// Ours: what the migrations create (platform schemas are Supabase's).
const OURS = ['public', 'private'];

const q = <R extends Record<string, unknown>>(sql: string, params: unknown[] = []) =>
  rolledBack(async (c) => (await c.query<R>(sql, params)).rows);

describe('catalog', () => {
  it('exposes only public and graphql_public, never private', () => {
    expect(EXPOSED).not.toContain('private');
    expect(EXPOSED).toContain('public');
  });

  it('every table in an exposed schema has RLS enabled and at least one policy', async () => {
    const rows = await q<{ tbl: string; rls: boolean; policies: string }>(
      `select format('%I.%I', n.nspname, c.relname) as tbl, c.relrowsecurity as rls,
              (select count(*) from pg_policy p where p.polrelid = c.oid) as policies
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = any ($1) and c.relkind in ('r', 'p')`,
      [EXPOSED],
    );
    expect(rows.length).toBeGreaterThan(10);
    const bad = rows.filter((r) => !r.rls || Number(r.policies) === 0).map((r) => r.tbl);
    expect(bad).toEqual([]);
  });

  it('exposes no views or materialized views that could bypass RLS', async () => {
    const rows = await q(
      `select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = any ($1) and c.relkind in ('v', 'm')
         and not coalesce('security_invoker=true' = any (c.reloptions), false)`,
      [EXPOSED],
    );
    expect(rows).toEqual([]);
  });

  it('policies are per operation, for named roles, at most one permissive per table, role and operation', async () => {
    const rows = await q<{ tbl: string; name: string; cmd: string; roles: string[]; permissive: boolean }>(
      `select format('%I.%I', n.nspname, c.relname) as tbl, p.polname as name, p.polcmd::text as cmd, p.polpermissive as permissive,
              array(select case r when 0 then 'public' else r::regrole::text end from unnest(p.polroles) r) as roles
       from pg_policy p join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = any ($1)`,
      [OURS],
    );
    expect(rows.filter((r) => r.cmd === '*').map((r) => r.name)).toEqual([]);
    expect(rows.filter((r) => r.roles.includes('public')).map((r) => r.name)).toEqual([]);
    const seen = new Map<string, string>();
    const dupes: string[] = [];
    for (const r of rows.filter((r) => r.permissive)) {
      for (const role of r.roles) {
        const k = `${r.tbl}/${role}/${r.cmd}`;
        if (seen.has(k)) dupes.push(`${seen.get(k)} + ${r.name}`);
        seen.set(k, r.name);
      }
    }
    expect(dupes).toEqual([]);
    // Greppable names: "<table>: <who> can <op> ..."
    expect(rows.filter((r) => !r.name.startsWith(`${r.tbl.split('.')[1]}: `)).map((r) => r.name)).toEqual([]);
  });

  it('policies read claims only through private helpers wrapped in (select ...)', async () => {
    const rows = await q<{ name: string; expr: string }>(
      `select policyname as name, coalesce(qual, '') || ' ' || coalesce(with_check, '') as expr
       from pg_policies where schemaname = any ($1)`,
      [OURS],
    );
    const bad = rows.filter((r) => {
      const calls = r.expr.match(/(private|auth)\.\w+\(/g) ?? [];
      const wrapped = r.expr.match(/SELECT (private|auth)\.\w+\(/g) ?? [];
      return calls.length !== wrapped.length || /current_setting\(/.test(r.expr);
    });
    expect(bad.map((r) => r.name)).toEqual([]);
  });

  it('no function in an exposed schema is security definer and callable by anon or authenticated', async () => {
    const rows = await q<{ fn: string }>(
      `select p.oid::regprocedure::text as fn
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname = any ($1) and p.prosecdef
         and (has_function_privilege('anon', p.oid, 'execute') or has_function_privilege('authenticated', p.oid, 'execute'))`,
      [EXPOSED],
    );
    expect(rows.map((r) => r.fn)).toEqual([]);
  });

  it('the security definer functions in public are the service-only money jobs', async () => {
    const rows = await q<{ fn: string }>(
      `select p.proname as fn from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname = 'public' and p.prosecdef order by 1`,
    );
    expect(rows.map((r) => r.fn)).toEqual(['claim_autopay_payments', 'handle_stripe_event', 'receipts_owed', 'record_payment_succeeded', 'sync_payment_intent', 'verify_cron_secret']);
  });

  it('every function we define pins its search_path', async () => {
    const rows = await q<{ fn: string }>(
      `select p.oid::regprocedure::text as fn from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname = any ($1) and p.prokind = 'f'
         and not exists (select 1 from unnest(coalesce(p.proconfig, '{}')) c where c like 'search_path=%')`,
      [OURS],
    );
    expect(rows.map((r) => r.fn)).toEqual([]);
  });

  it('PUBLIC cannot run private functions; anon runs only the pre-request and the invitation lookup', async () => {
    // anon may use the schema because PostgREST runs the pre-request function as anon too; every
    // private function is revoked from PUBLIC, so a grant by name is all anon can reach.
    const rows = await q<{ fn: string }>(
      `select p.oid::regprocedure::text as fn from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname = 'private' and p.prorettype <> 'trigger'::regtype
         and (has_function_privilege('anon', p.oid, 'execute')
              or exists (select 1 from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a where a.grantee = 0))
       order by 1`,
    );
    expect(rows.map((r) => r.fn)).toEqual(['private.check_request()', 'private.lookup_invitation(text)']);
    const tables = await q<{ tbl: string }>(
      `select c.oid::regclass::text as tbl from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'private' and has_table_privilege('anon', c.oid, 'select, insert, update, delete')`,
    );
    expect(tables).toEqual([]);
    const usage = await q<{ role: string; can: boolean }>(
      `select r as role, has_schema_privilege(r, 'private', 'usage') as can from unnest(array['anon', 'authenticated', 'service_role']) r`,
    );
    expect(Object.fromEntries(usage.map((r) => [r.role, r.can]))).toEqual({ anon: true, authenticated: true, service_role: true });
  });

  it('the access token hook is executable by supabase_auth_admin only', async () => {
    const rows = await q<{ role: string; can: boolean }>(
      `select r as role, has_function_privilege(r, 'public.custom_access_token_hook(jsonb)', 'execute') as can
       from unnest(array['supabase_auth_admin', 'anon', 'authenticated', 'service_role', 'authenticator']) r`,
    );
    expect(Object.fromEntries(rows.map((r) => [r.role, r.can]))).toEqual({
      supabase_auth_admin: true,
      anon: false,
      authenticated: false,
      service_role: false,
      authenticator: false,
    });
  });

  it('every foreign key to an org-scoped parent carries org_id (references stay in one org)', async () => {
    const rows = await q<{ name: string }>(
      `select con.conname as name
       from pg_constraint con
       join pg_class c on c.oid = con.conrelid join pg_namespace n on n.oid = c.relnamespace
       join pg_class pc on pc.oid = con.confrelid join pg_namespace pn on pn.oid = pc.relnamespace
       where con.contype = 'f' and n.nspname = 'public' and pn.nspname = 'public'
         and exists (select 1 from pg_attribute a where a.attrelid = pc.oid and a.attname = 'org_id')
         and not exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attnum = con.conkey[1] and a.attname = 'org_id')`,
    );
    expect(rows.map((r) => r.name)).toEqual([]);
  });
});

describe('platform', () => {
  it('PostgREST and the advisors read the exposed schemas config.toml names', async () => {
    const rows = await q<{ schemas: string }>("select current_setting('pgrst.db_schemas') as schemas");
    expect(rows[0]!.schemas.split(',').map((s) => s.trim())).toEqual(EXPOSED);
  });

  it('Postgres chooses generic or custom plans for API requests: no role or pre-request forces either', async () => {
    // Forcing a custom plan per request cost every org its planning time (README, plan_cache_mode).
    // Neither a role (API roles, authenticator) nor the database may set it again, nor the
    // pre-request function PostgREST runs before each request.
    const settings = await q<{ who: string; s: string }>(
      `select coalesce(nullif(setrole, 0)::regrole::text, 'database') as who, unnest(setconfig) as s from pg_db_role_setting
        where setdatabase in (0, (select oid from pg_database where datname = current_database()))`,
    );
    expect(settings.filter((r) => /^plan_cache_mode=/.test(r.s))).toEqual([]);
    const pre = settings.filter((r) => /^pgrst\.db_pre_request=/.test(r.s));
    expect(pre).toEqual([{ who: 'authenticator', s: 'pgrst.db_pre_request=private.check_request' }]);
    const body = await q<{ src: string; config: string[] | null }>(
      `select prosrc as src, proconfig as config from pg_proc where oid = 'private.check_request()'::regprocedure`,
    );
    expect(body[0]!.src).not.toMatch(/plan_cache_mode/);
    expect((body[0]!.config ?? []).filter((c) => c.startsWith('plan_cache_mode'))).toEqual([]);
    expect((await q<{ m: string }>("select reset_val as m from pg_settings where name = 'plan_cache_mode'"))[0]!.m).toBe('auto');
  });

  it('the API roles have no direct access to auth tables', async () => {
    const rows = await q(
      `select grantee, table_name from information_schema.role_table_grants
        where table_schema = 'auth' and grantee in ('anon', 'authenticated')`,
    );
    expect(rows).toEqual([]);
  });

  it('the server is the PostgreSQL major this pass asked for (LINTEL_TEST_PG=15 in CI’s second pass)', async () => {
    const rows = await q<{ v: string }>("select current_setting('server_version_num') as v");
    expect(Math.floor(Number(rows[0]!.v) / 10000)).toBe(process.env.LINTEL_TEST_PG === '15' ? 15 : 18);
  });
});
