import { describe, expect, it } from 'vitest';
import { entitiesFor } from './messages.ts';

describe('entitiesFor', () => {
  it('maps a row change to the lists it can alter', () => {
    expect(entitiesFor('INSERT', { table: 'units', operation: 'INSERT', record: {} })).toContain('units');
    expect(entitiesFor('UPDATE', { table: 'leases' })).toEqual(['leases', 'units', 'residents', 'properties', 'overview']);
    expect(entitiesFor('UPDATE', { table: 'rent_runs', record: { status: 'running' } })).toEqual(['rentRuns']);
  });
  it('refetches the ledger lists on a bulk change', () => {
    expect(entitiesFor('bulk_change', { table: 'ledger_entries', count: 5000 })).toContain('ledger');
  });
  it('ignores unknown events and tables', () => {
    expect(entitiesFor('presence', { table: 'units' })).toEqual([]);
    expect(entitiesFor('INSERT', { table: 'secrets' })).toEqual([]);
    expect(entitiesFor('INSERT', null)).toEqual([]);
  });
});
