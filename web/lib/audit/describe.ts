import { ROLE_LABELS } from '$lib/auth/capabilities.ts';
import type { OrgRole } from '$lib/auth/claims.ts';
import type { Tables } from '$lib/database.types.ts';
import { formatDate, formatDateTime } from '$lib/format/date.ts';
import { formatMoney } from '$lib/format/money.ts';

/**
 * An audit row (public.audit_log, supabase/migrations/*_add_audit_log.sql) in words: who did it,
 * what it changed and where that thing lives in the app. Pure, so the page stays a layout.
 */
export type AuditRow = Tables<'audit_log'>;

export interface AuditContext {
  currency: string;
  locale: string;
  timezone: string;
  /** A current member's name, or null for someone who has left. */
  memberName: (userId: string) => string | null;
}

export interface Change {
  field: string;
  label: string;
  before: string | null;
  after: string | null;
}

/** The tables the database audits, as the filter offers them. */
export const AUDIT_TABLES: Record<string, string> = {
  leases: 'Leases',
  lease_residents: 'Lease residents',
  ledger_entries: 'Ledger entries',
  payments: 'Payments',
  memberships: 'Team members',
  invitations: 'Invitations',
  organizations: 'Company settings',
  properties: 'Properties',
  units: 'Units',
  residents: 'Residents',
};

export const ACTION_LABELS: Record<string, string> = { insert: 'Created', update: 'Changed', delete: 'Deleted' };

/** The functions that write audited rows (their `lintel.via`), as people call what happened. */
const VIA_LABELS: Record<string, string> = {
  run_rent_charges: 'rent run',
  post_ledger_entry: 'manual ledger entry',
  record_payment_succeeded: 'online payment',
  invite_member: 'invitation',
  resend_invitation: 'invitation resent',
  accept_invitation: 'accepted an invitation',
  remove_member: 'removed from the team',
  change_member_role: 'role change',
  stripe_webhook: 'Stripe event',
  autopay: 'autopay',
  payment_receipt: 'receipt filed',
};

const FIELD_LABELS: Record<string, string> = {
  rent_minor: 'Rent',
  deposit_minor: 'Deposit',
  late_fee_minor: 'Late fee',
  balance_minor: 'Balance',
  amount_minor: 'Amount',
  default_late_fee_minor: 'Default late fee',
  default_grace_days: 'Default grace days',
  reminder_days_before: 'Reminder days before due',
  start_date: 'Start',
  end_date: 'End',
  effective_date: 'Date',
  due_day: 'Due day',
  grace_days: 'Grace days',
  user_id: 'Member',
  invited_by: 'Invited by',
  accepted_by: 'Accepted by',
  accepted_at: 'Accepted',
  expires_at: 'Expires',
  is_primary: 'Primary resident',
  billing_email: 'Billing email',
  failure_reason: 'Failure reason',
  reverses_entry_id: 'Reverses entry',
  unit_id: 'Unit',
  lease_id: 'Lease',
  resident_id: 'Resident',
  invitation_id: 'Invitation',
  payment_id: 'Payment',
};

/** Bookkeeping columns nobody changes by hand; shown nowhere. */
const HIDDEN = new Set([
  'id', 'org_id', 'created_at', 'updated_at', 'created_by', 'currency', 'idempotency_key', 'token_hash',
  'rent_posted_period', 'late_fee_posted_period', 'stripe_payment_intent_id', 'unit_count', 'slug',
  // What the row's subject already links to.
  'lease_id', 'invitation_id', 'payment_id',
]);

/** Fields shown first, in this order; the rest follow alphabetically. */
const FIRST = ['status', 'role', 'email', 'name', 'kind', 'amount_minor', 'rent_minor', 'start_date', 'end_date'];

export function isBulk(row: Pick<AuditRow, 'record_id'>): boolean {
  return row.record_id.startsWith('bulk:');
}

