import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const SQL_DIR = fileURLToPath(new URL('./bootstrap/', import.meta.url));

/** Database-level setting that records which bootstrap a database received. */
export const MARKER_SETTING = 'lintel.platform_bootstrap';

/** Prefix of the comment on role supabase_admin when this bootstrap created the role. */
const ROLE_COMMENT_PREFIX = 'lintel platform bootstrap';

/** Any fixed key works; it only serialises concurrent bootstraps of one cluster. */
const ADVISORY_LOCK_KEY = 4_711_220_041;

type Queryable = Pick<pg.ClientBase, 'query'>;

interface SqlFile {
  name: string;
  sql: string;
}

function loadSqlFiles(): SqlFile[] {
  return readdirSync(SQL_DIR)
    .filter((name) => name.endsWith('.sql'))
    .sort()
    .map((name) => ({ name, sql: readFileSync(SQL_DIR + name, 'utf8') }));
}

/**
 * The version is a digest of the SQL, so a database bootstrapped by different SQL is
 * recognised instead of being silently treated as current.
 */
function bootstrapVersion(files: SqlFile[]): string {
  const hash = createHash('sha256');
  for (const file of files) hash.update(file.name).update('\0').update(file.sql).update('\0');
  return hash.digest('hex').slice(0, 16);
}

async function readMarker(client: Queryable): Promise<string | null> {
  const { rows } = await client.query<{ value: string }>(
    `select split_part(cfg, '=', 2) as value
       from pg_catalog.pg_db_role_setting s
       join pg_catalog.pg_database d on d.oid = s.setdatabase
       cross join lateral unnest(s.setconfig) as cfg
      where d.datname = current_database()
        and s.setrole = 0
        and split_part(cfg, '=', 1) = $1`,
    [MARKER_SETTING],
  );
  return rows[0]?.value ?? null;
}

/**
 * True when the database is a real Supabase one: it has Supabase's superuser role
 * supabase_admin (or an auth schema) that this bootstrap did not create.
 */
export async function isRealSupabase(client: Queryable): Promise<boolean> {
  if ((await readMarker(client)) !== null) return false;
  const { rows } = await client.query<{ admin_is_ours: boolean | null; has_auth: boolean }>(
    `select
       (select coalesce(shobj_description(oid, 'pg_authid'), '') like $1
          from pg_catalog.pg_roles where rolname = 'supabase_admin') as admin_is_ours,
       exists (select from pg_catalog.pg_namespace where nspname = 'auth') as has_auth`,
    [`${ROLE_COMMENT_PREFIX}%`],
  );
  const { admin_is_ours, has_auth } = rows[0];
  // admin_is_ours is null when supabase_admin does not exist.
  return admin_is_ours === false || has_auth;
}

/** Gives a vanilla Postgres the roles, schemas and objects a Supabase database starts with. */
export async function bootstrapPlatform(
  dbUrl: string,
  log: (msg: string) => void = () => {},
): Promise<'applied' | 'already-bootstrapped'> {
  const files = loadSqlFiles();
  const version = bootstrapVersion(files);
  const client = new pg.Client({ connectionString: dbUrl });
  // The SQL raises NOTICEs for grants that already exist; they carry no information.
  client.on('notice', () => {});
  await client.connect();
  try {
    await client.query('begin');
    try {
      await client.query('select pg_advisory_xact_lock($1)', [ADVISORY_LOCK_KEY]);
      const marker = await readMarker(client);
      if (marker === version) {
        await client.query('rollback');
        log(`platform bootstrap ${version} already applied`);
        return 'already-bootstrapped';
      }
      if (marker !== null) {
        throw new Error(
          `This database was bootstrapped by platform bootstrap ${marker}, not the current ${version}; recreate the local database to apply the new bootstrap.`,
        );
      }
      if (await isRealSupabase(client)) {
        throw new Error(
          'Refusing to bootstrap: this database is already a Supabase database (role supabase_admin or schema auth exists without the Lintel bootstrap marker).',
        );
      }
      for (const file of files) {
        log(`platform bootstrap: ${file.name}`);
        try {
          await client.query(file.sql);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          throw new Error(`Platform bootstrap failed in ${file.name}: ${message}`, { cause: error });
        }
      }
      const { rows } = await client.query<{ db: string }>(
        'select quote_ident(current_database()) as db',
      );
      await client.query(`alter database ${rows[0].db} set ${MARKER_SETTING} = '${version}'`);
      await client.query(`comment on role supabase_admin is '${ROLE_COMMENT_PREFIX} ${version}'`);
      await client.query('commit');
      log(`platform bootstrap ${version} applied`);
      return 'applied';
    } catch (error) {
      await client.query('rollback').catch(() => {});
      throw error;
    }
  } finally {
    await client.end();
  }
}
