import { ApiError } from './errors.ts';
import { parseFieldRef, parseFilterValue, parseLogic, parseOrder, parseSelect, type SelectItem } from './parse.ts';
import type { Level, Levels } from './query.ts';
import type { Media } from './request.ts';
import type { Fn } from './schema.ts';

// The statement a plan runs and the pieces the table and function planners share: the query
// string read into levels, the Range header, and the response row every statement selects
// (PostgREST's Query/Statements.hs shape).

/** What one request runs: the statement and how to read its single result row. */
export interface Plan {
  readonly sql: string;
  readonly values: readonly unknown[];
  readonly readOnly: boolean;
  readonly media: Media;
  readonly kind: 'read' | 'create' | 'update' | 'delete' | 'call' | 'upsert';
  /** Functions returning void answer 204; scalar functions return the value. */
  readonly fn?: Fn;
  readonly table?: string;
  readonly countSql?: string;
  readonly countValues?: readonly unknown[];
  readonly rpcCountSql?: string;
  readonly offset: number;
  readonly hasLimit: boolean;
  /**
   * A POST / PATCH body: where its JSON goes in `values`, and the `columns=` it was planned with.
   * Set on plans that may be cached; everything else in such a plan follows from the request's
   * shape and the columns written.
   */
  readonly body?: { readonly index: number; readonly columnsParam: readonly string[] | undefined; readonly written: readonly string[] };
  /** Preferences the planning applied (e.g. `missing=default`), reported on every answer the plan gives. */
  readonly applied: readonly string[];
}

/** The query string read into the select tree and each level's filters, order and paging. */
export interface ParsedQuery {
  levels: Levels;
  select: SelectItem[];
  columns?: string[];
  onConflict?: string[];
}

const toInt = (v: string, what: string) => {
  if (!/^\d+$/.test(v) || v.length > 15) {
    if (/^-\d+$/.test(v)) throw new ApiError(416, 'PGRST103', 'Requested range not satisfiable', 'Limit should be greater than or equal to zero.');
    throw new ApiError(400, 'PGRST100', `"failed to parse ${what} parameter (${v})" (line 1, column 1)`, 'unexpected input expecting digit');
  }
  return Number(v);
};

/** Reads `select`, `columns`, `on_conflict`, filters, logic trees, order and paging (skipping `skip`). */
export function parseQuery(params: URLSearchParams, skip: ReadonlySet<string>): ParsedQuery {
  const levels: Levels = new Map();
  const level = (p: string): Level => {
    let l = levels.get(p);
    if (!l) levels.set(p, (l = { filters: [] }));
    return l;
  };
  level('');
  let select: SelectItem[] = [{ kind: 'star' }];
  let columns: string[] | undefined;
  let onConflict: string[] | undefined;
  for (const [k, v] of params) {
    if (skip.has(k)) continue;
    if (k === 'select') {
      select = parseSelect(v);
      continue;
    }
    if (k === 'columns') {
      columns = v.split(',').map((s) => s.trim().replace(/^"|"$/g, '')).filter(Boolean);
      continue;
    }
    if (k === 'on_conflict') {
      onConflict = v.split(',').map((s) => s.trim().replace(/^"|"$/g, '')).filter(Boolean);
      continue;
    }
    const lm = /^(?:(.+)\.)?(not\.)?(and|or)$/.exec(k);
    if (lm) {
      level(lm[1] ?? '').filters.push(parseLogic(lm[3] as 'and' | 'or', !!lm[2], v, v));
      continue;
    }
    const om = /^(?:(.+)\.)?(order|limit|offset)$/.exec(k);
    if (om) {
      const l = level(om[1] ?? '');
      if (om[2] === 'order') l.order = parseOrder(v);
      else if (om[2] === 'limit') l.limit = toInt(v, 'limit');
      else l.offset = toInt(v, 'offset');
      continue;
    }
    // `rel.sub.col->x=op.val`: the embed path is everything before the last dot outside the field
    const arrow = k.indexOf('->');
    const head = arrow >= 0 ? k.slice(0, arrow) : k;
    const dot = head.lastIndexOf('.');
    const pathPart = dot >= 0 ? k.slice(0, dot) : '';
    const fieldPart = dot >= 0 ? k.slice(dot + 1) : k;
    level(pathPart).filters.push(parseFilterValue(parseFieldRef(fieldPart, 'filter'), v, v));
  }
  return { levels, select, columns, onConflict };
}

