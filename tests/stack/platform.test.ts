import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../local-stack/config.ts';
import { bootstrapPlatform } from '../../local-stack/db/bootstrap.ts';
import { generateTypes, pushMigrations, runAdvisors } from '../../local-stack/db/migrate.ts';
import { db, stack } from '../setup/clients.ts';

// What the platform bootstrap and the Supabase CLI leave in the test stack's database.

/** Everything the bootstrap defines that tools and policies can observe, as comparable rows. */
const CATALOG_SNAPSHOT = `
  select jsonb_build_object(
    'roles', (select jsonb_agg(jsonb_build_array(rolname, rolsuper, rolinherit, rolcreaterole, rolcanlogin, rolbypassrls, rolconfig) order by rolname)
              from pg_roles where rolname !~ '^pg_'),
    'members', (select jsonb_agg(jsonb_build_array(r.rolname, m.rolname) order by r.rolname, m.rolname)
              from pg_auth_members am join pg_roles r on r.oid = am.roleid join pg_roles m on m.oid = am.member),
    'schemas', (select jsonb_agg(jsonb_build_array(nspname, nspowner::regrole::text, nspacl::text) order by nspname)
              from pg_namespace where nspname !~ '^pg_' and nspname <> 'information_schema'),
    'relations', (select jsonb_agg(jsonb_build_array(c.oid::regclass::text, c.relkind, c.relowner::regrole::text, c.relacl::text, c.relrowsecurity) order by c.oid::regclass::text)
              from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname in ('auth','storage','realtime','extensions','vault','public','graphql_public')),
    'columns', (select jsonb_agg(jsonb_build_array(a.attrelid::regclass::text, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull) order by a.attrelid::regclass::text, a.attnum)
              from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
              where n.nspname in ('auth','storage','realtime','vault') and a.attnum > 0 and not a.attisdropped),
    'functions', (select jsonb_agg(jsonb_build_array(p.oid::regprocedure::text, p.prosecdef, p.provolatile, p.proacl::text, p.proconfig, md5(p.prosrc)) order by p.oid::regprocedure::text)
              from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname in ('auth','storage','realtime','vault','graphql_public','public')),
    'policies', (select jsonb_agg(jsonb_build_array(schemaname, tablename, policyname, cmd, roles::text, qual, with_check) order by schemaname, tablename, policyname) from pg_policies),
    'default_acl', (select jsonb_agg(jsonb_build_array(defaclrole::regrole::text, defaclnamespace::regnamespace::text, defaclobjtype, defaclacl::text) order by 1, 2, 3) from pg_default_acl),
    'triggers', (select jsonb_agg(jsonb_build_array(tgrelid::regclass::text, tgname, tgfoid::regprocedure::text) order by 1, 2) from pg_trigger where not tgisinternal),
    'publications', (select jsonb_agg(pubname order by pubname) from pg_publication)
  ) as snapshot`;

function databaseUrl(name: string): string {
  const url = new URL(stack().DB_URL!);
  url.pathname = `/${name}`;
  return url.toString();
}

async function onDatabase<T>(name: string, run: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl(name) });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

const BOOTSTRAP_DIR = path.join(PROJECT_ROOT, 'local-stack', 'db', 'bootstrap');

const snapshot = (name: string) => onDatabase(name, async (c) => (await c.query(CATALOG_SNAPSHOT)).rows[0].snapshot as unknown);

