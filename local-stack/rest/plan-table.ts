import type { RestConfig } from './config.ts';
import { ApiError, columnNotFound, fromPg } from './errors.ts';
import { buildSelect, checkLevels, embedPaths, ident, lit, orderSql, Params, whereSql, type BuildOptions } from './query.ts';
import type { Preferences, QueryRequest } from './request.ts';
import type { SchemaCache, Table } from './schema.ts';
import { bodyExpr, fuzzyBest, invalidBody, parseJson, parseQuery, parseRange, wrapRead, type ParsedQuery, type Plan } from './statement.ts';

// PostgREST's read and mutate plans for a table or view (Plan.hs ReadPlan / MutatePlan, built
// as Query/QueryBuilder.hs writes them).

/** What planning one table request reads. */
export interface TablePlanning {
  readonly request: QueryRequest;
  readonly table: Table;
  readonly cache: SchemaCache;
  readonly config: RestConfig;
}

/** Plans a GET / HEAD, DELETE, PATCH, POST or PUT on a table or view. */
export function planTable(x: TablePlanning): Plan {
  const { request } = x;
  const query = parseQuery(request.query, new Set());
  checkLevels(query.levels, embedPaths(query.select));
  const opts: BuildOptions = { cache: x.cache, aggregatesEnabled: x.config.aggregatesEnabled, counter: { n: 0 } };
  switch (request.method) {
    case 'GET':
    case 'HEAD':
      return planRead(x, query, opts);
    case 'DELETE':
      return planDelete(x, query, opts);
    case 'PATCH':
      return planUpdate(x, query, opts);
    default:
      return planInsert(x, query, opts);
  }
}

const fromOf = (table: Table) => `${ident(table.schema)}.${ident(table.name)}`;

function planRead({ request, table, config }: TablePlanning, { levels, select }: ParsedQuery, opts: BuildOptions): Plan {
  const { prefer, media } = request;
  const top = levels.get('')!;
  const p = new Params();
  const alias = table.name;
  const from = fromOf(table);
  const range = parseRange(request.headers.range);
  const offset = (range?.offset ?? 0) + (top.offset ?? 0);
  let limit = top.limit;
  if (range?.limit !== undefined) limit = limit === undefined ? Math.max(0, range.limit - (top.offset ?? 0)) : Math.min(limit, range.limit);
  if (config.maxRows !== undefined) limit = limit === undefined ? config.maxRows : Math.min(limit, config.maxRows);
  const sel = buildSelect(select, table, alias, p, levels, '', opts);
  const where = whereSql(top, alias, p, sel.embeds, table);
  const group = sel.hasAggregate && sel.groupBy.length ? `group by ${sel.groupBy.join(', ')}` : '';
  const order = top.order?.length ? `order by ${orderSql(top.order, alias, sel.embeds, table.name)}` : '';
  const limitSql = limit !== undefined ? `limit ${p.add(limit)}` : '';
  const offsetSql = offset ? `offset ${p.add(offset)}` : '';
  const source = `select ${sel.columns.join(', ') || 'null'} from ${from} as ${ident(alias)} ${sel.joins.join(' ')} ${where} ${group} ${order} ${limitSql} ${offsetSql}`;
  let countSql: string | undefined;
  let countValues: unknown[] | undefined;
  if (prefer.count) {
    // Count with the same filters and the inner joins that restrict the top level.
    const cp = new Params();
    const csel = buildSelect(select, table, alias, cp, levels, '', { ...opts, counter: { n: 0 } });
    const cwhere = whereSql(top, alias, cp, csel.embeds, table);
    const usesEmbeds = top.filters.some((f) => f.kind === 'filter' && f.field.path.length === 0 && csel.embeds.has(f.field.name) && !table.colMap.has(f.field.name));
    countSql = `select pg_catalog.count(*) as n from (select 1 from ${from} as ${ident(alias)} ${(usesEmbeds ? csel.joins : csel.innerJoins).join(' ')} ${cwhere}) as pgrst_count`;
    countValues = cp.values;
  }
  // An exact count rides in the main statement as a CTE, as PostgREST's does: one round trip.
  let countCte = '';
  if (prefer.count === 'exact' || prefer.count === 'estimated') {
    const csel = buildSelect(select, table, alias, p, levels, '', { ...opts, counter: { n: 0 } });
    const cwhere = whereSql(top, alias, p, csel.embeds, table);
    const usesEmbeds = top.filters.some((f) => f.kind === 'filter' && f.field.path.length === 0 && csel.embeds.has(f.field.name) && !table.colMap.has(f.field.name));
    countCte = `, pgrst_source_count as (select 1 from ${from} as ${ident(alias)} ${(usesEmbeds ? csel.joins : csel.innerJoins).join(' ')} ${cwhere})`;
  }
  return { sql: wrapRead(source, media, countCte), values: p.values, readOnly: true, media, kind: 'read', countSql, countValues, offset, hasLimit: limit !== undefined, applied: [] };
}

