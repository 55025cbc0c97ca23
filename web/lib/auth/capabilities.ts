import { STAFF_ROLES, type OrgRole, type StaffRole } from './claims.ts';

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

/** What each staff role may do, in a sentence for pickers. */
export const ROLE_DESCRIPTIONS: Record<StaffRole, string> = {
  owner: 'Everything, including billing and ownership.',
  admin: 'Everything but billing: settings, team and the audit log.',
  manager: 'Runs properties, residents, leases and money; invites colleagues.',
  maintenance: 'Works on maintenance requests only.',
  viewer: 'Reads the portfolio and the money; changes nothing.',
};

/** Order of roles, as private.role_rank orders them (a resident ranks with a viewer). */
export const ROLE_RANK: Record<OrgRole, number> = { owner: 50, admin: 40, manager: 30, maintenance: 20, viewer: 10, resident: 10 };

/** Staff roles a member may invite: up to their own (invite_member). */
export function invitableRoles(role: OrgRole | undefined): StaffRole[] {
  if (!role || !capabilitiesOf(role).team) return [];
  return STAFF_ROLES.filter((r) => ROLE_RANK[r] <= ROLE_RANK[role]);
}

/** Roles the caller may give a member, or none when they may not change that member (change_member_role). */
export function assignableRoles(caller: OrgRole | undefined, target: OrgRole): StaffRole[] {
  if (!capabilitiesOf(caller).manageTeam || target === 'resident') return [];
  if (caller === 'owner') return [...STAFF_ROLES];
  return target === 'owner' ? [] : STAFF_ROLES.filter((r) => r !== 'owner');
}

/** Whether the caller may remove the member: owners anyone (the org keeps an owner), admins those below admin. */
export function canRemove(caller: OrgRole | undefined, target: OrgRole): boolean {
  if (!capabilitiesOf(caller).manageTeam) return false;
  return caller === 'owner' || ROLE_RANK[target] < ROLE_RANK.admin;
}
