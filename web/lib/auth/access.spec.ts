import { describe, expect, it } from 'vitest';
import { routeAccess, safeNext } from './access.ts';
import type { Claims } from './claims.ts';

const base = { sub: 'u1', email: 'a@b.test', session_id: 's1', exp: 0 };
const manager: Claims = { ...base, org_id: 'o1', org_role: 'manager' };
const resident: Claims = { ...base, org_id: 'o1', org_role: 'resident', resident_id: 'r1' };
const orgless: Claims = { ...base };

describe('routeAccess', () => {
  it('sends a signed-out visitor of /app to sign-in with a return address', () => {
    expect(routeAccess('/app/units', '?q=4B', null)).toEqual({ allow: false, redirect: '/sign-in?next=%2Fapp%2Funits%3Fq%3D4B' });
    expect(routeAccess('/portal', '', null)).toEqual({ allow: false, redirect: '/sign-in?next=%2Fportal' });
  });
  it('lets staff into /app and sends them out of /portal', () => {
    expect(routeAccess('/app', '', manager)).toEqual({ allow: true });
    expect(routeAccess('/portal/pay', '', manager)).toEqual({ allow: false, redirect: '/app' });
  });
  it('sends a resident who opens /app to /portal', () => {
    expect(routeAccess('/app/leases', '', resident)).toEqual({ allow: false, redirect: '/portal' });
    expect(routeAccess('/portal', '', resident)).toEqual({ allow: true });
  });
  it('sends a user without an org to create one', () => {
    expect(routeAccess('/app', '', orgless)).toEqual({ allow: false, redirect: '/create-org' });
    expect(routeAccess('/create-org', '', orgless)).toEqual({ allow: true });
  });
  it('keeps each role to the sections it may use', () => {
    const as = (org_role: Claims['org_role']): Claims => ({ ...base, org_id: 'o1', org_role });
    expect(routeAccess('/app/settings', '', as('viewer'))).toEqual({ allow: false, redirect: '/app' });
    expect(routeAccess('/app/team', '', as('viewer'))).toEqual({ allow: false, redirect: '/app' });
    expect(routeAccess('/app/properties/p1', '', as('maintenance'))).toEqual({ allow: false, redirect: '/app' });
    expect(routeAccess('/app/maintenance', '', as('maintenance'))).toEqual({ allow: true });
    expect(routeAccess('/app/residents', '', as('viewer'))).toEqual({ allow: true });
    expect(routeAccess('/app/audit', '', as('admin'))).toEqual({ allow: true });
    expect(routeAccess('/app/audit', '', as('manager'))).toEqual({ allow: false, redirect: '/app' });
    expect(routeAccess('/app/team', '', as('manager'))).toEqual({ allow: true });
    expect(routeAccess('/app/teams', '', as('viewer'))).toEqual({ allow: true });
  });
  it('does not confuse /apps or /portals with the guarded areas', () => {
    expect(routeAccess('/apps', '', null)).toEqual({ allow: true });
  });
  it('sends a signed-in user away from sign-in, but lets them set a new password', () => {
    expect(routeAccess('/sign-in', '', manager)).toEqual({ allow: false, redirect: '/app' });
    expect(routeAccess('/reset/new-password', '', manager)).toEqual({ allow: true });
    expect(routeAccess('/', '', resident)).toEqual({ allow: false, redirect: '/portal' });
    expect(routeAccess('/', '', null)).toEqual({ allow: true });
  });
});

describe('safeNext', () => {
  it('keeps same-site paths and refuses others', () => {
    expect(safeNext('/app/units?x=1')).toBe('/app/units?x=1');
    expect(safeNext('https://evil.test')).toBe('/');
    expect(safeNext('//evil.test')).toBe('/');
    expect(safeNext('/\\evil.test')).toBe('/');
    expect(safeNext(null)).toBe('/');
  });
});