function planDelete({ request, table }: TablePlanning, query: ParsedQuery, opts: BuildOptions): Plan {
  if (!table.deletable) throw fromPg({ code: '42809', message: `cannot delete from view "${table.name}"` }, true);
  const top = query.levels.get('')!;
  const p = new Params();
  const alias = table.name;
  const sel = buildSelect(query.select, table, alias, p, query.levels, '', opts);
  const where = whereSql(top, alias, new Params(), sel.embeds, table) ? whereSql(top, alias, p, sel.embeds, table) : '';
  const mutation = `delete from ${fromOf(table)} as ${ident(alias)} ${where}`;
  return mutationPlan({ mutation, query, table, p, opts, prefer: request.prefer, media: request.media, kind: 'delete', applied: [] });
}

function planUpdate({ request, table }: TablePlanning, query: ParsedQuery, opts: BuildOptions): Plan {
  const { media } = request;
  const top = query.levels.get('')!;
  const p = new Params();
  const alias = table.name;
  const from = fromOf(table);
  const { param, cols } = writeBody('PATCH', parseBody(request.body, request.headers.contentType), query.columns);
  for (const c of cols) if (!table.colMap.has(c)) throw columnNotFound(table.name, c);
  if (cols.length === 0) {
    // PostgREST answers an empty PATCH without touching rows.
    const sql = wrapRead(`select ${ident(alias)}.* from ${from} as ${ident(alias)} where false`, media);
    return { sql, values: [], readOnly: false, media, kind: 'update', offset: 0, hasLimit: false, applied: [] };
  }
  const bodyParam = p.add(param);
  const body = { index: p.values.length - 1, columnsParam: query.columns, written: cols };
  const recordDef = cols.map((c) => `${ident(c)} ${table.colMap.get(c)!.type}`).join(', ');
  const sel = buildSelect(query.select, table, alias, new Params(), query.levels, '', { ...opts, counter: { n: 0 } });
  const where = whereSql(top, alias, p, sel.embeds, table);
  const set = cols.map((c) => `${ident(c)} = pgrst_body.${ident(c)}`).join(', ');
  const mutation = `update ${from} as ${ident(alias)} set ${set} from (select * from json_to_record(${bodyParam}::json) as _(${recordDef})) as pgrst_body ${where}`;
  return { ...mutationPlan({ mutation, query, table, p, opts, prefer: request.prefer, media, kind: 'update', applied: [] }), body };
}