/** The Range header (`items=0-9`, `5-`); undefined when absent or not a range PostgREST reads. */
export function parseRange(raw: string | null): { offset: number; limit?: number } | undefined {
  if (!raw) return undefined;
  const m = /^(?:items=)?\s*(\d+)-(\d*)$/.exec(raw.trim());
  if (!m || m[1]!.length > 15 || m[2]!.length > 15) return undefined;
  const from = Number(m[1]);
  if (m[2] === '') return { offset: from };
  const to = Number(m[2]);
  if (to < from) throw new ApiError(416, 'PGRST103', 'Requested range not satisfiable', 'The lower boundary must be lower than or equal to the upper boundary in the Range header.');
  return { offset: from, limit: to - from + 1 };
}

// PostgREST's CSV: the keys of the first row, then each row's record text without parentheses.
const CSV_BODY = `(select coalesce(string_agg(pgrst_k, ','), '') from (select json_object_keys(row_to_json(pgrst_h)) as pgrst_k from (select * from pgrst_source limit 1) as pgrst_h) as pgrst_keys) || chr(10) || coalesce(string_agg(substring(_postgrest_t::text, 2, length(_postgrest_t::text) - 2), chr(10)), '')`;

/** The response body's expression over `_postgrest_t` for the negotiated media type. */
export function bodyExpr(media: Media): string {
  if (media.kind === 'csv') return CSV_BODY;
  if (media.kind === 'object') {
    return media.stripNulls ? `coalesce(json_strip_nulls(pg_catalog.json_agg(_postgrest_t) -> 0)::text, 'null')` : `coalesce((pg_catalog.json_agg(_postgrest_t) -> 0)::text, 'null')`;
  }
  if (media.stripNulls) return `coalesce(json_strip_nulls(pg_catalog.json_agg(_postgrest_t)), '[]')::text`;
  return `coalesce(pg_catalog.json_agg(_postgrest_t), '[]')::text`;
}

/** A read's statement: the source query, its optional count CTE, and PostgREST's response row. */
export function wrapRead(source: string, media: Media, countCte = ''): string {
  const total = countCte ? '(select pg_catalog.count(*) from pgrst_source_count)' : 'null::bigint';
  return `with pgrst_source as (${source})${countCte} select ${total} as total_result_set, pg_catalog.count(_postgrest_t) as page_total, ${bodyExpr(media)} as body, null as location, nullif(current_setting('response.headers', true), '') as response_headers, nullif(current_setting('response.status', true), '') as response_status from (select * from pgrst_source) _postgrest_t`;
}

/** A PGRST102 for a body PostgREST cannot read. */
export const invalidBody = (message: string, details: string | null = null) => new ApiError(400, 'PGRST102', message, details);

/** JSON.parse with PostgREST's answer for invalid JSON. */
export function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch (err) {
    throw invalidBody(`Empty or invalid json`, (err as Error).message);
  }
}

/**
 * The closest candidate as PostgREST's fuzzy-set hints pick it: names reduced to letters,
 * digits, commas and spaces, scored by Levenshtein similarity.
 */
export function fuzzyBest(candidates: string[], wanted: string, min: number): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9\u00c0-\u00ff, ]+/g, '');
  const w = norm(wanted);
  if (!w) return undefined;
  let best: string | undefined;
  let bestScore = 0;
  for (const c of candidates) {
    const n = norm(c);
    if (!n) continue;
    const score = 1 - levenshtein(n, w) / Math.max(n.length, w.length);
    if (score > bestScore) {
      bestScore = score;
      best = c;
    }
  }
  return bestScore >= min ? best : undefined;
}

function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}
