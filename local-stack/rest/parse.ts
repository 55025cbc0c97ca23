// A hand-written parser for PostgREST's URL grammar (select trees, filters, logic trees, order).
// No library parses it: the grammar is PostgREST's own (docs/references/api/tables_views.rst and
// src/PostgREST/ApiRequest/QueryParams.hs), so this follows those rules rather than a generic
// query-string syntax.
import { ApiError } from './errors.ts';

export interface JsonPathStep {
  op: '->' | '->>';
  key: string;
}

export interface FieldRef {
  name: string;
  path: JsonPathStep[];
}

export interface SelectField {
  kind: 'field';
  field: FieldRef;
  alias?: string;
  cast?: string;
  aggregate?: string;
  aggregateCast?: string;
}

export interface SelectEmbed {
  kind: 'embed';
  name: string;
  alias?: string;
  hint?: string;
  joinType?: 'inner' | 'left';
  spread: boolean;
  select: SelectItem[];
}

export interface SelectStar {
  kind: 'star';
}

export interface SelectCount {
  kind: 'count';
  alias?: string;
  cast?: string;
}

export type SelectItem = SelectField | SelectEmbed | SelectStar | SelectCount;

export const FILTER_OPS = new Set([
  'eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike', 'match', 'imatch', 'in', 'is', 'isdistinct',
  'cs', 'cd', 'ov', 'sl', 'sr', 'nxl', 'nxr', 'adj', 'fts', 'plfts', 'phfts', 'wfts',
]);
const QUANT_OPS = new Set(['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike', 'match', 'imatch']);

export interface Filter {
  kind: 'filter';
  field: FieldRef;
  negate: boolean;
  op: string;
  quant?: 'any' | 'all';
  language?: string;
  /** Raw value: a string, or a list for `in`. */
  value: string | string[];
}

export interface LogicTree {
  kind: 'logic';
  op: 'and' | 'or';
  negate: boolean;
  children: (Filter | LogicTree)[];
}

export interface OrderTerm {
  field: FieldRef;
  /** `rel(col)` ordering on a to-one embed. */
  relation?: string;
  dir?: 'asc' | 'desc';
  nulls?: 'first' | 'last';
}

// PostgREST's parse failure: PGRST100, message `"failed to parse <what> parameter (<input>)" (line 1, column N)`,
// the parser's expectation in `details`.
function parseError(what: string, input: string, detail: string): ApiError {
  const kind = what === 'logic tree' ? 'logic tree' : `${what} parameter`;
  return new ApiError(400, 'PGRST100', `"failed to parse ${kind} (${input})" (line 1, column 1)`, detail);
}