/** POST (insert / upsert) and PUT (single-row upsert by primary key). */
function planInsert({ request, table }: TablePlanning, query: ParsedQuery, opts: BuildOptions): Plan {
  const { prefer } = request;
  const parsed = parseBody(request.body, request.headers.contentType);
  if (!table.insertable) throw fromPg({ code: '42809', message: `cannot insert into view "${table.name}"` }, true);
  const top = query.levels.get('')!;
  const p = new Params();
  const alias = table.name;
  const from = fromOf(table);
  const { onConflict } = query;
  const { param, cols, rows } = writeBody(request.method, parsed, query.columns);
  for (const c of cols) if (!table.colMap.has(c)) throw columnNotFound(table.name, c);
  const applied: string[] = [];
  let conflict = '';
  let kind: Plan['kind'] = 'create';
  if (request.method === 'PUT') {
    if (top.limit !== undefined || top.offset !== undefined) throw new ApiError(400, 'PGRST114', 'limit/offset querystring parameters are not allowed for PUT');
    const pkFilters = new Map<string, string>();
    for (const f of top.filters) if (f.kind === 'filter' && f.op === 'eq' && !f.negate && f.field.path.length === 0) pkFilters.set(f.field.name, f.value as string);
    if (rows.length !== 1 || !table.pk.length || top.filters.length !== table.pk.length || !table.pk.every((c) => pkFilters.has(c))) {
      throw new ApiError(405, 'PGRST105', 'Filters must include all and only primary key columns with \'eq\' operators');
    }
    const row = rows[0] as Record<string, unknown>;
    if (!table.pk.every((c) => row[c] !== undefined && String(row[c]) === pkFilters.get(c))) {
      throw new ApiError(400, 'PGRST115', 'Payload values do not match URL in primary key column(s)');
    }
    const updates = cols.filter((c) => !table.pk.includes(c));
    conflict = ` on conflict (${table.pk.map(ident).join(', ')}) do ${updates.length ? `update set ${updates.map((c) => `${ident(c)} = excluded.${ident(c)}`).join(', ')}` : 'nothing'}`;
    kind = 'upsert';
  } else if (prefer.resolution) {
    const target = onConflict ?? table.pk;
    for (const c of target) if (!table.colMap.has(c)) throw columnNotFound(table.name, c);
    if (!target.length) throw new ApiError(400, 'PGRST100', 'on_conflict parameter is required for a table without a primary key');
    if (prefer.resolution === 'ignore-duplicates') conflict = ` on conflict (${target.map(ident).join(', ')}) do nothing`;
    else {
      const updates = cols.filter((c) => !target.includes(c));
      const set = updates.length ? updates : cols;
      conflict = ` on conflict (${target.map(ident).join(', ')}) do ${set.length ? `update set ${set.map((c) => `${ident(c)} = excluded.${ident(c)}`).join(', ')}` : 'nothing'}`;
    }
    applied.push(`resolution=${prefer.resolution}`);
  } else if (onConflict) {
    for (const c of onConflict) if (!table.colMap.has(c)) throw columnNotFound(table.name, c);
  }
  const bodyParam = p.add(param);
  const body = { index: p.values.length - 1, columnsParam: query.columns, written: cols };
  let insert: string;
  if (cols.length === 0) {
    // `insert ... select` without columns inserts one row of defaults per element.
    insert = `insert into ${from} as ${ident(alias)} (${table.columns.filter((c) => !c.generated).slice(0, 1).map((c) => ident(c.name)).join(', ')}) select ${table.columns.filter((c) => !c.generated).slice(0, 1).map((c) => c.default ?? 'null').join(', ')} from json_array_elements(${bodyParam}::json)${conflict}`;
  } else if (prefer.missing === 'default') {
    applied.push('missing=default');
    // Defaults are evaluated for every row, as PostgREST's default record does (a sequence
    // advances even for rows that carry their own value).
    const withDefault = cols.filter((c) => table.colMap.get(c)!.default !== null);
    const exprs = cols.map((c, i) => (withDefault.includes(c) ? `case when pgrst_el ? ${lit(c)} then pgrst_rec.${ident(c)} else pgrst_def.${ident(`d${i}`)} end` : `pgrst_rec.${ident(c)}`));
    const defs = withDefault.length ? `, lateral (select ${cols.map((c, i) => (withDefault.includes(c) ? `${table.colMap.get(c)!.default} as ${ident(`d${i}`)}` : null)).filter(Boolean).join(', ')}, pgrst_el as pgrst_row offset 0) as pgrst_def` : '';
    insert = `insert into ${from} as ${ident(alias)} (${cols.map(ident).join(', ')}) select ${exprs.join(', ')} from jsonb_array_elements(${bodyParam}::jsonb) as pgrst_el, lateral jsonb_populate_record(null::${from}, pgrst_el) as pgrst_rec${defs}${conflict}`;
  } else {
    const recordDef = cols.map((c) => `${ident(c)} ${table.colMap.get(c)!.type}`).join(', ');
    insert = `insert into ${from} as ${ident(alias)} (${cols.map(ident).join(', ')}) select ${cols.map((c) => `pgrst_body.${ident(c)}`).join(', ')} from json_to_recordset(${bodyParam}::json) as pgrst_body(${recordDef})${conflict}`;
  }
  return { ...mutationPlan({ mutation: insert, query, table, p, opts, prefer, media: request.media, kind, applied }), body };
}

interface Mutation {
  /** The INSERT / UPDATE / DELETE, without RETURNING. */
  mutation: string;
  query: ParsedQuery;
  table: Table;
  p: Params;
  opts: BuildOptions;
  prefer: Preferences;
  media: QueryRequest['media'];
  kind: Plan['kind'];
  applied: readonly string[];
}

