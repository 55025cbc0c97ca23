import { describe, expect, it } from 'vitest';
import { assignableRoles, canRemove, capabilitiesOf, invitableRoles } from './capabilities.ts';

describe('capabilitiesOf', () => {
  it('lets a viewer read but change nothing', () => {
    const c = capabilitiesOf('viewer');
    expect([c.portfolio, c.finance]).toEqual([true, true]);
    expect([c.editPortfolio, c.editFinance, c.manageTeam, c.settings, c.import]).toEqual([false, false, false, false, false]);
  });
  it('shows maintenance staff maintenance only', () => {
    const c = capabilitiesOf('maintenance');
    expect(Object.entries(c).filter(([, v]) => v).map(([k]) => k)).toEqual(['maintenance']);
  });
  it('gives owners and admins the settings and the audit log, managers neither', () => {
    expect(capabilitiesOf('admin').settings && capabilitiesOf('admin').audit).toBe(true);
    expect(capabilitiesOf('manager').settings || capabilitiesOf('manager').audit).toBe(false);
  });
  it('gives nothing without a role', () => {
    expect(Object.values(capabilitiesOf(undefined)).some(Boolean)).toBe(false);
  });
});

describe('team rules (as the member RPCs enforce them)', () => {
  it('invites up to the inviter’s own role, and only inviting roles invite', () => {
    expect(invitableRoles('manager')).toEqual(['manager', 'maintenance', 'viewer']);
    expect(invitableRoles('owner')).toEqual(['owner', 'admin', 'manager', 'maintenance', 'viewer']);
    expect(invitableRoles('viewer')).toEqual([]);
    expect(invitableRoles('maintenance')).toEqual([]);
  });
  it('lets owners change anyone and admins anyone but owners, never to owner', () => {
    expect(assignableRoles('owner', 'owner')).toContain('owner');
    expect(assignableRoles('admin', 'owner')).toEqual([]);
    expect(assignableRoles('admin', 'viewer')).toEqual(['admin', 'manager', 'maintenance', 'viewer']);
    expect(assignableRoles('manager', 'viewer')).toEqual([]);
    expect(assignableRoles('owner', 'resident')).toEqual([]);
  });
  it('lets admins remove only roles below admin', () => {
    expect(canRemove('owner', 'admin')).toBe(true);
    expect(canRemove('admin', 'admin')).toBe(false);
    expect(canRemove('admin', 'manager')).toBe(true);
    expect(canRemove('manager', 'viewer')).toBe(false);
  });
});