function humanize(key: string): string {
  const s = key.replace(/_minor$/, '').replaceAll('_', ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function fieldLabel(key: string): string {
  return FIELD_LABELS[key] ?? humanize(key);
}

function via(v: string | null): string | null {
  return v ? (VIA_LABELS[v] ?? humanize(v).toLowerCase()) : null;
}

/** Who made the change: a member (with the role they acted in), or the system and through what. */
export function actorOf(row: AuditRow, ctx: AuditContext): { name: string; detail: string } {
  const how = via(row.via);
  if (row.actor_user_id) {
    const role = row.actor_role && row.actor_role in ROLE_LABELS ? ROLE_LABELS[row.actor_role as OrgRole] : null;
    return { name: ctx.memberName(row.actor_user_id) ?? 'Former member', detail: [role, how].filter(Boolean).join(' · ') };
  }
  // The database's own role is a function's direct connection when it names itself, else setup or cron.
  const system = row.actor_role === 'service_role' ? 'Lintel service' : row.actor_role === 'postgres' ? (how ? '' : 'Setup or scheduled job') : (row.actor_role ?? '');
  return { name: 'System', detail: [how, system].filter(Boolean).join(' · ') };
}

function values(row: AuditRow): Record<string, unknown> {
  return ((row.new_values ?? row.old_values) as Record<string, unknown> | null) ?? {};
}

/** What the row is about, and where it lives in the app (null when nowhere, e.g. a bulk posting). */
export function subjectOf(row: AuditRow, ctx: AuditContext): { label: string; href: string | null } {
  const v = values(row);
  const str = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : null);
  if (isBulk(row)) return { label: row.via === 'run_rent_charges' ? 'Rent run' : 'Bulk posting', href: null };
  switch (row.table_name) {
    case 'leases':
      return { label: 'Lease', href: `/app/leases/${row.record_id}` };
    case 'ledger_entries':
      return { label: `Ledger entry${str('kind') ? ` (${str('kind')!.replaceAll('_', ' ')})` : ''}`, href: str('lease_id') && `/app/leases/${str('lease_id')}` };
    case 'payments':
      return { label: 'Payment', href: str('lease_id') && `/app/leases/${str('lease_id')}` };
    case 'lease_residents': {
      const lease = str('lease_id') ?? row.record_id.split(':')[0]!;
      return { label: 'Resident on a lease', href: `/app/leases/${lease}` };
    }
    case 'memberships': {
      const user = str('user_id') ?? row.record_id;
      return { label: `Member: ${ctx.memberName(user) ?? 'former member'}`, href: '/app/team' };
    }
    case 'invitations':
      return { label: `Invitation: ${str('email') ?? 'unknown email'}`, href: '/app/team' };
    case 'organizations':
      return { label: 'Company settings', href: '/app/settings' };
    case 'properties':
    case 'units':
    case 'residents':
      return { label: AUDIT_TABLES[row.table_name]!.replace(/s$/, ''), href: `/app/${row.table_name}/${row.record_id}` };
    default:
      return { label: humanize(row.table_name), href: null };
  }
}

/** One value as a person reads it: money in the org's currency, dates in its zone, roles by name. */
export function formatValue(key: string, value: unknown, ctx: AuditContext, currency = ctx.currency): string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (key.endsWith('_minor') && (typeof value === 'number' || typeof value === 'string')) return formatMoney(value, currency, ctx.locale);
  if (key === 'role' && typeof value === 'string' && value in ROLE_LABELS) return ROLE_LABELS[value as OrgRole];
  if (typeof value === 'string') {
    if (key.endsWith('_at') && !Number.isNaN(Date.parse(value))) return formatDateTime(value, ctx.timezone, ctx.locale);
    if (/_date$/.test(key) && /^\d{4}-\d{2}-\d{2}$/.test(value)) return formatDate(value, ctx.locale);
    if (['user_id', 'invited_by', 'accepted_by'].includes(key)) return ctx.memberName(value) ?? 'Former member';
    if (key.endsWith('_id') && /^[0-9a-f-]{36}$/.test(value)) return `#${value.slice(0, 8)}`;
    return ['kind', 'status', 'method'].includes(key) ? value.replaceAll('_', ' ') : value;
  }
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function order(a: string, b: string): number {
  const ia = FIRST.indexOf(a);
  const ib = FIRST.indexOf(b);
  if (ia !== ib) return (ia === -1 ? FIRST.length : ia) - (ib === -1 ? FIRST.length : ib);
  return a.localeCompare(b);
}

/** What changed: every differing field of an update; the fields set by an insert or held by a deleted row. */
export function changesOf(row: AuditRow, ctx: AuditContext): Change[] {
  if (isBulk(row)) return [];
  const before = (row.old_values as Record<string, unknown> | null) ?? {};
  const after = (row.new_values as Record<string, unknown> | null) ?? {};
  const currency = (typeof after.currency === 'string' ? after.currency : typeof before.currency === 'string' ? before.currency : null) ?? ctx.currency;
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  const out: Change[] = [];
  for (const key of [...keys].sort(order)) {
    if (HIDDEN.has(key)) continue;
    const b = before[key];
    const a = after[key];
    if (row.action === 'update' && JSON.stringify(b) === JSON.stringify(a)) continue;
    if (row.action === 'insert' && (a === null || a === undefined || a === '')) continue;
    if (row.action === 'delete' && (b === null || b === undefined || b === '')) continue;
    out.push({
      field: key,
      label: fieldLabel(key),
      before: row.action === 'insert' ? null : formatValue(key, b, ctx, currency),
      after: row.action === 'delete' ? null : formatValue(key, a, ctx, currency),
    });
  }
  return out;
}

/** A bulk row (more than 50 ledger entries in one statement) in one sentence. */
export function bulkSummary(row: AuditRow, ctx: AuditContext): string {
  const v = (row.new_values as { entries?: number; amount_minor?: number; kinds?: Record<string, number> } | null) ?? {};
  const n = new Intl.NumberFormat(ctx.locale);
  const kinds = Object.entries(v.kinds ?? {})
    .map(([k, count]) => `${n.format(count)} ${k.replaceAll('_', ' ')}`)
    .join(', ');
  const total = v.amount_minor === undefined ? '' : ` totalling ${formatMoney(v.amount_minor, ctx.currency, ctx.locale)}`;
  return `${n.format(v.entries ?? 0)} ledger entries in one run${total}${kinds ? ` (${kinds})` : ''}. Large postings are logged as one row; the entries are the ledger rows with this time.`;
}
