import { describe, expect, it } from 'vitest';
import { check } from '$lib/forms.ts';
import { endLeaseSchema, leaseSchema, renewLeaseSchema } from './lease.ts';
import { unitSchema } from './unit.ts';

const RESIDENT = '7b0c2a52-3c6f-4a53-9a0a-3a3c3f1d8e11';
const UNIT = '0d1b6f5e-6f0e-4d8e-9d0c-5b8f0e2f4a22';

describe('leaseSchema', () => {
  const base = { unit_id: UNIT, resident_ids: [RESIDENT], start_date: '2027-01-15', end_date: '', rent: '1,650.00', deposit: '', due_day: '1', grace_days: '5', late_fee: '75', status: 'active' };

  it('turns typed amounts into minor units and an empty end date into month-to-month', () => {
    const r = check(leaseSchema('USD'), base);
    expect(r).toEqual({ ok: true, data: { ...base, end_date: null, rent: 165000, deposit: 0, due_day: 1, grace_days: 5, late_fee: 7500 } });
    expect(check(leaseSchema('JPY'), { ...base, rent: '120000', late_fee: '' })).toMatchObject({ ok: true, data: { rent: 120000, late_fee: 0 } });
  });

  it('says what is wrong in words, on the field', () => {
    const r = check(leaseSchema('USD'), { ...base, unit_id: '', resident_ids: [], end_date: '2027-01-15', rent: '0', due_day: '29', late_fee: '1.234' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toMatchObject({
      unit_id: 'Choose a unit.',
      resident_ids: 'Choose at least one resident, or add a new one.',
      rent: 'Rent must be more than zero.',
      due_day: 'The due day is at most 28.',
      late_fee: 'Enter the late fee as an amount, like 1,250.00.',
    });
    const dates = check(leaseSchema('USD'), { ...base, end_date: '2027-01-15' });
    expect(dates.ok || dates.errors.end_date).toBe('The end date must be after the start date.');
  });
});

describe('renew and end', () => {
  it('a renewal ends after it starts; the rent is required', () => {
    const r = check(renewLeaseSchema('USD', '2028-01-15'), { end_date: '2028-01-15', rent: '' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors).toEqual({ rent: 'Enter the rent.' });
    const early = check(renewLeaseSchema('USD', '2028-01-15'), { end_date: '2028-01-15', rent: '1700' });
    expect(early).toEqual({ ok: false, errors: { end_date: 'The new term must end after it starts.' } });
    expect(check(renewLeaseSchema('USD', '2028-01-15'), { end_date: '', rent: '1700' })).toEqual({ ok: true, data: { end_date: null, rent: 170000 } });
  });

  it('a move-out is after the lease starts', () => {
    const s = endLeaseSchema('2027-01-15', 'Jan 15, 2027');
    expect(check(s, { move_out: '2027-01-15' })).toEqual({ ok: false, errors: { move_out: 'The move-out date must be after the lease starts (Jan 15, 2027).' } });
    expect(check(s, { move_out: '2027-01-16' }).ok).toBe(true);
  });
});

describe('unitSchema', () => {
  it('reads whole rooms, half baths, an optional size and asking rent', () => {
    const r = check(unitSchema('USD'), { property_id: UNIT, label: ' 4B ', bedrooms: '2', bathrooms: '1.5', square_feet: '', market_rent: '' });
    expect(r).toEqual({ ok: true, data: { property_id: UNIT, label: '4B', bedrooms: 2, bathrooms: 1.5, square_feet: null, market_rent: null } });
    const bad = check(unitSchema('USD'), { property_id: '', label: '', bedrooms: '2.5', bathrooms: '1.3', square_feet: '0', market_rent: '-5' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(Object.keys(bad.errors).sort()).toEqual(['bathrooms', 'bedrooms', 'label', 'market_rent', 'property_id', 'square_feet']);
  });
});
