// PostgREST's schema cache: tables, views, columns, keys, foreign-key relationships and
// functions of the exposed schemas, read from the catalog once and on `NOTIFY pgrst`.
import type pg from 'pg';

export interface Column {
  name: string;
  type: string;
  /** Base type name (`int4`, `text`, `_text` for arrays), for casts of JSON input. */
  typname: string;
  nullable: boolean;
  default: string | null;
  description: string | null;
  enum: string[] | null;
  generated: boolean;
}

export interface Table {
  schema: string;
  name: string;
  kind: string;
  description: string | null;
  insertable: boolean;
  updatable: boolean;
  deletable: boolean;
  columns: Column[];
  colMap: Map<string, Column>;
  pk: string[];
  uniques: string[][];
}

export interface ForeignKey {
  name: string;
  schema: string;
  table: string;
  columns: string[];
  fschema: string;
  ftable: string;
  fcolumns: string[];
  /** Carried over from a base table to a view over it; reachable by table name or hint only. */
  derived?: boolean;
}

export interface FnParam {
  name: string;
  type: string;
  typname: string;
  hasDefault: boolean;
  variadic: boolean;
  /** The relation whose row type the parameter takes (computed fields and relationships). */
  rel: { schema: string; name: string } | null;
}

export interface Fn {
  schema: string;
  name: string;
  oid: number;
  params: FnParam[];
  volatility: 'i' | 's' | 'v';
  setof: boolean;
  /** The table whose row type it returns (composite result), if any. */
  returnTable: { schema: string; name: string } | null;
  /** Columns of a RETURNS TABLE / OUT-parameter result. */
  outColumns: { name: string; type: string }[] | null;
  returnType: string;
  returnTypname: string;
  scalar: boolean;
  description: string | null;
  /** `rows 1`: a set-returning function PostgREST treats as to-one when embedded. */
  rowsOne: boolean;
  /** Its `set` clauses PostgREST applies to the request's transaction (HOISTED_SETTINGS). */
  hoisted: [string, string][];
  /**
   * Whether `/rpc` can call it: PostgREST only knows functions whose parameters are all named,
   * or that take one unnamed json / jsonb / text / xml / bytea parameter (named '').
   */
  callable: boolean;
}

export interface SchemaCache {
  tables: Map<string, Table>;
  fks: ForeignKey[];
  functions: Map<string, Fn[]>;
  schemaDescriptions: Map<string, string | null>;
  /** Settings of each database role (statement_timeout as Supabase sets it per role). */
  roleSettings: Map<string, [string, string][]>;
}

export const key = (schema: string, name: string) => `${schema}\u0000${name}`;

const TABLES_SQL = `
select n.nspname as schema, c.relname as name, c.relkind as kind,
  obj_description(c.oid, 'pg_class') as description,
  (c.relkind in ('r','p') or (pg_relation_is_updatable(c.oid::regclass, true) & 8) = 8) as insertable,
  (c.relkind in ('r','p') or (pg_relation_is_updatable(c.oid::regclass, true) & 4) = 4) as updatable,
  (c.relkind in ('r','p') or (pg_relation_is_updatable(c.oid::regclass, true) & 16) = 16) as deletable,
  coalesce((select json_agg(json_build_object(
      'name', a.attname,
      'type', format_type(a.atttypid, a.atttypmod),
      'typname', coalesce(bt.typname, t.typname),
      'nullable', not a.attnotnull,
      'default', case when a.attidentity = 'd'
        then format('nextval(%L::regclass)', pg_get_serial_sequence(format('%I.%I', n.nspname, c.relname), a.attname))
        else pg_get_expr(d.adbin, d.adrelid) end,
      'generated', a.attgenerated <> '',
      'description', col_description(c.oid, a.attnum),
      'enum', (select json_agg(e.enumlabel order by e.enumsortorder) from pg_enum e where e.enumtypid = coalesce(bt.oid, t.oid))
    ) order by a.attnum)
    from pg_attribute a
    join pg_type t on t.oid = a.atttypid
    left join pg_type bt on t.typtype = 'd' and bt.oid = t.typbasetype
    left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped), '[]') as columns,
  coalesce((select json_agg(a.attname order by array_position(k.conkey, a.attnum))
    from pg_constraint k join pg_attribute a on a.attrelid = k.conrelid and a.attnum = any(k.conkey)
    where k.conrelid = c.oid and k.contype = 'p'), '[]') as pk,
  coalesce((select json_agg((select json_agg(a.attname) from pg_attribute a where a.attrelid = k.conrelid and a.attnum = any(k.conkey)))
    from pg_constraint k where k.conrelid = c.oid and k.contype in ('p','u')), '[]') as uniques
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r','v','m','f','p') and n.nspname = any($1)`;