/** Wraps an INSERT / UPDATE / DELETE in PostgREST's response statement. */
function mutationPlan({ mutation, query, table, p, opts, prefer, media, kind, applied }: Mutation): Plan {
  const alias = table.name;
  const represent = prefer.return === 'representation';
  const sel = buildSelect(query.select, table, alias, p, query.levels, '', opts);
  const inner = represent ? `select ${sel.columns.join(', ') || 'null'} from pgrst_source as ${ident(alias)} ${sel.joins.join(' ')}` : 'select * from pgrst_source';
  const location = kind === 'create' && prefer.return === 'headers-only' && table.pk.length
    ? `case when pg_catalog.count(_postgrest_t) = 1 then (select string_agg(pgrst_k || '=eq.' || pgrst_v, '&') from json_each_text((pg_catalog.json_agg(_postgrest_t) -> 0)) as j(pgrst_k, pgrst_v) where pgrst_k = any(${p.add(table.pk)}::text[])) end`
    : 'null';
  // Upserts report whether any row was new (201) or all were updated (200), as PostgREST's
  // pgrst.inserted does; xmax = 0 marks a freshly inserted row version.
  const upsert = (kind === 'create' && prefer.resolution === 'merge-duplicates') || kind === 'upsert';
  // With no representation asked for (return=minimal, or no preference), PostgREST writes
  // `RETURNING 1` (QueryBuilder's returningF): the caller needs no SELECT privilege or policy
  // on the rows it writes, and nothing is built that nobody reads. Upserts still return the
  // row, for the xmax test that tells 201 from 200.
  const returning = upsert
    ? `${ident(alias)}.*, (${ident(alias)}.xmax = 0) as pgrst_is_insert`
    : prefer.return === 'representation' || prefer.return === 'headers-only' ? `${ident(alias)}.*` : '1';
  const cols = table.columns.map((c) => ident(c.name)).join(', ');
  const source = upsert
    ? `pgrst_raw as (${mutation} returning ${returning}), pgrst_source as (select ${cols} from pgrst_raw)`
    : `pgrst_source as (${mutation} returning ${returning})`;
  const inserted = upsert ? '(select count(*) from pgrst_raw where pgrst_is_insert)' : 'null';
  const sql = `with ${source} select '' as total_result_set, pg_catalog.count(_postgrest_t) as page_total, ${represent ? bodyExpr(media) : "''"} as body, ${location} as location, nullif(current_setting('response.headers', true), '') as response_headers, nullif(current_setting('response.status', true), '') as response_status, ${inserted} as inserted from (${inner}) _postgrest_t`;
  return { sql, values: p.values, readOnly: false, media, kind, table: table.name, offset: 0, hasLimit: false, countSql: prefer.count ? 'affected' : undefined, applied };
}

/** A table write's body read by its Content-Type: CSV, a form, or JSON (`{}` when empty). */
export function parseBody(body: string | undefined, contentType: string | null): unknown {
  const ct = (contentType ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  if (ct === 'text/csv') {
    const lines = (body ?? '').split(/\r?\n/).filter((l) => l !== '');
    const header = lines.shift()?.split(',') ?? [];
    return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [header[i]!, v === 'NULL' ? null : v])));
  }
  if (ct === 'application/x-www-form-urlencoded') return Object.fromEntries(new URLSearchParams(body ?? ''));
  if (!body || body.trim() === '') return {};
  return parseJson(body);
}

/**
 * A table write's body as PostgREST reads it: the JSON that becomes the statement's parameter
 * (a POST's rows always as an array) and the columns written (`columns=` when given, else the
 * first row's keys, which every row must share). Planning and a cached plan's reuse both read
 * the body here, so a reused plan accepts and rejects exactly the bodies a fresh one would.
 */
export function writeBody(method: string, parsed: unknown, columns: readonly string[] | undefined): { param: string; cols: readonly string[]; rows: Record<string, unknown>[] } {
  if (method === 'PATCH') {
    const obj = Array.isArray(parsed) ? parsed[0] : parsed;
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw invalidBody('Empty or invalid json');
    return { param: JSON.stringify(obj), cols: columns ?? Object.keys(obj), rows: [obj as Record<string, unknown>] };
  }
  const rows = (Array.isArray(parsed) ? parsed : [parsed]) as Record<string, unknown>[];
  if (rows.some((r) => r === null || typeof r !== 'object' || Array.isArray(r))) throw invalidBody('Empty or invalid json');
  let cols = columns;
  if (!cols) {
    const first = Object.keys(rows[0] ?? {});
    for (const r of rows.slice(1)) {
      const ks = Object.keys(r);
      if (ks.length !== first.length || !ks.every((k) => first.includes(k))) throw invalidBody('All object keys must match');
    }
    cols = first;
  }
  return { param: JSON.stringify(rows), cols, rows };
}

/** PGRST205 with PostgREST's "Perhaps you meant" hint. */
export function tableNotFound(cache: SchemaCache, schema: string, name: string): ApiError {
  const names = [...cache.tables.values()].filter((t) => t.schema === schema).map((t) => t.name);
  const best = fuzzyBest(names, name, 0.75);
  return new ApiError(404, 'PGRST205', `Could not find the table '${schema}.${name}' in the schema cache`, null,
    best ? `Perhaps you meant the table '${schema}.${best}'` : null);
}
