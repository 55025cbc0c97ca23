import type pg from 'pg';
import type { StackConfig } from '../config.ts';
import { ident } from './query.ts';

/** PostgREST's settings: config.toml's `[api]`, overridden by `pgrst.*` settings in the database. */
export interface RestConfig {
  schemas: string[];
  extraSearchPath: string[];
  maxRows: number | undefined;
  planEnabled: boolean;
  aggregatesEnabled: boolean;
  txEnd: 'commit' | 'commit-allow-override' | 'rollback' | 'rollback-allow-override';
  /** The statement that calls db_pre_request, built once per configuration load. */
  preRequestSql: string | undefined;
  anonRole: string;
}

const IN_DB_SETTINGS = ['db_schemas', 'db_extra_search_path', 'db_max_rows', 'db_plan_enabled', 'db_aggregates_enabled', 'db_tx_end', 'db_pre_request', 'db_anon_role'];

/** The authenticator login PostgREST uses, derived from the stack's database URL. */
export function authenticatorUrl(dbUrl: string): string {
  const u = new URL(dbUrl);
  u.username = 'authenticator';
  u.password = 'postgres';
  return u.toString();
}

/** PostgREST's in-database configuration: `pgrst.*` settings of the authenticator role. */
export async function readConfig(client: pg.ClientBase, api: StackConfig['api']): Promise<RestConfig> {
  const base: RestConfig = {
    schemas: api.schemas,
    extraSearchPath: api.extraSearchPath,
    maxRows: api.maxRows,
    planEnabled: false,
    aggregatesEnabled: false,
    txEnd: 'commit',
    preRequestSql: undefined,
    anonRole: 'anon',
  };
  const { rows } = await client.query<{ k: string; v: string }>(
    `with s as (
       select s.setdatabase, unnest(s.setconfig) as setting
       from pg_catalog.pg_db_role_setting s
       where s.setrole = (select oid from pg_roles where rolname = 'authenticator')
         and s.setdatabase in (0, (select oid from pg_database where datname = current_database())))
     select distinct on (k) k, v from (
       select replace(split_part(setting, '=', 1), 'pgrst.', '') as k, substr(setting, strpos(setting, '=') + 1) as v, setdatabase
       from s where setting like 'pgrst.%') x
     where k = any($1) order by k, setdatabase desc`,
    [IN_DB_SETTINGS],
  );
  const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);
  const bool = (v: string) => ['true', 'on', 'yes', '1'].includes(v.toLowerCase());
  for (const { k, v } of rows) {
    if (k === 'db_schemas') base.schemas = list(v);
    else if (k === 'db_extra_search_path') base.extraSearchPath = list(v);
    else if (k === 'db_max_rows') base.maxRows = /^\d+$/.test(v) ? Number(v) : undefined;
    else if (k === 'db_plan_enabled') base.planEnabled = bool(v);
    else if (k === 'db_aggregates_enabled') base.aggregatesEnabled = bool(v);
    else if (k === 'db_tx_end' && ['commit', 'commit-allow-override', 'rollback', 'rollback-allow-override'].includes(v)) base.txEnd = v as RestConfig['txEnd'];
    else if (k === 'db_pre_request') base.preRequestSql = v ? `select ${v.split('.').map(ident).join('.')}()` : undefined;
    else if (k === 'db_anon_role') base.anonRole = v || 'anon';
  }
  return base;
}
