// Turns a parsed PostgREST request into one parameterised SQL statement whose result has
// PostgREST's shape (total_result_set, page_total, body, response_headers, response_status),
// following PostgREST's Query/QueryBuilder.hs and Query/Statements.hs. Values always travel as
// parameters; identifiers are quoted; JSON keys are escaped string literals.
import { ApiError } from './errors.ts';
import type { Filter, LogicTree, OrderTerm, SelectEmbed, SelectItem, FieldRef } from './parse.ts';
import { key, type Fn, type ForeignKey, type SchemaCache, type Table } from './schema.ts';

export const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
export const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
const qi = (schema: string, name: string) => `${ident(schema)}.${ident(name)}`;

export class Params {
  values: unknown[] = [];
  add(v: unknown): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

/** The filters, order and paging that apply at one level of the select tree. */
export interface Level {
  filters: (Filter | LogicTree)[];
  order?: OrderTerm[];
  limit?: number;
  offset?: number;
}

export type Levels = Map<string, Level>;

export interface Relationship {
  kind: 'm2o' | 'o2m' | 'o2o' | 'm2m';
  fk: ForeignKey;
  /** Columns on the parent side and the child side, in pairs. */
  parentCols: string[];
  childCols: string[];
  target: Table;
  junction?: { table: Table; fkParent: ForeignKey; fkChild: ForeignKey };
  computed?: Fn;
}

const isKey = (t: Table, cols: string[]) =>
  [t.pk, ...t.uniques].some((k) => k.length > 0 && k.length === cols.length && k.every((c) => cols.includes(c)));

const coveredByKey = (t: Table, cols: string[]) =>
  [t.pk, ...t.uniques].some((k) => k.length > 0 && cols.every((c) => k.includes(c)));

/** Relationships from `parent` to tables named `name` (or reached through a column / FK name). */
export function findRelationships(cache: SchemaCache, parent: Table, name: string): Relationship[] {
  const out: Relationship[] = [];
  const sameParent = (schema: string, table: string) => schema === parent.schema && table === parent.name;
  for (const fk of cache.fks) {
    const selfRef = fk.schema === fk.fschema && fk.table === fk.ftable;
    // many-to-one: parent holds the key. A self-reference is many-to-one only through its column.
    if (sameParent(fk.schema, fk.table)) {
      const target = cache.tables.get(key(fk.fschema, fk.ftable));
      const byName = fk.ftable === name && !selfRef;
      const byCol = !fk.derived && ((fk.columns.length === 1 && fk.columns[0] === name) || (fk.name === name && !selfRef));
      if (target && target.schema === parent.schema && (byName || byCol)) {
        out.push({ kind: isKey(parent, fk.columns) ? 'o2o' : 'm2o', fk, parentCols: fk.columns, childCols: fk.fcolumns, target });
      }
    }
    // one-to-many: the child holds the key
    if (sameParent(fk.fschema, fk.ftable)) {
      const target = cache.tables.get(key(fk.schema, fk.table));
      if (target && target.schema === parent.schema && (fk.table === name || (!fk.derived && fk.name === name && !selfRef))) {
        out.push({ kind: isKey(target, fk.columns) && !selfRef ? 'o2o' : 'o2m', fk, parentCols: fk.fcolumns, childCols: fk.columns, target });
      }
    }
  }
  // many-to-many through a junction whose two keys are part of its primary / unique keys
  const byTable = new Map<string, ForeignKey[]>();
  for (const fk of cache.fks) {
    if (fk.derived) continue;
    const k = key(fk.schema, fk.table);
    if (!byTable.has(k)) byTable.set(k, []);
    byTable.get(k)!.push(fk);
  }
  for (const [jk, list] of byTable) {
    const junction = cache.tables.get(jk);
    if (!junction || junction.schema !== parent.schema || list.length < 2) continue;
    for (const a of list) {
      if (!sameParent(a.fschema, a.ftable)) continue;
      for (const b of list) {
        if (a === b || b.ftable !== name || b.fschema !== parent.schema) continue;
        if (junction.name === parent.name || junction.name === name) continue;
        if (!coveredByKey(junction, [...a.columns, ...b.columns]) && !(coveredByKey(junction, a.columns) && coveredByKey(junction, b.columns))) continue;
        const target = cache.tables.get(key(b.fschema, b.ftable));
        if (!target) continue;
        out.push({ kind: 'm2m', fk: b, parentCols: a.fcolumns, childCols: b.fcolumns, target, junction: { table: junction, fkParent: a, fkChild: b } });
      }
    }
  }
  // computed relationships: fn(parent_row) returning rows of a table
  for (const fn of cache.functions.get(key(parent.schema, name)) ?? []) {
    if (fn.params.length !== 1 || fn.params[0]!.rel?.name !== parent.name || fn.params[0]!.rel?.schema !== parent.schema || !fn.returnTable) continue;
    const target = cache.tables.get(key(fn.returnTable.schema, fn.returnTable.name));
    if (!target) continue;
    const fk: ForeignKey = { name: fn.name, schema: parent.schema, table: parent.name, columns: [], fschema: target.schema, ftable: target.name, fcolumns: [] };
    out.push({ kind: !fn.setof || fn.rowsOne ? 'm2o' : 'o2m', fk, parentCols: [], childCols: [], target, computed: fn });
  }
  return out;
}

function hintMatches(rel: Relationship, hint: string): boolean {
  if (rel.junction) return rel.junction.table.name === hint || rel.junction.fkParent.name === hint || rel.junction.fkChild.name === hint;
  if (rel.computed) return false;
  const selfRef = rel.fk.schema === rel.fk.fschema && rel.fk.table === rel.fk.ftable;
  if (selfRef) return rel.fk.columns.length === 1 && rel.fk.columns[0] === hint;
  return rel.fk.name === hint || (rel.fk.columns.length === 1 && rel.fk.columns[0] === hint) || (rel.fk.fcolumns.length === 1 && rel.fk.fcolumns[0] === hint);
}

const fmtCols = (c: string[]) => `(${c.join(', ')})`;
const cardinality = { m2o: 'many-to-one', o2m: 'one-to-many', o2o: 'one-to-one', m2m: 'many-to-many' } as const;

/** Picks the one relationship an embed means, or PostgREST's PGRST200 / PGRST201. */
export function resolveEmbed(cache: SchemaCache, parent: Table, embed: SelectEmbed): Relationship {
  let rels = findRelationships(cache, parent, embed.name);
  if (embed.hint) rels = rels.filter((r) => hintMatches(r, embed.hint!));
  // A self-referencing or duplicated key found once as the table name and once as a column name.
  const seen = new Set<string>();
  rels = rels.filter((r) => {
    const k = `${r.kind}:${r.fk.name}:${r.fk.schema}.${r.fk.table}:${r.junction?.table.name ?? ''}:${r.target.name}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  if (rels.length === 1) return rels[0]!;
  if (rels.length === 0) {
    throw new ApiError(400, 'PGRST200', `Could not find a relationship between '${parent.name}' and '${embed.name}' in the schema cache`,
      `Searched for a foreign key relationship between '${parent.name}' and '${embed.name}'${embed.hint ? ` using the hint '${embed.hint}'` : ''} in the schema '${parent.schema}', but no matches were found.`, null);
  }
  const details = rels.map((r) => ({
    cardinality: cardinality[r.kind],
    embedding: `${parent.name} with ${r.target.name}`,
    relationship: r.junction
      ? `${r.junction.table.name} using ${r.junction.fkParent.name}${fmtCols(r.junction.fkParent.columns)} and ${r.junction.fkChild.name}${fmtCols(r.junction.fkChild.columns)}`
      : r.kind === 'o2m'
        ? `${r.fk.name} using ${parent.name}${fmtCols(r.parentCols)} and ${r.target.name}${fmtCols(r.childCols)}`
        : `${r.fk.name} using ${parent.name}${fmtCols(r.parentCols)} and ${r.target.name}${fmtCols(r.childCols)}`,
  }));
  const hints = rels.map((r) => `'${r.target.name}!${r.junction ? r.junction.table.name : r.fk.name}'`).join(', ');
  throw new ApiError(300, 'PGRST201', `Could not embed because more than one relationship was found for '${parent.name}' and '${embed.name}'`,
    details, `Try changing '${embed.name}' to one of the following: ${hints}. Find the desired relationship in the 'details' key.`);
}

export function jsonPath(base: string, path: FieldRef['path']): string {
  let s = base;
  for (const step of path) s += `${step.op}${/^-?\d+$/.test(step.key) ? step.key : lit(step.key)}`;
  return s;
}

const outputName = (f: FieldRef) => (f.path.length ? f.path[f.path.length - 1]!.key : f.name);

const SAFE_TYPE = /^[a-zA-Z_][\w ]*(\([\d, ]+\))?(\[\])*$/;
function castType(t: string): string {
  if (!SAFE_TYPE.test(t)) throw new ApiError(400, 'PGRST100', `"failed to parse select parameter (::${t})" (line 1, column 1)`, 'unexpected cast');
  return t;
}

function likePattern(v: string): string {
  return v.replace(/\*/g, '%');
}

/** A Postgres array literal from a list of raw values (PostgREST's `in` / `any` lists). */
function arrayLiteral(items: string[]): string {
  return `{${items.map((v) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}

const OPS: Record<string, string> = {
  eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=', like: 'like', ilike: 'ilike', match: '~', imatch: '~*',
  cs: '@>', cd: '<@', ov: '&&', sl: '<<', sr: '>>', nxl: '&>', nxr: '&<', adj: '-|-', isdistinct: 'is distinct from',
};
const FTS: Record<string, string> = { fts: 'to_tsquery', plfts: 'plainto_tsquery', phfts: 'phraseto_tsquery', wfts: 'websearch_to_tsquery' };

export interface EmbedInfo {
  alias: string;
  sqlAlias: string;
  toOne: boolean;
}

/** Builds filter SQL against a table alias; `embeds` resolves `rel=is.null` on embedded resources. */
export function filterSql(f: Filter | LogicTree, alias: string, p: Params, embeds?: Map<string, EmbedInfo>, table?: Table): string {
  if (f.kind === 'logic') {
    const parts = f.children.map((c) => filterSql(c, alias, p, embeds, table));
    const joined = `(${parts.join(f.op === 'and' ? ' and ' : ' or ')})`;
    return f.negate ? `not ${joined}` : joined;
  }
  const embed = f.field.path.length === 0 ? embeds?.get(f.field.name) : undefined;
  if (embed && !table?.colMap.has(f.field.name)) {
    if (f.op !== 'is' || (f.value !== 'null' && f.value !== 'not_null')) {
      throw new ApiError(400, 'PGRST120', `Bad operator on the '${f.field.name}' embedded resource`, 'Only is null or not is null filters are allowed on embedded resources');
    }
    const isNull = (f.value === 'null') !== f.negate;
    const target = embed.toOne ? `row_to_json(${ident(embed.sqlAlias)}.*)` : `${ident(embed.sqlAlias)}.${ident(embed.sqlAlias)}`;
    return `${target} ${isNull ? 'is null' : 'is not null'}`;
  }
  const col = jsonPath(`${ident(alias)}.${ident(f.field.name)}`, f.field.path);
  let expr: string;
  const v = f.value;
  switch (f.op) {
    case 'is': {
      const m: Record<string, string> = { null: 'is null', not_null: 'is not null', true: 'is true', false: 'is false', unknown: 'is unknown' };
      expr = `${col} ${m[v as string]}`;
      break;
    }
    case 'in':
      expr = `${col} = any (${p.add(arrayLiteral(v as string[]))})`;
      break;
    case 'fts': case 'plfts': case 'phfts': case 'wfts':
      expr = f.language
        ? `${col} @@ ${FTS[f.op]}(${p.add(f.language)}::regconfig, ${p.add(v)})`
        : `${col} @@ ${FTS[f.op]}(${p.add(v)})`;
      break;
    default: {
      const op = OPS[f.op]!;
      if (f.quant) {
        const items = (v as string[]).map((x) => (f.op === 'like' || f.op === 'ilike' ? likePattern(x) : x));
        expr = `${col} ${op} ${f.quant} (${p.add(arrayLiteral(items))})`;
      } else {
        const val = f.op === 'like' || f.op === 'ilike' ? likePattern(v as string) : v;
        expr = `${col} ${op} ${p.add(val)}`;
      }
    }
  }
  return f.negate ? `not (${expr})` : expr;
}

export function orderSql(terms: OrderTerm[], alias: string, embeds: Map<string, EmbedInfo>, parentName: string): string {
  return terms
    .map((t) => {
      let base: string;
      if (t.relation) {
        const e = embeds.get(t.relation);
        if (!e) throw new ApiError(400, 'PGRST108', `'${t.relation}' is not an embedded resource in this request`, null, `Verify that '${t.relation}' is included in the 'select' query parameter.`);
        if (!e.toOne) throw new ApiError(400, 'PGRST118', `A related order on '${t.relation}' is not possible`, `'${parentName}' and '${t.relation}' do not form a many-to-one or one-to-one relationship`);
        base = jsonPath(`${ident(e.sqlAlias)}.${ident(t.field.name)}`, t.field.path);
      } else base = jsonPath(`${ident(alias)}.${ident(t.field.name)}`, t.field.path);
      return `${base}${t.dir ? ` ${t.dir}` : ''}${t.nulls ? ` nulls ${t.nulls}` : ''}`;
    })
    .join(', ');
}

export interface BuildOptions {
  cache: SchemaCache;
  aggregatesEnabled: boolean;
  /** Numbers the lateral aliases of one statement, so the same request shape gives the same SQL. */
  counter: { n: number };
}

interface SelectBuild {
  columns: string[];
  joins: string[];
  groupBy: string[];
  hasAggregate: boolean;
  embeds: Map<string, EmbedInfo>;
  /** Joins that must be part of a count query (inner embeds). */
  innerJoins: string[];
}

/**
 * The select list and lateral joins for `table` seen as `alias`, with embedded resources.
 * `path` names this level in `levels` ('' for the top).
 */
export function buildSelect(
  items: SelectItem[],
  table: Table,
  alias: string,
  p: Params,
  levels: Levels,
  path: string,
  opts: BuildOptions,
  depth = 0,
): SelectBuild {
  if (depth > 20) throw new ApiError(400, 'PGRST100', '"failed to parse select parameter" (line 1, column 1)', 'too deeply nested embedding');
  const columns: string[] = [];
  const joins: string[] = [];
  const innerJoins: string[] = [];
  const groupBy: string[] = [];
  let hasAggregate = false;
  const embeds = new Map<string, EmbedInfo>();
  const usedNames = new Set<string>();
  const embedCols: { index: number; agg: string; group: string }[] = [];
  for (const item of items) {
    if (item.kind === 'star') {
      columns.push(`${ident(alias)}.*`);
      continue;
    }
    if (item.kind === 'count') {
      if (!opts.aggregatesEnabled) throw new ApiError(400, 'PGRST123', 'Use of aggregate functions is not allowed');
      hasAggregate = true;
      const expr = item.cast ? `pg_catalog.count(*)::${castType(item.cast)}` : 'pg_catalog.count(*)';
      columns.push(`${expr} as ${ident(item.alias ?? 'count')}`);
      continue;
    }
    if (item.kind === 'field') {
      const computed = table.colMap.has(item.field.name) ? undefined : computedField(opts.cache, table, item.field.name);
      let expr = jsonPath(computed ? `${qi(computed.schema, computed.name)}(${ident(alias)})` : `${ident(alias)}.${ident(item.field.name)}`, item.field.path);
      if (item.cast) expr = `${expr}::${castType(item.cast)}`;
      const name = item.alias ?? (item.aggregate ? item.aggregate : outputName(item.field));
      if (item.aggregate) {
        if (!opts.aggregatesEnabled) throw new ApiError(400, 'PGRST123', 'Use of aggregate functions is not allowed');
        hasAggregate = true;
        let agg = `pg_catalog.${item.aggregate}(${expr})`;
        if (item.aggregateCast) agg = `${agg}::${castType(item.aggregateCast)}`;
        columns.push(`${agg} as ${ident(name)}`);
      } else {
        columns.push(item.alias || item.cast || item.field.path.length || computed ? `${expr} as ${ident(name)}` : expr);
        groupBy.push(expr);
      }
      continue;
    }
    // embedded resource
    const rel = resolveEmbed(opts.cache, table, item);
    const outName = item.alias ?? item.name;
    if (usedNames.has(outName) && !item.spread) {
      // PostgREST lets the last one win silently in JSON; keep SQL valid with distinct aliases
    }
    usedNames.add(outName);
    const sqlAlias = `${table.name}_${outName}_${depth + 1}`;
    const childPath = path ? `${path}.${outName}` : outName;
    const level = levels.get(childPath) ?? levels.get(path ? `${path}.${item.name}` : item.name) ?? { filters: [] };
    const childAlias = `${rel.target.name.slice(0, 40)}_${depth + 1}`;
    const child = buildSelect(item.select.length ? item.select : [{ kind: 'star' }], rel.target, childAlias, p, levels, childPath, opts, depth + 1);
    const conds: string[] = [];
    let from = `${qi(rel.target.schema, rel.target.name)} as ${ident(childAlias)}`;
    if (rel.computed) {
      from = `${qi(rel.computed.schema, rel.computed.name)}(${ident(alias)}) as ${ident(childAlias)}`;
      conds.push('true');
    } else if (rel.junction) {
      const jAlias = `${rel.junction.table.name.slice(0, 40)}_j${depth + 1}`;
      from += `, ${qi(rel.junction.table.schema, rel.junction.table.name)} as ${ident(jAlias)}`;
      rel.junction.fkChild.columns.forEach((c, i) => conds.push(`${ident(jAlias)}.${ident(c)} = ${ident(childAlias)}.${ident(rel.junction!.fkChild.fcolumns[i]!)}`));
      rel.junction.fkParent.columns.forEach((c, i) => conds.push(`${ident(jAlias)}.${ident(c)} = ${ident(alias)}.${ident(rel.junction!.fkParent.fcolumns[i]!)}`));
    } else {
      rel.childCols.forEach((c, i) => conds.push(`${ident(childAlias)}.${ident(c)} = ${ident(alias)}.${ident(rel.parentCols[i]!)}`));
    }
    for (const f of level.filters) conds.push(filterSql(f, childAlias, p, child.embeds, rel.target));
    const toOne = rel.kind === 'm2o' || rel.kind === 'o2o';
    const where = `where ${conds.join(' and ')}`;
    const childCols = child.columns.length ? child.columns.join(', ') : '';
    const groupSql = child.hasAggregate && child.groupBy.length ? ` group by ${child.groupBy.join(', ')}` : '';
    const orderPart = level.order?.length ? ` order by ${orderSql(level.order, childAlias, child.embeds, rel.target.name)}` : '';
    const limitPart = level.limit !== undefined ? ` limit ${p.add(level.limit)}` : '';
    const offsetPart = level.offset ? ` offset ${p.add(level.offset)}` : '';
    const joinKind = item.joinType === 'inner' ? 'inner' : 'left';
    embeds.set(outName, { alias: outName, sqlAlias, toOne });
    if (item.name !== outName && !embeds.has(item.name)) embeds.set(item.name, { alias: outName, sqlAlias, toOne });
    const hidden = item.select.length === 0;
    if (toOne) {
      const inner = `(select ${childCols || 'null'} from ${from} ${child.joins.join(' ')} ${where}${groupSql}${orderPart}${limitPart}${offsetPart})`;
      const join = `${joinKind} join lateral ${inner} as ${ident(sqlAlias)} on true`;
      joins.push(join);
      if (joinKind === 'inner') innerJoins.push(join);
      if (hidden) continue;
      if (item.spread) {
        for (const n of childOutputNames(item.select, rel.target, opts.cache)) {
          const c = `${ident(sqlAlias)}.${ident(n)}`;
          columns.push(c);
          groupBy.push(c);
        }
      } else {
        columns.push(`row_to_json(${ident(sqlAlias)}.*) as ${ident(outName)}`);
        embedCols.push({ index: columns.length - 1, agg: `(row_to_json(${ident(sqlAlias)}.*)::text)::json as ${ident(outName)}`, group: `row_to_json(${ident(sqlAlias)}.*)::text` });
      }
    } else {
      const rows = `select ${childCols || 'null'} from ${from} ${child.joins.join(' ')} ${where}${groupSql}${orderPart}${limitPart}${offsetPart}`;
      if (item.spread) {
        // PostgREST 13: a spread to-many embed turns each child column into an array.
        const names = childOutputNames(item.select, rel.target, opts.cache);
        const aggCols = names.length ? names.map((n) => `pg_catalog.json_agg(${ident('pgrst_spread')}.${ident(n)}) as ${ident(n)}`).join(', ') : 'null';
        const inner = `(select ${aggCols} from (${rows}) as ${ident('pgrst_spread')})`;
        const join = `${joinKind} join lateral ${inner} as ${ident(sqlAlias)} on true`;
        joins.push(join);
        if (joinKind === 'inner') innerJoins.push(join);
        if (hidden) continue;
        for (const n of names) {
          columns.push(`${ident(sqlAlias)}.${ident(n)}`);
          embedCols.push({ index: columns.length - 1, agg: `(${ident(sqlAlias)}.${ident(n)}::text)::json as ${ident(n)}`, group: `${ident(sqlAlias)}.${ident(n)}::text` });
        }
      } else {
        const inner = `(select pg_catalog.json_agg(${ident(sqlAlias)}) as ${ident(sqlAlias)} from (${rows}) as ${ident(sqlAlias)})`;
        const on = joinKind === 'inner' ? `${ident(sqlAlias)}.${ident(sqlAlias)} is not null` : 'true';
        const join = `${joinKind} join lateral ${inner} as ${ident(sqlAlias)} on ${on}`;
        joins.push(join);
        if (joinKind === 'inner') innerJoins.push(join);
        if (hidden) continue;
        columns.push(`coalesce(${ident(sqlAlias)}.${ident(sqlAlias)}, '[]') as ${ident(outName)}`);
        embedCols.push({ index: columns.length - 1, agg: `coalesce((${ident(sqlAlias)}.${ident(sqlAlias)}::text)::json, '[]') as ${ident(outName)}`, group: `${ident(sqlAlias)}.${ident(sqlAlias)}::text` });
      }
    }
  }
  // json has no equality operator: with aggregates, embeds are grouped by their text form.
  if (hasAggregate) {
    for (const e of embedCols) {
      columns[e.index] = e.agg;
      groupBy.push(e.group);
    }
  }
  return { columns, joins, groupBy, hasAggregate, embeds, innerJoins };
}

function childOutputNames(items: SelectItem[], table: Table, cache: SchemaCache): string[] {
  const out: string[] = [];
  for (const it of items.length ? items : [{ kind: 'star' } as SelectItem]) {
    if (it.kind === 'star') out.push(...table.columns.map((c) => c.name));
    else if (it.kind === 'count') out.push(it.alias ?? 'count');
    else if (it.kind === 'field') out.push(it.alias ?? (it.aggregate ? it.aggregate : outputName(it.field)));
    else if (!it.spread) {
      if (it.select.length) out.push(it.alias ?? it.name);
    } else out.push(...childOutputNames(it.select, resolveEmbed(cache, table, it).target, cache));
  }
  return out;
}

/** A computed field: a function in the table's schema taking the table's row type. */
export function computedField(cache: SchemaCache, table: Table, name: string): Fn | undefined {
  return (cache.functions.get(key(table.schema, name)) ?? []).find(
    (f) => f.params.length === 1 && f.params[0]!.rel?.name === table.name && f.params[0]!.rel?.schema === table.schema && !f.setof,
  );
}

/** WHERE clause for the top level. */
export function whereSql(level: Level, alias: string, p: Params, embeds: Map<string, EmbedInfo>, table: Table): string {
  if (!level.filters.length) return '';
  return `where ${level.filters.map((f) => filterSql(f, alias, p, embeds, table)).join(' and ')}`;
}

/** Filters that refer to embedded resources must be resolvable: PGRST108 otherwise. */
export function checkLevels(levels: Levels, known: Set<string>): void {
  for (const k of levels.keys()) {
    if (k === '') continue;
    if (!known.has(k)) {
      const name = k.split('.').pop()!;
      throw new ApiError(400, 'PGRST108', `'${name}' is not an embedded resource in this request`, null, `Verify that '${name}' is included in the 'select' query parameter.`);
    }
  }
}

/** Every embed path the select tree defines (by alias and by name), for checkLevels. */
export function embedPaths(items: SelectItem[], prefix = '', out = new Set<string>()): Set<string> {
  for (const it of items) {
    if (it.kind !== 'embed') continue;
    const byAlias = prefix ? `${prefix}.${it.alias ?? it.name}` : (it.alias ?? it.name);
    out.add(byAlias);
    embedPaths(it.select, byAlias, out);
    if (!it.alias) continue;
    const byName = prefix ? `${prefix}.${it.name}` : it.name;
    out.add(byName);
    embedPaths(it.select, byName, out);
  }
  return out;
}