// Foreign keys between any tables, plus view columns traced back to table columns so that
// views get the relationships of their base tables, as PostgREST's view key dependencies do.
const FKS_SQL = `
select k.conname as name, n1.nspname as schema, c1.relname as table,
  (select json_agg(a.attname order by i) from unnest(k.conkey) with ordinality u(attnum, i) join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.attnum) as columns,
  n2.nspname as fschema, c2.relname as ftable,
  (select json_agg(a.attname order by i) from unnest(k.confkey) with ordinality u(attnum, i) join pg_attribute a on a.attrelid = k.confrelid and a.attnum = u.attnum) as fcolumns
from pg_constraint k
join pg_class c1 on c1.oid = k.conrelid join pg_namespace n1 on n1.oid = c1.relnamespace
join pg_class c2 on c2.oid = k.confrelid join pg_namespace n2 on n2.oid = c2.relnamespace
where k.contype = 'f'`;

// Simple views: which base-table column each view column passes through unchanged.
const VIEW_COLS_SQL = `
select vn.nspname as vschema, v.relname as view, va.attname as vcol,
  tn.nspname as tschema, t.relname as table, ta.attname as tcol
from pg_class v
join pg_namespace vn on vn.oid = v.relnamespace
join pg_rewrite r on r.ev_class = v.oid
join pg_depend d on d.objid = r.oid and d.classid = 'pg_rewrite'::regclass and d.refclassid = 'pg_class'::regclass and d.refobjsubid > 0
join pg_class t on t.oid = d.refobjid and t.oid <> v.oid
join pg_namespace tn on tn.oid = t.relnamespace
join pg_attribute ta on ta.attrelid = t.oid and ta.attnum = d.refobjsubid
join pg_attribute va on va.attrelid = v.oid and va.attname = ta.attname and va.attnum > 0
where v.relkind in ('v','m') and vn.nspname = any($1)`;

const FUNCTIONS_SQL = `
select p.oid::int as oid, n.nspname as schema, p.proname as name, p.provolatile as volatility, p.proretset as setof,
  format_type(p.prorettype, null) as return_type, rt.typname as return_typname, rt.typtype as return_typtype,
  rtn.nspname as rt_schema, rtc.relname as rt_table, rtc.relkind as rt_kind,
  d.description,
  coalesce((select json_agg(json_build_object(
      'name', coalesce(p.proargnames[i], ''),
      'type', format_type(t, null),
      'typname', (select typname from pg_type where oid = t),
      'mode', coalesce(p.proargmodes[i], 'i'),
      'relschema', (select rn.nspname from pg_type at join pg_class rc on rc.oid = at.typrelid join pg_namespace rn on rn.oid = rc.relnamespace where at.oid = t),
      'relname', (select rc.relname from pg_type at join pg_class rc on rc.oid = at.typrelid where at.oid = t),
      'pos', i) order by i)
    from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[])) with ordinality u(t, i)), '[]') as args,
  p.pronargdefaults as ndefaults, p.prorows::float8 as prorows, p.proconfig as config
from pg_proc p
join pg_namespace n on n.oid = p.pronamespace
join pg_type rt on rt.oid = p.prorettype
left join pg_class rtc on rtc.oid = rt.typrelid
left join pg_namespace rtn on rtn.oid = rtc.relnamespace
left join pg_description d on d.objoid = p.oid and d.classoid = 'pg_proc'::regclass
where n.nspname = any($1) and p.prokind = 'f'`;

