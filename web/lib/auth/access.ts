import { capabilitiesOf, type Capabilities } from './capabilities.ts';
import type { Claims } from './claims.ts';

/**
 * Where a request may go, decided from the verified claims alone (the database still decides
 * every row). The one rule book behind the hooks' authGuard, so layouts and tests agree.
 */
export type Access = { allow: true } | { allow: false; redirect: string };

const PUBLIC_ONLY = ['/sign-in', '/sign-up', '/reset'];

/**
 * /app sections closed to roles that cannot use them: anyone else lands on the overview, so
 * maintenance staff see maintenance only and a viewer never reaches team, settings or the audit
 * log. (Residents and leases explain themselves to roles without access instead.)
 */
const SECTIONS: [string, keyof Capabilities][] = [
  ['/app/properties', 'portfolio'],
  ['/app/units', 'portfolio'],
  ['/app/team', 'team'],
  ['/app/audit', 'audit'],
  ['/app/settings', 'settings'],
];

function home(claims: Claims): string {
  if (!claims.org_id) return '/create-org';
  return claims.org_role === 'resident' ? '/portal' : '/app';
}

function signIn(path: string, search: string): string {
  const back = path + search;
  return back === '/' ? '/sign-in' : `/sign-in?next=${encodeURIComponent(back)}`;
}

function under(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}

export function routeAccess(path: string, search: string, claims: Claims | null): Access {
  if (under(path, '/app') || under(path, '/portal') || under(path, '/create-org') || under(path, '/account')) {
    if (!claims) return { allow: false, redirect: signIn(path, search) };
    if (under(path, '/account')) return { allow: true };
    if (under(path, '/create-org')) return { allow: true };
    const target = home(claims);
    if (under(path, '/app') && target !== '/app') return { allow: false, redirect: target };
    const section = SECTIONS.find(([prefix]) => under(path, prefix));
    if (section && !capabilitiesOf(claims.org_role)[section[1]]) return { allow: false, redirect: '/app' };
    if (under(path, '/portal') && target !== '/portal') return { allow: false, redirect: target };
    return { allow: true };
  }
  if (claims && (path === '/' || (PUBLIC_ONLY.some((p) => under(path, p)) && !under(path, '/reset/new-password')))) {
    return { allow: false, redirect: home(claims) };
  }
  return { allow: true };
}

/** A same-site path to continue to after sign-in; anything else falls back to '/'. */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  return next;
}
