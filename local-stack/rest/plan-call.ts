import type { RestConfig } from './config.ts';
import { ApiError } from './errors.ts';
import { buildSelect, checkLevels, embedPaths, ident, orderSql, Params, whereSql, type BuildOptions } from './query.ts';
import type { QueryRequest } from './request.ts';
import { key, type Fn, type SchemaCache, type Table } from './schema.ts';
import { bodyExpr, fuzzyBest, parseJson, parseQuery, parseRange, type Plan } from './statement.ts';

// PostgREST's call plan for `/rpc/<fn>` (Plan.hs CallPlan): the overload chosen by the
// arguments given, then the result shaped as a scalar, a set of scalars, or rows.

const RESERVED = new Set(['select', 'order', 'limit', 'offset', 'columns', 'on_conflict', 'and', 'or', 'not.and', 'not.or']);

/** What planning one function call reads. */
export interface CallPlanning {
  readonly request: QueryRequest;
  /** The function's name from the path. */
  readonly name: string;
  readonly cache: SchemaCache;
  readonly config: RestConfig;
}

/** Plans a GET / HEAD / POST on `/rpc/<fn>`. */
export function planCall({ request, name, cache, config }: CallPlanning): Plan {
  const { schema, method, prefer, media, body } = request;
  const params = request.query;
  const opts: BuildOptions = { cache, aggregatesEnabled: config.aggregatesEnabled, counter: { n: 0 } };
  const candidates = (cache.functions.get(key(schema, name)) ?? []).filter((f) => f.callable);
  const isPost = method === 'POST';
  let args: Record<string, unknown> = {};
  let rawBody: unknown;
  const contentType = (request.headers.contentType ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  if (isPost) {
    if (contentType === 'application/json' || contentType === '') {
      rawBody = body && body.trim() !== '' ? parseJson(body) : {};
    } else if (contentType === 'application/x-www-form-urlencoded') {
      rawBody = Object.fromEntries(new URLSearchParams(body ?? ''));
    } else {
      rawBody = body ?? '';
    }
    if (rawBody !== null && typeof rawBody === 'object' && !Array.isArray(rawBody)) args = rawBody as Record<string, unknown>;
  }
  // GET: arguments are the query parameters named like the function's parameters.
  const paramNames = new Set(candidates.flatMap((f) => f.params.map((x) => x.name)));
  const skip = new Set<string>();
  if (!isPost) {
    for (const [k, v] of params) {
      if (RESERVED.has(k) || !paramNames.has(k)) continue;
      skip.add(k);
      const prev = args[k];
      args[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    // PostgREST treats every other non-reserved parameter as an argument when the function does
    // not know it, so an unknown one fails to find the function.
    for (const [k] of params) {
      if (RESERVED.has(k) || skip.has(k) || /\./.test(k)) continue;
      const looksLikeFilter = /^(not\.)?[a-z]+(\([a-z]+\))?\./.test(params.get(k) ?? '');
      if (!looksLikeFilter) {
        skip.add(k);
        args[k] = params.get(k);
      }
    }
  }
  const keys = Object.keys(args);
  let fn: Fn | undefined;
  let singleJson = false;
  // Unnamed parameters are addressed with the empty key, as postgrest-js sends them.
  const matches = candidates.filter((f) => {
    const required = f.params.filter((x) => !x.hasDefault).map((x) => x.name);
    return required.every((r) => keys.includes(r)) && keys.every((k) => f.params.some((x) => x.name === k));
  });
  const singleParam = candidates.filter((f) => f.params.length === 1 && (f.params[0]!.name === '' || prefer.params === 'single-object') && ['json', 'jsonb', 'text', 'xml', 'bytea'].includes(f.params[0]!.typname));
  if (isPost && (prefer.params === 'single-object' || (matches.length === 0 && singleParam.length > 0))) {
    const wanted = contentType === 'text/plain' ? ['text'] : contentType === 'application/octet-stream' ? ['bytea'] : contentType === 'text/xml' ? ['xml'] : ['json', 'jsonb'];
    const sp = singleParam.filter((f) => wanted.includes(f.params[0]!.typname));
    if (sp.length === 1) {
      fn = sp[0];
      singleJson = true;
    }
  }
  if (!fn) {
    if (matches.length === 1) fn = matches[0];
    else if (matches.length > 1) {
      const sig = (f: Fn) => `${f.schema}.${f.name}(${f.params.map((x) => `${x.name} => ${x.type}`).join(', ')})`;
      throw new ApiError(300, 'PGRST203', `Could not choose the best candidate function between: ${[...matches].sort((x, y) => x.params.length - y.params.length || sig(x).localeCompare(sig(y))).map(sig).join(', ')}`, null,
        'Try renaming the parameters or the function itself in the database so function overloading can be resolved');
    }
  }
  if (!fn) {
    const sorted = [...keys].sort();
    const prms = sorted.join(', ');
    const isText = isPost && ['text/plain', 'text/xml', 'application/octet-stream'].includes(contentType);
    const withParams = sorted.length ? ` with parameter${sorted.length > 1 ? 's' : ''} ${prms}` : ' without parameters';
    const suffix = isPost && contentType === 'application/json' ? `${withParams} or with a single unnamed json/jsonb parameter` : isText ? ` with a single unnamed ${contentType === 'text/plain' ? 'text' : contentType === 'text/xml' ? 'xml' : 'bytea'} parameter` : withParams;
    let hint: string | null = null;
    if (!isText) {
      if (candidates.length) {
        const lists = candidates.map((f) => `(${f.params.map((x) => x.name).sort().join(', ')})`);
        const best = fuzzyBest(lists, `(${prms})`, 0.33);
        if (best) hint = `Perhaps you meant to call the function ${schema}.${name}${best}`;
      } else {
        const names = [...cache.functions.values()].flat().filter((f) => f.schema === schema && f.callable).map((f) => f.name);
        const best = fuzzyBest([...new Set(names)], name, 0.75);
        if (best) hint = `Perhaps you meant to call the function ${schema}.${best}`;
      }
    }
    throw new ApiError(404, 'PGRST202', `Could not find the function ${schema}.${name}${isText ? '' : sorted.length ? `(${prms})` : ' without parameters'} in the schema cache`,
      `Searched for the function ${schema}.${name}${suffix}, but no matches were found in the schema cache.`, hint);
  }
  const readOnly = !isPost || fn.volatility !== 'v';
  const p = new Params();
  const fnName = `${ident(fn.schema)}.${ident(fn.name)}`;
  let call: string;
  let argsCte = '';
  if (singleJson) {
    const v = typeof rawBody === 'string' ? rawBody : JSON.stringify(rawBody);
    call = `${fnName}(${p.add(v)}::${fn.params[0]!.type})`;
  } else if (keys.length === 0) {
    call = `${fnName}()`;
  } else {
    const given = fn.params.filter((x) => keys.includes(x.name));
    const jsonArgs: Record<string, unknown> = {};
    given.forEach((x, i) => { jsonArgs[`pgrst_arg_${i}`] = args[x.name]; });
    argsCte = `pgrst_args as (select * from json_to_record(${p.add(JSON.stringify(jsonArgs))}::json) as _(${given.map((x, i) => `${ident(`pgrst_arg_${i}`)} ${x.type}`).join(', ')})), `;
    // An unnamed parameter can only be passed by position (it is then the first one).
    call = `${fnName}(${given.map((x, i) => `${x.variadic ? 'variadic ' : ''}${x.name ? `${ident(x.name)} := ` : ''}(select ${ident(`pgrst_arg_${i}`)} from pgrst_args)`).join(', ')})`;
  }
  // Result shaping: scalar, set of scalars, or rows of a table type / RETURNS TABLE.
  const { levels, select } = parseQuery(params, skip);
  const top = levels.get('')!;
  const retTable = fn.returnTable ? cache.tables.get(key(fn.returnTable.schema, fn.returnTable.name)) : undefined;
  const pseudo: Table | undefined = retTable ?? (fn.outColumns ? {
    schema: fn.schema, name: fn.name, kind: 'f', description: null, insertable: false, updatable: false, deletable: false,
    columns: fn.outColumns.map((c) => ({ name: c.name, type: c.type, typname: c.type, nullable: true, default: null, description: null, enum: null, generated: false })),
    colMap: new Map(fn.outColumns.map((c) => [c.name, { name: c.name, type: c.type, typname: c.type, nullable: true, default: null, description: null, enum: null, generated: false }])),
    pk: [], uniques: [],
  } : undefined);
  let source: string;
  let limit = top.limit;
  const range = parseRange(request.headers.range);
  const offset = (range?.offset ?? 0) + (top.offset ?? 0);
  if (range?.limit !== undefined) limit = limit === undefined ? range.limit : Math.min(limit, range.limit);
  if (config.maxRows !== undefined && fn.setof) limit = limit === undefined ? config.maxRows : Math.min(limit, config.maxRows);
  let bodySql: string;
  const paging: number[] = [];
  // limit / offset travel as parameters so the count query can reuse the statement with nulls.
  const pageSql = () => {
    let out = '';
    if (limit !== undefined) { out += ` limit ${p.add(limit)}`; paging.push(p.values.length - 1); }
    if (offset) { out += ` offset ${p.add(offset)}`; paging.push(p.values.length - 1); }
    return out;
  };
  if (fn.returnTypname === 'void') {
    source = `select ${call}`;
    bodySql = "''";
  } else if (!pseudo || fn.scalar) {
    const alias = 'pgrst_scalar';
    checkLevels(levels, new Set());
    // Filters and order apply to a set of scalars only; a single scalar ignores them.
    const where = fn.setof ? whereSql(top, fn.name, p, new Map(), { schema, name: fn.name, kind: 'f', description: null, insertable: false, updatable: false, deletable: false, columns: [], colMap: new Map(), pk: [], uniques: [] }) : '';
    const order = fn.setof && top.order?.length ? `order by ${orderSql(top.order, fn.name, new Map(), fn.name)}` : '';
    source = fn.setof
      ? `select ${ident(fn.name)} as ${alias} from ${call} as ${ident(fn.name)} ${where} ${order} ${pageSql()}`
      : `select ${call} as ${alias}`;
    bodySql = fn.setof ? `coalesce(pg_catalog.json_agg(_postgrest_t.${alias}), '[]')::text` : `coalesce((pg_catalog.json_agg(_postgrest_t.${alias}) -> 0)::text, 'null')`;
    if (media.kind === 'object') bodySql = `coalesce((pg_catalog.json_agg(_postgrest_t.${alias}) -> 0)::text, 'null')`;
  } else {
    checkLevels(levels, embedPaths(select));
    const alias = fn.name;
    const sel = buildSelect(select, pseudo, alias, p, levels, '', opts);
    const where = whereSql(top, alias, p, sel.embeds, pseudo);
    const group = sel.hasAggregate && sel.groupBy.length ? `group by ${sel.groupBy.join(', ')}` : '';
    const order = top.order?.length ? `order by ${orderSql(top.order, alias, sel.embeds, pseudo.name)}` : '';
    source = `select ${sel.columns.join(', ') || 'null'} from ${call} as ${ident(alias)} ${sel.joins.join(' ')} ${where} ${group} ${order} ${pageSql()}`;
    bodySql = fn.setof ? bodyExpr(media) : `coalesce((pg_catalog.json_agg(_postgrest_t) -> 0)::text, 'null')`;
    if (media.stripNulls) bodySql = fn.setof ? bodyExpr(media) : `coalesce(json_strip_nulls(pg_catalog.json_agg(_postgrest_t) -> 0)::text, 'null')`;
  }
  const sql = `with ${argsCte}pgrst_source as (${source}) select null::bigint as total_result_set, pg_catalog.count(_postgrest_t) as page_total, ${bodySql} as body, null as location, nullif(current_setting('response.headers', true), '') as response_headers, nullif(current_setting('response.status', true), '') as response_status from (select * from pgrst_source) _postgrest_t`;
  let countSql: string | undefined;
  let rpcCountSql: string | undefined;
  let countValues: unknown[] | undefined;
  if (prefer.count) {
    countSql = 'rpc';
    if (paging.length) {
      rpcCountSql = `with ${argsCte}pgrst_source as (${source}) select pg_catalog.count(*) as n from pgrst_source`;
      countValues = p.values.map((v, i) => (paging.includes(i) ? null : v));
    }
  }
  if (prefer.maxAffected !== undefined && prefer.handling === 'strict' && !fn.setof) {
    throw new ApiError(400, 'PGRST128', 'Function must return SETOF or TABLE when max-affected preference is used with handling=strict');
  }
  return { sql, values: p.values, readOnly, media, kind: 'call', fn, countSql, rpcCountSql, countValues, offset, hasLimit: limit !== undefined, applied: [] };
}
