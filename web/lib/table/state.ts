/**
 * A list page's state lives in its URL (page, page size, sort, search, filters), so a filtered
 * view can be bookmarked, shared and restored with Back. These read and write it.
 */
export interface TableState {
  page: number;
  pageSize: number;
  sort: string;
  dir: 'asc' | 'desc';
  q: string;
  filters: Record<string, string>;
}

export interface TableDefaults {
  sort: string;
  dir?: 'asc' | 'desc';
  pageSize?: number;
  /** Sortable column keys; anything else in the URL falls back to the default sort. */
  sortable: readonly string[];
  /** Filter names this list understands, read from the URL as-is. */
  filters?: readonly string[];
}

export const PAGE_SIZES = [25, 50, 100] as const;

export function readTableState(params: URLSearchParams, d: TableDefaults): TableState {
  const page = Math.max(1, Number.parseInt(params.get('page') ?? '1', 10) || 1);
  const size = Number.parseInt(params.get('size') ?? '', 10);
  const pageSize = (PAGE_SIZES as readonly number[]).includes(size) ? size : (d.pageSize ?? 50);
  const sortParam = params.get('sort') ?? '';
  const sort = d.sortable.includes(sortParam) ? sortParam : d.sort;
  const dirParam = params.get('dir');
  const dir = dirParam === 'asc' || dirParam === 'desc' ? dirParam : sort === d.sort ? (d.dir ?? 'asc') : 'asc';
  const filters: Record<string, string> = {};
  for (const f of d.filters ?? []) {
    const v = params.get(f);
    if (v) filters[f] = v;
  }
  return { page, pageSize, sort, dir, q: (params.get('q') ?? '').trim(), filters };
}

/** The URL with some state changed; any change but paging goes back to page 1. */
export function withTableState(url: URL, patch: Partial<Omit<TableState, 'filters'>> & { filters?: Record<string, string | null> }): string {
  const next = new URL(url);
  const p = next.searchParams;
  const set = (k: string, v: string | number | null | undefined) => (v === null || v === undefined || v === '' ? p.delete(k) : p.set(k, String(v)));
  if ('sort' in patch) set('sort', patch.sort);
  if ('dir' in patch) set('dir', patch.dir);
  if ('pageSize' in patch) set('size', patch.pageSize);
  if ('q' in patch) set('q', patch.q);
  for (const [k, v] of Object.entries(patch.filters ?? {})) set(k, v);
  if ('page' in patch) set('page', patch.page === 1 ? null : patch.page);
  else p.delete('page');
  return next.pathname + (p.size ? `?${p}` : '');
}

/** "1–50 of 1,243" in the user's locale. */
export function rangeLabel(state: Pick<TableState, 'page' | 'pageSize'>, total: number, locale?: string): string {
  const n = new Intl.NumberFormat(locale);
  if (total === 0) return '0 results';
  const from = (state.page - 1) * state.pageSize + 1;
  const to = Math.min(total, state.page * state.pageSize);
  return `${n.format(from)}–${n.format(to)} of ${n.format(total)}`;
}

/** PostgREST's range for the page: [from, to] inclusive. */
export function pageRange(state: Pick<TableState, 'page' | 'pageSize'>): [number, number] {
  const from = (state.page - 1) * state.pageSize;
  return [from, from + state.pageSize - 1];
}