/** Splits on a separator at depth 0, respecting parentheses, braces and double quotes. */
export function splitTop(s: string, sep = ','): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quoted) {
      cur += c;
      if (c === '\\' && i + 1 < s.length) cur += s[++i];
      else if (c === '"') quoted = false;
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === '(' || c === '{' || c === '[') depth++;
    else if (c === ')' || c === '}' || c === ']') depth--;
    if (c === sep && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

const IDENT = /^[^\s.,:()!>\-"]+$|^"[^"]*"$/;

function unquoteIdent(s: string): string {
  return s.startsWith('"') && s.endsWith('"') && s.length >= 2 ? s.slice(1, -1) : s;
}

/** `name->a->>b` or `name->0`; keys may be quoted. */
export function parseFieldRef(raw: string, what = 'select'): FieldRef {
  const s = raw.trim();
  const m = /^("[^"]*"|[^-]+?)((?:->>?(?:"[^"]*"|'[^']*'|[^-]+))*)$/.exec(s);
  if (!m || !m[1] || m[1].includes('(') || m[1].includes(')')) throw parseError(what, raw, `unexpected "${s.slice(0, 1)}"`);
  const name = unquoteIdent(m[1]);
  const path: JsonPathStep[] = [];
  const re = /(->>?)("[^"]*"|'[^']*'|[^-]+)/g;
  let pm: RegExpExecArray | null;
  while ((pm = re.exec(m[2] ?? ''))) {
    let key = pm[2]!;
    if ((key.startsWith('"') && key.endsWith('"')) || (key.startsWith("'") && key.endsWith("'"))) key = key.slice(1, -1);
    path.push({ op: pm[1] as '->' | '->>', key });
  }
  if (!name) throw parseError(what, raw, 'empty field name');
  return { name, path };
}

const AGGREGATES = new Set(['count', 'sum', 'avg', 'max', 'min']);

/** The `select` parameter: columns, aliases, casts, JSON paths, embeds, spreads, aggregates. */
export function parseSelect(raw: string, depth = 0): SelectItem[] {
  if (depth > 20) throw parseError('select', raw, 'embedding deeper than 20 levels');
  const text = raw.trim();
  if (text === '') return [{ kind: 'star' }];
  const items: SelectItem[] = [];
  for (const partRaw of splitTop(text)) {
    const part = partRaw.trim();
    if (part === '') throw parseError('select', raw, 'unexpected end of input');
    items.push(parseSelectItem(part, raw, depth));
  }
  return items;
}

function parseSelectItem(part: string, whole: string, depth: number): SelectItem {
  if (part === '*') return { kind: 'star' };
  let spread = false;
  let s = part;
  if (s.startsWith('...')) {
    spread = true;
    s = s.slice(3);
  }
  // alias:rest (the alias never contains a paren or arrow)
  let alias: string | undefined;
  const am = /^("[^"]*"|[^:(\-"]+):(?!:)(.*)$/s.exec(s);
  if (am) {
    alias = unquoteIdent(am[1]!.trim());
    s = am[2]!.trim();
  }
  const paren = s.indexOf('(');
  if (paren >= 0 && s.endsWith(')') || (paren >= 0 && /\)(::[\w ]+|\.\w+\(\)(::[\w ]+)?)$/.test(s))) {
    const head = s.slice(0, paren);
    // count() / col.sum() and their casts
    const aggm = /^(?:(.*)\.)?(count|sum|avg|max|min)\(\)(?:::([\w ]+))?$/.exec(s);
    if (aggm && !spread) {
      const cast = aggm[3]?.trim();
      if (!aggm[1]) {
        if (aggm[2] !== 'count') throw parseError('select', whole, `unexpected "${aggm[2]}"`);
        return { kind: 'count', alias, cast };
      }
      let fieldPart = aggm[1];
      let innerCast: string | undefined;
      const cm = /^(.*?)::([\w ]+)$/.exec(fieldPart);
      if (cm) {
        fieldPart = cm[1]!;
        innerCast = cm[2]!.trim();
      }
      return { kind: 'field', field: parseFieldRef(fieldPart), alias, cast: innerCast, aggregate: aggm[2], aggregateCast: cast };
    }
    if (!s.endsWith(')')) throw parseError('select', whole, `unexpected "${s.slice(s.lastIndexOf(')') + 1, s.lastIndexOf(')') + 2)}"`);
    const inner = s.slice(paren + 1, -1);
    const bits = head.split('!');
    const name = unquoteIdent(bits[0]!.trim());
    if (!name || !IDENT.test(bits[0]!.trim())) throw parseError('select', whole, `unexpected "${head.slice(0, 1) || '('}"`);
    let hint: string | undefined;
    let joinType: 'inner' | 'left' | undefined;
    for (const b of bits.slice(1)) {
      const t = b.trim();
      if (t === 'inner' || t === 'left') joinType = t;
      else if (t) hint = unquoteIdent(t);
      else throw parseError('select', whole, 'unexpected "!"');
    }
    const sub = inner.trim() === '' ? [] : parseSelect(inner, depth + 1);
    // `rel(count)` is the embedded count shorthand
    const normalized = sub.map((it) =>
      it.kind === 'field' && it.field.name === 'count' && it.field.path.length === 0 && !it.cast && !it.aggregate && !it.alias && inner.trim() === 'count'
        ? ({ kind: 'count' } as SelectCount)
        : it,
    );
    return { kind: 'embed', name, alias, hint, joinType, spread, select: normalized };
  }
  if (spread) throw parseError('select', whole, 'unexpected "."');
  let cast: string | undefined;
  const cm = /^(.*?)::([\w ]+)$/.exec(s);
  if (cm) {
    s = cm[1]!;
    cast = cm[2]!.trim();
  }
  if (s.includes(')') || s.includes('(') || s.includes('!')) throw parseError('select', whole, `unexpected "${s.replace(/^[^()!]*/, '').slice(0, 1)}"`);
  const field = parseFieldRef(s);
  return { kind: 'field', field, alias, cast };
}

