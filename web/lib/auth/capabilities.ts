import type { OrgRole } from './claims.ts';

/**
 * What the UI offers a role (buttons, menus, pages). The database enforces the same rules on
 * every row: this only avoids showing a person what would be refused.
 */
export interface Capabilities {
  /** Overview, properties, units (all staff but maintenance). */
  portfolio: boolean;
  /** Create, edit, delete properties, units, residents and leases. */
  editPortfolio: boolean;
  /** Residents' personal data. */
  residents: boolean;
  /** Leases, balances, ledger, payments. */
  finance: boolean;
  /** Post manual ledger entries, run rent. */
  editFinance: boolean;
  maintenance: boolean;
  /** See members and invitations; invite (up to their own role). */
  team: boolean;
  /** Change roles, remove members, revoke invitations. */
  manageTeam: boolean;
  settings: boolean;
  audit: boolean;
  import: boolean;
}

export function capabilitiesOf(role: OrgRole | undefined): Capabilities {
  const is = (...roles: OrgRole[]) => !!role && roles.includes(role);
  return {
    portfolio: is('owner', 'admin', 'manager', 'viewer'),
    editPortfolio: is('owner', 'admin', 'manager'),
    residents: is('owner', 'admin', 'manager'),
    finance: is('owner', 'admin', 'manager', 'viewer'),
    editFinance: is('owner', 'admin', 'manager'),
    maintenance: is('owner', 'admin', 'manager', 'maintenance', 'viewer'),
    team: is('owner', 'admin', 'manager'),
    manageTeam: is('owner', 'admin'),
    settings: is('owner', 'admin'),
    audit: is('owner', 'admin'),
    import: is('owner', 'admin', 'manager'),
  };
}

export const ROLE_LABELS: Record<OrgRole, string> = {
  owner: 'Owner',
  admin: 'Admin',
  manager: 'Manager',
  maintenance: 'Maintenance',
  viewer: 'Viewer',
  resident: 'Resident',
};
