/** What Lintel reads from a verified access token: the standard claims plus the token hook's. */
export const STAFF_ROLES = ['owner', 'admin', 'manager', 'maintenance', 'viewer'] as const;
export const ORG_ROLES = [...STAFF_ROLES, 'resident'] as const;

export type StaffRole = (typeof STAFF_ROLES)[number];
export type OrgRole = (typeof ORG_ROLES)[number];

export interface Claims {
  sub: string;
  email: string;
  session_id: string;
  exp: number;
  /** The active org (custom access token hook); absent until the user belongs to one. */
  org_id?: string;
  org_role?: OrgRole;
  /** For residents: their resident row in the active org. */
  resident_id?: string;
}

function isRole(value: unknown): value is OrgRole {
  return typeof value === 'string' && (ORG_ROLES as readonly string[]).includes(value);
}

/** Picks Lintel's claims out of a JWT payload; anything missing or malformed is left out. */
export function toClaims(payload: Record<string, unknown>): Claims | null {
  if (typeof payload.sub !== 'string' || !payload.sub) return null;
  const claims: Claims = {
    sub: payload.sub,
    email: typeof payload.email === 'string' ? payload.email : '',
    session_id: typeof payload.session_id === 'string' ? payload.session_id : '',
    exp: typeof payload.exp === 'number' ? payload.exp : 0,
  };
  if (typeof payload.org_id === 'string' && isRole(payload.org_role)) {
    claims.org_id = payload.org_id;
    claims.org_role = payload.org_role;
    if (typeof payload.resident_id === 'string') claims.resident_id = payload.resident_id;
  }
  return claims;
}

export function isStaff(claims: Claims | null | undefined): boolean {
  return !!claims?.org_role && claims.org_role !== 'resident';
}