/**
 * A function's settings PostgREST (12.2+) applies as transaction-scoped settings before calling
 * it, over the role's: `db-hoisted-tx-settings` by default (statement_timeout, the plan_filter
 * cost limit; default_transaction_isolation goes into the BEGIN). Postgres alone would apply
 * them only inside the function, too late for a timeout that starts with the statement.
 */
const HOISTED_SETTINGS = new Set(['statement_timeout', 'plan_filter.statement_cost_limit']);

const ROLE_SETTINGS_SQL = `
select r.rolname, s.setconfig
from pg_db_role_setting s join pg_roles r on r.oid = s.setrole
where s.setdatabase in (0, (select oid from pg_database where datname = current_database()))
order by s.setdatabase`;

/** Reads the catalog for the given schemas (one round trip per object kind). */
export async function loadSchemaCache(client: pg.ClientBase, schemas: string[]): Promise<SchemaCache> {
  const tablesRes = await client.query(TABLES_SQL, [schemas]);
  const fksRes = await client.query(FKS_SQL);
  const viewColsRes = await client.query(VIEW_COLS_SQL, [schemas]);
  const fnRes = await client.query(FUNCTIONS_SQL, [schemas]);
  const rolesRes = await client.query(ROLE_SETTINGS_SQL);
  const nspRes = await client.query(`select nspname, obj_description(oid, 'pg_namespace') as d from pg_namespace where nspname = any($1)`, [schemas]);
  const tables = new Map<string, Table>();
  for (const r of tablesRes.rows) {
    const columns = (r.columns as Column[]).map((c) => ({ ...c, enum: c.enum ?? null }));
    tables.set(key(r.schema, r.name), {
      schema: r.schema,
      name: r.name,
      kind: r.kind,
      description: r.description,
      insertable: r.insertable,
      updatable: r.updatable,
      deletable: r.deletable,
      columns,
      colMap: new Map(columns.map((c) => [c.name, c])),
      pk: r.pk,
      uniques: (r.uniques as string[][]).filter(Boolean),
    });
  }
  const fks: ForeignKey[] = fksRes.rows.map((r) => ({ ...r }));
  // Views inherit the foreign keys of their base tables when the key columns pass through.
  const viewCols = new Map<string, { vschema: string; view: string; vcol: string }[]>();
  for (const r of viewColsRes.rows) {
    const k = `${key(r.tschema, r.table)}\u0000${r.tcol}`;
    if (!viewCols.has(k)) viewCols.set(k, []);
    viewCols.get(k)!.push(r);
  }
  const viewsOf = (schema: string, table: string, cols: string[]) => {
    const out: { schema: string; name: string; cols: string[] }[] = [];
    const first = viewCols.get(`${key(schema, table)}\u0000${cols[0]}`) ?? [];
    for (const v of first) {
      const mapped = cols.map((c) => (viewCols.get(`${key(schema, table)}\u0000${c}`) ?? []).find((x) => x.vschema === v.vschema && x.view === v.view)?.vcol);
      if (mapped.every(Boolean)) out.push({ schema: v.vschema, name: v.view, cols: mapped as string[] });
    }
    return out;
  };
  const derived: ForeignKey[] = [];
  for (const fk of fks) {
    const sources = [{ schema: fk.schema, name: fk.table, cols: fk.columns }, ...viewsOf(fk.schema, fk.table, fk.columns)];
    const targets = [{ schema: fk.fschema, name: fk.ftable, cols: fk.fcolumns }, ...viewsOf(fk.fschema, fk.ftable, fk.fcolumns)];
    for (const s of sources) {
      for (const t of targets) {
        if (s.name === fk.table && s.schema === fk.schema && t.name === fk.ftable && t.schema === fk.fschema) continue;
        derived.push({ name: fk.name, schema: s.schema, table: s.name, columns: s.cols, fschema: t.schema, ftable: t.name, fcolumns: t.cols, derived: true });
      }
    }
  }
  // Views repeat their base table's keys for the one-to-one check and the Location header.
  for (const t of tables.values()) {
    if (t.kind !== 'v' && t.kind !== 'm') continue;
    if (t.pk.length > 0) continue;
    for (const [, base] of tables) {
      if (base.kind !== 'r' && base.kind !== 'p') continue;
      const mapped = viewsOf(base.schema, base.name, base.pk.length ? base.pk : ['\u0000']).find((v) => v.schema === t.schema && v.name === t.name);
      if (mapped && base.pk.length) {
        t.pk = mapped.cols;
        break;
      }
    }
  }

  const functions = new Map<string, Fn[]>();
  for (const r of fnRes.rows) {
    const args = r.args as { name: string; type: string; typname: string; mode: string; pos: number; relschema: string | null; relname: string | null }[];
    const inputs = args.filter((a) => a.mode === 'i' || a.mode === 'b' || a.mode === 'v');
    const outs = args.filter((a) => a.mode === 'o' || a.mode === 'b' || a.mode === 't');
    const ndef = r.ndefaults as number;
    const params: FnParam[] = inputs.map((a, i) => ({
      name: a.name,
      type: a.type,
      typname: a.typname,
      hasDefault: i >= inputs.length - ndef,
      variadic: a.mode === 'v',
      rel: a.relname ? { schema: a.relschema!, name: a.relname } : null,
    }));
    const composite = r.rt_table && (r.rt_kind === 'r' || r.rt_kind === 'v' || r.rt_kind === 'm' || r.rt_kind === 'f' || r.rt_kind === 'p' || r.rt_kind === 'c');
    const outColumns = r.return_typname === 'record' && outs.length > 0 ? outs.map((o) => ({ name: o.name, type: o.type })) : null;
    const fn: Fn = {
      schema: r.schema,
      name: r.name,
      oid: r.oid,
      params,
      volatility: r.volatility,
      setof: r.setof,
      returnTable: composite ? { schema: r.rt_schema, name: r.rt_table } : null,
      outColumns,
      returnType: r.return_type,
      returnTypname: r.return_typname,
      scalar: !composite && !outColumns && r.return_typname !== 'record',
      description: r.description,
      rowsOne: r.prorows === 1,
      hoisted: ((r.config as string[] | null) ?? [])
        .map((c) => [c.slice(0, c.indexOf('=')), c.slice(c.indexOf('=') + 1)] as [string, string])
        .filter(([k]) => HOISTED_SETTINGS.has(k)),
      callable: params.every((x) => x.name) || (params.length === 1 && ['json', 'jsonb', 'text', 'xml', 'bytea'].includes(params[0]!.typname)),
    };
    const k = key(r.schema, r.name);
    if (!functions.has(k)) functions.set(k, []);
    functions.get(k)!.push(fn);
  }
  const roleSettings = new Map<string, [string, string][]>();
  for (const r of rolesRes.rows) {
    const list = roleSettings.get(r.rolname) ?? [];
    for (const s of (r.setconfig as string[]) ?? []) {
      const eq = s.indexOf('=');
      const k = s.slice(0, eq);
      const idx = list.findIndex(([n]) => n === k);
      if (idx >= 0) list.splice(idx, 1);
      list.push([k, s.slice(eq + 1)]);
    }
    roleSettings.set(r.rolname, list);
  }
  return {
    tables,
    fks: [...fks, ...derived],
    functions,
    schemaDescriptions: new Map(nspRes.rows.map((r) => [r.nspname, r.d])),
    roleSettings,
  };
}
