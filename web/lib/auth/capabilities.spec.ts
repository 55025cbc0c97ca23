import { describe, expect, it } from 'vitest';
import { capabilitiesOf } from './capabilities.ts';

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