/** `op.value`, `not.op.value`, `op(any).{...}`, `fts(english).term`. */
export function parseFilterValue(field: FieldRef, raw: string, context: string, inLogic = false): Filter {
  let s = raw;
  let negate = false;
  if (s.startsWith('not.')) {
    negate = true;
    s = s.slice(4);
  }
  const dot = s.indexOf('.');
  if (dot < 0) throw parseError('filter', context, 'unexpected end of input expecting operator');
  const opPart = s.slice(0, dot);
  const value = s.slice(dot + 1);
  const om = /^(\w+)(?:\((\w+)\))?$/.exec(opPart);
  if (!om || !FILTER_OPS.has(om[1]!)) {
    throw parseError('filter', context, `unexpected "${opPart.slice(0, 1)}" expecting "not" or operator (eq, gt, ...)`);
  }
  const op = om[1]!;
  const mod = om[2];
  let quant: 'any' | 'all' | undefined;
  let language: string | undefined;
  if (mod) {
    if ((mod === 'any' || mod === 'all') && QUANT_OPS.has(op)) quant = mod;
    else if (op.endsWith('fts')) language = mod;
    else throw parseError('filter', context, `unexpected "(" expecting "."`);
  }
  if (op === 'in') {
    const v = value.trim();
    if (!v.startsWith('(') || !v.endsWith(')')) throw parseError('filter', context, 'unexpected end of input expecting "("');
    return { kind: 'filter', field, negate, op, value: parseList(v.slice(1, -1)) };
  }
  if (quant) {
    const v = value.trim();
    if (!v.startsWith('{') || !v.endsWith('}')) throw parseError('filter', context, 'unexpected end of input expecting "{"');
    return { kind: 'filter', field, negate, op, quant, value: parseList(v.slice(1, -1)) };
  }
  if (op === 'is') {
    const v = value.toLowerCase();
    if (!['null', 'not_null', 'true', 'false', 'unknown'].includes(v)) {
      throw parseError('filter', context, 'unexpected value expecting null, not_null, true, false or unknown');
    }
    return { kind: 'filter', field, negate, op, value: v };
  }
  // A logic tree's value may be double-quoted, a backslash escaping the next character
  // (QueryParams.hs pLogicSingleVal / pQuotedValue); a top-level value is taken whole.
  if (inLogic && QUOTED_VALUE.test(value)) {
    return { kind: 'filter', field, negate, op, language, value: value.slice(1, -1).replace(/\\(.)/gs, '$1') };
  }
  return { kind: 'filter', field, negate, op, language, value };
}

const QUOTED_VALUE = /^"(?:[^"\\]|\\.)*"$/s;

/** Items of `in.(a,"b,c")` / `{a,b}`: double quotes protect separators, backslash escapes. */
function parseList(s: string): string[] {
  if (s.trim() === '') return [];
  return splitTop(s).map((v) => {
    const t = v.trim();
    if (t.startsWith('"') && t.endsWith('"') && t.length >= 2) return t.slice(1, -1).replace(/\\(.)/g, '$1');
    return v;
  });
}

/** `or=(a.eq.1,and(b.gt.2,c.is.null))`: the value of a logic parameter, parentheses included. */
/** Deeper logic trees are refused before they reach Postgres' stack depth limit. */
const MAX_LOGIC_DEPTH = 32;

export function parseLogic(op: 'and' | 'or', negate: boolean, raw: string, context: string, depth = 0): LogicTree {
  if (depth > MAX_LOGIC_DEPTH) throw parseError('logic tree', context, `nesting deeper than ${MAX_LOGIC_DEPTH} levels`);
  const s = raw.trim();
  if (!s.startsWith('(') || !s.endsWith(')')) throw parseError('logic tree', context, 'unexpected end of input expecting "("');
  const inner = s.slice(1, -1);
  if (inner.trim() === '') throw parseError('logic tree', context, 'unexpected ")" expecting field name');
  const children: (Filter | LogicTree)[] = [];
  for (const partRaw of splitTop(inner)) {
    const part = partRaw.trim();
    const lm = /^(not\.)?(and|or)(\(.*\))$/s.exec(part);
    if (lm) {
      children.push(parseLogic(lm[2] as 'and' | 'or', !!lm[1], lm[3]!, context, depth + 1));
      continue;
    }
    // field.op.value — the field may hold a JSON path with dots? No: dots separate, arrows don't.
    const fm = /^("[^"]*"|[^.]+)\.(.*)$/s.exec(part);
    if (!fm) throw parseError('logic tree', context, 'unexpected end of input expecting operator');
    children.push(parseFilterValue(parseFieldRef(fm[1]!, 'logic tree'), fm[2]!, context, true));
  }
  return { kind: 'logic', op, negate, children };
}

/** `order=a.desc.nullslast,b,rel(col).asc` */
export function parseOrder(raw: string): OrderTerm[] {
  const out: OrderTerm[] = [];
  for (const partRaw of splitTop(raw)) {
    const part = partRaw.trim();
    if (!part) throw parseError('order', raw, 'unexpected end of input');
    const bits = splitTop(part, '.');
    let head = bits[0]!;
    const mods = bits.slice(1);
    const term: OrderTerm = { field: { name: '', path: [] } };
    const rm = /^([^()]+)\(([^()]+)\)$/.exec(head);
    if (rm) {
      term.relation = unquoteIdent(rm[1]!);
      head = rm[2]!;
    }
    try {
      term.field = parseFieldRef(head, 'order');
    } catch {
      throw parseError('order', raw, 'unexpected');
    }
    for (const m of mods) {
      if (m === 'asc' || m === 'desc') {
        if (term.dir || term.nulls) throw parseError('order', raw, `unexpected "${m}"`);
        term.dir = m;
      } else if (m === 'nullsfirst' || m === 'nullslast') {
        if (term.nulls) throw parseError('order', raw, `unexpected "${m}"`);
        term.nulls = m === 'nullsfirst' ? 'first' : 'last';
      } else throw parseError('order', raw, `unexpected "${m.slice(0, 1)}" expecting "asc", "desc", "nullsfirst" or "nullslast"`);
    }
    out.push(term);
  }
  return out;
}