describe('platform bootstrap', () => {
  let admin: pg.Client;
  beforeAll(async () => {
    admin = await db();
    await admin.query('drop database if exists bootstrap_twice');
    await admin.query('drop database if exists looks_like_supabase');
    await admin.query('create database bootstrap_twice');
    await admin.query('create database looks_like_supabase');
  });
  afterAll(async () => {
    await admin.query('drop database if exists bootstrap_twice');
    await admin.query('drop database if exists looks_like_supabase');
    await admin.end();
  });

  it('applied twice gives the same database as applied once', async () => {
    expect(await bootstrapPlatform(databaseUrl('bootstrap_twice'))).toBe('applied');
    const once = await snapshot('bootstrap_twice');
    expect(await bootstrapPlatform(databaseUrl('bootstrap_twice'))).toBe('already-bootstrapped');
    expect(await snapshot('bootstrap_twice')).toEqual(once);
  });

  it('applies bootstrap files added later on top, ending where a fresh bootstrap ends', async () => {
    // An older checkout had only the first files; the newer one adds the rest.
    const older = mkdtempSync(path.join(tmpdir(), 'lintel-bootstrap-'));
    const all = readdirSync(BOOTSTRAP_DIR).filter((f) => f.endsWith('.sql')).sort();
    for (const f of all.slice(0, 3)) copyFileSync(path.join(BOOTSTRAP_DIR, f), path.join(older, f));
    await admin.query('drop database if exists bootstrap_later');
    await admin.query('create database bootstrap_later');
    try {
      expect(await bootstrapPlatform(databaseUrl('bootstrap_later'), undefined, older)).toBe('applied');
      expect(await bootstrapPlatform(databaseUrl('bootstrap_later'))).toBe('applied');
      expect(await snapshot('bootstrap_later')).toEqual(await snapshot('bootstrap_twice'));

      // A file that was applied and then edited cannot be replayed: the developer is told to reset.
      writeFileSync(path.join(older, all[0]!), `${readFileSync(path.join(older, all[0]!), 'utf8')}\n-- edited\n`);
      await expect(bootstrapPlatform(databaseUrl('bootstrap_later'), undefined, older)).rejects.toThrow(
        `This database was bootstrapped by an older ${all[0]}: run \`npm run stack -- --reset\``,
      );
    } finally {
      await admin.query('drop database if exists bootstrap_later');
      rmSync(older, { recursive: true, force: true });
    }
  });

  it('refuses a database that already is a Supabase one', async () => {
    await onDatabase('looks_like_supabase', (c) => c.query('create schema auth; create table auth.users (id uuid primary key)'));
    await expect(bootstrapPlatform(databaseUrl('looks_like_supabase'))).rejects.toThrow(/already a Supabase database/);
  });

  it('gives the API roles Supabase’s helpers and keeps auth tables away from them', async () => {
    const client = await db();
    try {
      await client.query('begin');
      await client.query("select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)", [
        JSON.stringify({ sub: '8f8e2bb5-0d57-4d3b-9b6d-1c6d1d1f0c11', role: 'authenticated', org_id: 'o-1' }),
      ]);
      const { rows } = await client.query("select auth.uid()::text as uid, auth.role() as role, auth.jwt() ->> 'org_id' as org");
      expect(rows[0]).toEqual({ uid: '8f8e2bb5-0d57-4d3b-9b6d-1c6d1d1f0c11', role: 'authenticated', org: 'o-1' });
      await expect(client.query('select * from auth.users')).rejects.toThrow(/permission denied/);
      await client.query('rollback');
    } finally {
      await client.end();
    }
  });
});

describe('Supabase CLI', () => {
  it('applied every migration in supabase/migrations, and the seed', async () => {
    const files = readdirSync(path.join(PROJECT_ROOT, 'supabase', 'migrations'))
      .filter((f) => f.endsWith('.sql'))
      .map((f) => f.split('_')[0])
      .sort();
    const client = await db();
    try {
      // The CLI creates its history table with the first migration it applies.
      const history = await client.query<{ t: string | null }>("select to_regclass('supabase_migrations.schema_migrations')::text as t");
      const applied = history.rows[0]!.t
        ? (await client.query<{ version: string }>('select version from supabase_migrations.schema_migrations order by version')).rows
        : [];
      expect(applied.map((r) => r.version)).toEqual(files);
      const seeds = await client.query<{ path: string }>('select path from supabase_migrations.seed_files');
      expect(seeds.rows.map((r) => r.path)).toEqual(['supabase/seed.sql']);
    } finally {
      await client.end();
    }
  });

  // Other test files add fixtures to the shared test database while these run, so the types
  // and the advisors are checked on a database of their own holding exactly what the
  // migrations make.
  describe('on a database with only the platform and the migrations', () => {
    const name = 'cli_check';
    beforeAll(async () => {
      const admin = await db();
      try {
        await admin.query(`drop database if exists ${name}`);
        await admin.query(`create database ${name}`);
      } finally {
        await admin.end();
      }
      await bootstrapPlatform(databaseUrl(name));
      await pushMigrations({ projectRoot: PROJECT_ROOT, dbUrl: databaseUrl(name), seed: false });
    });
    afterAll(async () => {
      const admin = await db();
      await admin.query(`drop database if exists ${name} with (force)`).finally(() => admin.end());
    });

    it('generates the same types as web/lib/database.types.ts (run `npm run types` when this fails)', async () => {
      const fresh = await generateTypes({ projectRoot: PROJECT_ROOT, dbUrl: databaseUrl(name) });
      const committed = readFileSync(path.join(PROJECT_ROOT, 'web', 'lib', 'database.types.ts'), 'utf8');
      expect(committed.trimEnd()).toBe(fresh.trimEnd());
    });

    it('finds nothing at warn level or above with db advisors', async () => {
      const findings = await runAdvisors({ projectRoot: PROJECT_ROOT, dbUrl: databaseUrl(name) });
      expect(findings.filter((f) => f.level !== 'INFO').map((f) => `${f.name}: ${f.detail}`)).toEqual([]);
    });
  });
});
