import { describe, expect, it } from 'vitest';
import { autoMap, carryOver, missingRequired, normalizeHeader, sampleValue } from './mapping.ts';

describe('column mapping', () => {
  it('ignores case, spaces and punctuation in headers, and reads # as number', () => {
    expect(normalizeHeader('  Unit # ')).toBe(normalizeHeader('unit number'));
    expect(normalizeHeader('E-mail')).toBe('email');
    expect(normalizeHeader('Sq. Ft.')).toBe('sqft');
  });

  it('matches the template’s headers, field names and common synonyms', () => {
    const headers = ['Building', 'Apt #', 'Tenant Name', 'E-mail', 'Monthly Rent', 'Move-in Date', 'Lease Expiration', 'Beds', 'Baths', 'ZIP', 'Notes'];
    const m = autoMap(headers);
    expect(m.property_name).toBe(0);
    expect(m.unit_label).toBe(1);
    expect(m.resident_name).toBe(2);
    expect(m.resident_email).toBe(3);
    expect(m.rent).toBe(4);
    expect(m.lease_start).toBe(5);
    expect(m.lease_end).toBe(6);
    expect(m.bedrooms).toBe(7);
    expect(m.bathrooms).toBe(8);
    expect(m.postal_code).toBe(9);
    expect(m.market_rent).toBeNull();
    expect(Object.values(m).filter((v) => v === 10)).toEqual([]);
    expect(autoMap(['property_name', 'unit_label', 'Rent due day']).due_day).toBe(2);
  });

  it('gives each column to one field at most', () => {
    const m = autoMap(['Rent', 'Rent']);
    expect(m.rent).toBe(0);
    expect(Object.values(m).filter((v) => v === 0)).toHaveLength(1);
  });

  it('says which required fields have no column', () => {
    expect(missingRequired(autoMap(['Property', 'Tenant']))).toEqual(['unit_label']);
    expect(missingRequired(autoMap(['Property', 'Unit']))).toEqual([]);
  });

  it('keeps what the person chose when a fixed file is uploaded again', () => {
    const first = ['Name of building', 'Unit', 'Email', 'Rent'];
    const mapping = autoMap(first);
    mapping.property_name = 0; // chosen by hand
    mapping.resident_email = null; // "not in my file", by hand
    const chosen = new Set(['property_name', 'resident_email'] as const);
    // Columns moved and one added: hand choices follow their header, the rest is matched again.
    const again = carryOver({ headers: first, mapping, chosen }, ['Unit', 'Rent', 'Email', 'Name of building', 'Deposit']);
    expect(again.property_name).toBe(3);
    expect(again.resident_email).toBeNull();
    expect(again.unit_label).toBe(0);
    expect(again.rent).toBe(1);
    expect(again.deposit).toBe(4);
    // A hand-chosen header that is gone is matched afresh.
    expect(carryOver({ headers: first, mapping, chosen }, ['Property', 'Unit']).property_name).toBe(0);
  });

  it('shows a sample value from the first non-empty cell of a column', () => {
    expect(sampleValue([['', 'x'], ['  a ', 'y']], 0)).toBe('a');
    expect(sampleValue([['a']], null)).toBe('');
  });
});
