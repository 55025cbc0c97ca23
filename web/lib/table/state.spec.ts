import { describe, expect, it } from 'vitest';
import { pageRange, rangeLabel, readTableState, withTableState } from './state.ts';

const defaults = { sort: 'name', sortable: ['name', 'created_at'], filters: ['status'] } as const;

describe('readTableState', () => {
  it('reads page, size, sort, search and known filters, ignoring the rest', () => {
    const s = readTableState(new URLSearchParams('page=3&size=100&sort=created_at&dir=desc&q=%20oak%20&status=active&evil=1'), defaults);
    expect(s).toEqual({ page: 3, pageSize: 100, sort: 'created_at', dir: 'desc', q: 'oak', filters: { status: 'active' } });
  });
  it('falls back to defaults for unknown or malformed values', () => {
    const s = readTableState(new URLSearchParams('page=-2&size=7&sort=password&dir=sideways'), defaults);
    expect(s).toEqual({ page: 1, pageSize: 50, sort: 'name', dir: 'asc', q: '', filters: {} });
  });
});

describe('withTableState', () => {
  const url = new URL('http://x.test/app/units?page=4&q=oak&status=active');
  it('goes back to page 1 on any change but paging', () => {
    expect(withTableState(url, { sort: 'created_at', dir: 'desc' })).toBe('/app/units?q=oak&status=active&sort=created_at&dir=desc');
  });
  it('keeps filters when paging, and drops page=1', () => {
    expect(withTableState(url, { page: 5 })).toBe('/app/units?page=5&q=oak&status=active');
    expect(withTableState(url, { page: 1 })).toBe('/app/units?q=oak&status=active');
  });
  it('removes cleared values', () => {
    expect(withTableState(url, { q: '', filters: { status: null } })).toBe('/app/units');
  });
});

describe('labels and ranges', () => {
  it('states the visible range', () => {
    expect(rangeLabel({ page: 1, pageSize: 50 }, 1243, 'en-US')).toBe('1–50 of 1,243');
    expect(rangeLabel({ page: 25, pageSize: 50 }, 1243, 'en-US')).toBe('1,201–1,243 of 1,243');
    expect(rangeLabel({ page: 1, pageSize: 50 }, 0, 'en-US')).toBe('0 results');
  });
  it('maps a page to an inclusive PostgREST range', () => {
    expect(pageRange({ page: 3, pageSize: 25 })).toEqual([50, 74]);
  });
});
