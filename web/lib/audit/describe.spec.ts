import { describe, expect, it } from 'vitest';
import { actorOf, bulkSummary, changesOf, subjectOf, type AuditContext, type AuditRow } from './describe.ts';

const ctx: AuditContext = {
  currency: 'USD',
  locale: 'en-US',
  timezone: 'America/Chicago',
  memberName: (id) => ({ u1: 'Maya Ortiz', u2: 'Vera Lin' })[id] ?? null,
};

const row = (r: Partial<AuditRow>): AuditRow => ({
  id: 1,
  org_id: 'o1',
  table_name: 'leases',
  record_id: 'l1',
  action: 'update',
  actor_user_id: null,
  actor_role: 'postgres',
  via: null,
  request_id: null,
  old_values: null,
  new_values: null,
  created_at: '2026-12-05T15:00:00Z',
  ...r,
});

describe('audit rows in words', () => {
  it('lists an update’s changed fields only, money and dates formatted, bookkeeping left out', () => {
    const r = row({
      old_values: { id: 'l1', rent_minor: 120000, end_date: null, status: 'active', updated_at: 'x', balance_minor: 0 },
      new_values: { id: 'l1', rent_minor: 125000, end_date: '2027-06-30', status: 'active', updated_at: 'y', balance_minor: 0 },
    });
    expect(changesOf(r, ctx)).toEqual([
      { field: 'rent_minor', label: 'Rent', before: '$1,200.00', after: '$1,250.00' },
      { field: 'end_date', label: 'End', before: '—', after: 'Jun 30, 2027' },
    ]);
  });

  it('shows what an insert set and what a deleted row held, members by name', () => {
    const added = row({ table_name: 'memberships', action: 'insert', record_id: 'u2', new_values: { org_id: 'o1', user_id: 'u2', role: 'viewer', invitation_id: 'i1' } });
    expect(changesOf(added, ctx)).toEqual([
      { field: 'role', label: 'Role', before: null, after: 'Viewer' },
      { field: 'user_id', label: 'Member', before: null, after: 'Vera Lin' },
    ]);
    const gone = row({ table_name: 'memberships', action: 'delete', record_id: 'u9', old_values: { user_id: 'u9', role: 'manager' } });
    expect(changesOf(gone, ctx).map((c) => [c.before, c.after])).toEqual([['Manager', null], ['Former member', null]]);
    expect(subjectOf(gone, ctx)).toEqual({ label: 'Member: former member', href: '/app/team' });
  });

  it('links each row to what it changed', () => {
    expect(subjectOf(row({}), ctx).href).toBe('/app/leases/l1');
    expect(subjectOf(row({ table_name: 'ledger_entries', action: 'insert', new_values: { lease_id: 'l7', kind: 'late_fee' } }), ctx)).toEqual({ label: 'Ledger entry (late fee)', href: '/app/leases/l7' });
    expect(subjectOf(row({ table_name: 'lease_residents', record_id: 'l3:r4', action: 'delete', old_values: { lease_id: 'l3', resident_id: 'r4' } }), ctx).href).toBe('/app/leases/l3');
    expect(subjectOf(row({ table_name: 'units', record_id: 'u5' }), ctx)).toEqual({ label: 'Unit', href: '/app/units/u5' });
    expect(subjectOf(row({ table_name: 'organizations', record_id: 'o1' }), ctx).href).toBe('/app/settings');
    expect(subjectOf(row({ table_name: 'invitations', new_values: { email: 'new@x.test' } }), ctx)).toEqual({ label: 'Invitation: new@x.test', href: '/app/team' });
  });

  it('names the actor, or the system and the function it acted through', () => {
    expect(actorOf(row({ actor_user_id: 'u1', actor_role: 'manager', via: 'post_ledger_entry' }), ctx)).toEqual({ name: 'Maya Ortiz', detail: 'Manager · manual ledger entry' });
    expect(actorOf(row({ actor_user_id: 'u8', actor_role: 'authenticated', via: 'accept_invitation' }), ctx)).toEqual({ name: 'Former member', detail: 'accepted an invitation' });
    expect(actorOf(row({ actor_role: 'service_role', via: 'run_rent_charges' }), ctx)).toEqual({ name: 'System', detail: 'rent run · Lintel service' });
    // The Stripe webhook's direct connection is the database's own role: it says what it was.
    expect(actorOf(row({ actor_role: 'postgres', via: 'stripe_webhook' }), ctx)).toEqual({ name: 'System', detail: 'Stripe event' });
    expect(actorOf(row({ actor_role: 'postgres', via: null }), ctx)).toEqual({ name: 'System', detail: 'Setup or scheduled job' });
  });

  it('explains a bulk row instead of listing fields', () => {
    const bulk = row({
      table_name: 'ledger_entries', action: 'insert', record_id: 'bulk:123', via: 'run_rent_charges',
      new_values: { bulk: true, entries: 1240, amount_minor: 152000000, kinds: { rent: 1200, late_fee: 40 } },
    });
    expect(changesOf(bulk, ctx)).toEqual([]);
    expect(subjectOf(bulk, ctx)).toEqual({ label: 'Rent run', href: null });
    expect(bulkSummary(bulk, ctx)).toBe('1,240 ledger entries in one run totalling $1,520,000.00 (1,200 rent, 40 late fee). Large postings are logged as one row; the entries are the ledger rows with this time.');
  });
});
