import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { actAs, rolledBack } from './db.ts';

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
    expect(rows.map((r) => r.fn)).toEqual(['record_payment_succeeded', 'run_rent_charges']);
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

  it('private functions are not executable by PUBLIC, nor by anon except the PostgREST pre-request', async () => {
    const rows = await q<{ fn: string; public: boolean }>(
      `select p.oid::regprocedure::text as fn,
              exists (select 1 from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a where a.grantee = 0) as public
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname = 'private' and p.prorettype <> 'trigger'::regtype
         and (has_function_privilege('anon', p.oid, 'execute')
              or exists (select 1 from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a where a.grantee = 0))`,
    );
    // PostgREST calls the pre-request as the request's role, anon included.
    expect(rows).toEqual([{ fn: 'private.api_pre_request()', public: false }]);
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

  it('PostgREST runs private.api_pre_request in every request', async () => {
    const rows = await q<{ s: string }>(
      `select unnest(setconfig) as s from pg_db_role_setting where setrole = 'authenticator'::regrole and setdatabase = 0`,
    );
    expect(rows.map((r) => r.s)).toContain('pgrst.db_pre_request=private.api_pre_request');
    // Custom plans are the pre-request's to ask for now, not a role setting applied to inserts too.
    const roleSettings = await q<{ s: string }>(
      `select unnest(setconfig) as s from pg_db_role_setting where setrole in ('anon'::regrole, 'authenticated'::regrole, 'service_role'::regrole)`,
    );
    expect(roleSettings.map((r) => r.s).filter((s) => s.startsWith('plan_cache_mode='))).toEqual([]);
  });

  it('the pre-request asks for a plan per request for everything but inserts, for every API role', async () => {
    const cases: [string, string, string][] = [
      ['GET', '/leases', 'force_custom_plan'],
      ['HEAD', '/leases', 'force_custom_plan'],
      ['PATCH', '/leases', 'force_custom_plan'],
      ['DELETE', '/maintenance_requests', 'force_custom_plan'],
      ['POST', '/rpc/record_payment', 'force_custom_plan'],
      ['POST', '/leases', 'auto'],
    ];
    for (const claims of [{ role: 'anon' }, { role: 'authenticated', sub: '00000000-0000-4000-8000-0000000000a1' }, { role: 'service_role' }]) {
      for (const [method, path, mode] of cases) {
        const got = await rolledBack(async (c) => {
          await actAs(c, claims.role === 'anon' ? 'anon' : 'x@lintel.test', { claims, method, path });
          await c.query('select private.api_pre_request()');
          return (await c.query<{ m: string }>("select current_setting('plan_cache_mode') as m")).rows[0]!.m;
        });
        expect({ role: claims.role, method, path, mode: got }).toEqual({ role: claims.role, method, path, mode });
      }
    }
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
