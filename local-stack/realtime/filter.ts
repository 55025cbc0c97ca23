// The postgres_changes filter grammar, apart from the change router so the hub (which parses
// filters at join) and the router (which matches them) do not import each other.

/** One `column=op.value` filter of a postgres_changes binding. */
export interface Filter {
  column: string;
  op: 'eq' | 'neq' | 'lt' | 'lte' | 'gt' | 'gte' | 'in';
  value: string | string[];
}

/** A channel's postgres_changes binding: its params as joined, its id, its parsed filter. */
export interface PgSubscription {
  id: number;
  params: { event?: string; schema?: string; table?: string; filter?: string };
  filter: Filter | undefined;
}

const OPS = new Set(['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'in']);

/** `column=op.value` as realtime-js sends it; `in.(a,b)` for lists. */
export function parseFilter(filter: unknown): Filter | undefined {
  if (typeof filter !== 'string' || filter === '') return undefined;
  const m = /^([^=]+)=([a-z]+)\.([\s\S]*)$/.exec(filter);
  if (!m || !OPS.has(m[2]!)) throw new Error(`Error parsing \`filter\` params: ${filter}`);
  const op = m[2] as Filter['op'];
  if (op === 'in') {
    const list = /^\((.*)\)$/.exec(m[3]!)?.[1] ?? m[3]!;
    return { column: m[1]!, op, value: list.split(',').map((s) => s.trim().replace(/^"(.*)"$/, '$1')) };
  }
  return { column: m[1]!, op, value: m[3]! };
}

function compare(a: unknown, b: string): number {
  if (typeof a === 'number') return a - Number(b);
  const s = typeof a === 'string' ? a : JSON.stringify(a);
  return s < b ? -1 : s > b ? 1 : 0;
}

/** Whether a row passes a subscription's filter; a missing or null column never does. */
export function matchesFilter(filter: Filter | undefined, record: Record<string, unknown>): boolean {
  if (!filter) return true;
  if (!(filter.column in record)) return false;
  const v = record[filter.column];
  if (v === null || v === undefined) return false;
  switch (filter.op) {
    case 'eq':
      return compare(v, filter.value as string) === 0;
    case 'neq':
      return compare(v, filter.value as string) !== 0;
    case 'lt':
      return compare(v, filter.value as string) < 0;
    case 'lte':
      return compare(v, filter.value as string) <= 0;
    case 'gt':
      return compare(v, filter.value as string) > 0;
    case 'gte':
      return compare(v, filter.value as string) >= 0;
    case 'in':
      return (filter.value as string[]).some((x) => compare(v, x) === 0);
  }
}
