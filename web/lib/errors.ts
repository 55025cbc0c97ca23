import { toast } from '$lib/toast.ts';

/**
 * The one place a failure becomes words for a manager: by SQLSTATE (the project's LT codes,
 * supabase/migrations/*_create_private_helpers.sql), by constraint name, or by Auth error code.
 * `field` names the form field the message belongs to, when it belongs to one.
 */
export interface UserError {
  message: string;
  field?: string;
  code?: string;
}

interface ErrorLike {
  code?: string;
  message?: string;
  details?: string | null;
  hint?: string | null;
  status?: number;
  name?: string;
}

/** Constraint names (STYLE.md: <table>_<cols>_{key,check,fkey}) → the field and the sentence. */
const CONSTRAINTS: Record<string, UserError> = {
  leases_unit_id_active_key: { field: 'unit_id', message: 'This unit already has an active lease. End it first, or choose another unit.' },
  leases_end_date_check: { field: 'end_date', message: 'The end date must be after the start date.' },
  leases_rent_minor_check: { field: 'rent', message: 'Rent must be more than zero.' },
  leases_deposit_minor_check: { field: 'deposit', message: 'The deposit cannot be negative.' },
  leases_due_day_check: { field: 'due_day', message: 'Rent is due on a day from 1 to 28, so every month has it.' },
  leases_grace_days_check: { field: 'grace_days', message: 'Grace days are between 0 and 31.' },
  units_org_id_property_id_label_key: { field: 'label', message: 'This property already has a unit with that label.' },
  units_label_check: { field: 'label', message: 'Give the unit a label of up to 50 characters.' },
  units_bedrooms_check: { field: 'bedrooms', message: 'Bedrooms are between 0 and 20.' },
  units_bathrooms_check: { field: 'bathrooms', message: 'Bathrooms are between 0 and 20.' },
  units_square_feet_check: { field: 'square_feet', message: 'Size must be more than zero.' },
  units_market_rent_minor_check: { field: 'market_rent', message: 'Market rent must be more than zero.' },
  properties_name_check: { field: 'name', message: 'Give the property a name of up to 200 characters.' },
  properties_country_check: { field: 'country', message: 'Use a two-letter country code, such as US or GB.' },
  residents_full_name_check: { field: 'full_name', message: 'Enter the resident’s name.' },
  residents_email_check: { field: 'email', message: 'Enter a valid email address.' },
  residents_org_id_user_id_key: { message: 'This login is already linked to another resident.' },
  organizations_slug_key: { field: 'slug', message: 'This address is taken. Choose another.' },
  organizations_slug_check: { field: 'slug', message: 'Use lowercase letters, digits and dashes.' },
  organizations_name_check: { field: 'name', message: 'Enter the company name.' },
  organizations_currency_check: { field: 'currency', message: 'Choose a currency.' },
  organizations_billing_email_check: { field: 'billing_email', message: 'Enter a valid email address.' },
  organizations_country_check: { field: 'country', message: 'Choose a country.' },
  organizations_locale_check: { field: 'locale', message: 'Choose a language and region.' },
  organizations_default_late_fee_minor_check: { field: 'default_late_fee_minor', message: 'The late fee cannot be negative.' },
  organizations_default_grace_days_check: { field: 'default_grace_days', message: 'Grace days are 0 to 31.' },
  organizations_reminder_days_before_check: { field: 'reminder_days_before', message: 'Reminders go 0 to 31 days before the due date.' },
  units_org_id_property_id_fkey: { field: 'property_id', message: 'Choose a property of this company.' },
  leases_org_id_unit_id_fkey: { field: 'unit_id', message: 'Choose a unit of this company.' },
  lease_residents_org_id_resident_id_fkey: { field: 'resident_ids', message: 'Choose residents of this company.' },
};

/**
 * A delete refused because other rows still point at the row (SQLSTATE 23503 on the referenced
 * side: "update or delete on table … violates foreign key constraint …"): why, in words.
 */
const STILL_REFERENCED: Record<string, string> = {
  leases_org_id_unit_id_fkey: 'This unit has leases, so it cannot be deleted. Its lease and payment history stays with it.',
  lease_residents_org_id_resident_id_fkey: 'This resident is on a lease, so they cannot be deleted. The lease and its payments name them.',
  units_org_id_property_id_fkey: 'This property has units. Delete or move its units first.',
};

/** Project SQLSTATEs → a sentence; the database's own message is used where it is more precise. */
const CODES: Record<string, string> = {
  LT401: 'Your session has ended. Sign in again.',
  LT402: 'This company is read-only: its subscription has lapsed. The owner can renew it in Settings.',
  LT403: 'Your role does not allow this. Ask an owner or admin.',
  LT404: 'This was not found. It may have been removed.',
  LT409: 'This conflicts with something that already exists.',
  LT410: 'This invitation has been used or has expired. Ask for a new one.',
  LT422: 'Some of what you entered is not valid.',
  LT429: 'Your plan’s unit limit is reached. Upgrade the plan or remove units first.',
  '42501': 'Your role does not allow this. Ask an owner or admin.',
  PGRST116: 'This was not found. It may have been removed.',
  PGRST301: 'Your session has ended. Sign in again.',
  PGRST303: 'Your session has ended. Sign in again.',
  // Edge functions' own codes (edge-functions/_shared/errors.ts).
  invalid_request: 'Some of what you entered is not valid.',
  invalid_json: 'Something went wrong. Try again, and tell us if it keeps happening.',
  not_authenticated: 'Your session has ended. Sign in again.',
  mail_failed: 'The email could not be sent. Try again in a moment.',
};

/** LT440 (private.check_request): the token claims an org role the user no longer holds. */
const ACCESS_CHANGED: Record<string, string> = {
  removed: 'You no longer have access to this company: an owner or admin removed you.',
  role_changed: 'Your role in this company has changed. Lintel is loading what you may do now.',
};

const AUTH: Record<string, UserError> = {
  invalid_credentials: { message: 'That email and password do not match.' },
  email_not_confirmed: { message: 'Confirm your email first: open the link we sent you.' },
  user_already_exists: { field: 'email', message: 'An account with this email already exists. Sign in instead.' },
  email_exists: { field: 'email', message: 'An account with this email already exists. Sign in instead.' },
  weak_password: { field: 'password', message: 'Choose a stronger password: at least 8 characters with letters and digits.' },
  same_password: { field: 'password', message: 'Choose a password you have not used here before.' },
  over_email_send_rate_limit: { message: 'Too many emails were sent. Wait a minute and try again.' },
  over_request_rate_limit: { message: 'Too many attempts. Wait a minute and try again.' },
  otp_expired: { message: 'This link has expired or was already used. Ask for a new one.' },
  session_not_found: { message: 'Your session has ended. Sign in again.' },
  validation_failed: { message: 'Some of what you entered is not valid.' },
};

/** Codes whose message is written for people (it names the thing in conflict, the numbers, or what to do). */
const SPEAKING = new Set(['LT409', 'LT422', 'LT429', 'mail_failed']);

export function toUserError(err: unknown): UserError {
  if (!err) return { message: 'Something went wrong. Try again.' };
  const e = err as ErrorLike;
  if (e.name === 'TypeError' || e.name === 'FunctionsFetchError' || /fetch failed|Failed to fetch|NetworkError/i.test(e.message ?? '')) {
    return { message: 'Lintel could not reach the server. Check your connection and try again.', code: 'network' };
  }
  const constraint = /constraint "([^"]+)"/.exec(`${e.message ?? ''} ${e.details ?? ''}`)?.[1];
  if (e.code === '23503' && /^update or delete on table/.test(e.message ?? '')) {
    return { message: (constraint && STILL_REFERENCED[constraint]) || 'Other records still use this, so it cannot be deleted.', code: e.code };
  }
  // An RPC names the form field its refusal belongs to in DETAIL ("field: unit_id"); its message
  // and hint are then written for people (supabase/migrations/*_add_lease_rpcs.sql).
  const field = /^field: ([a-z_]+)$/.exec(e.details ?? '')?.[1];
  if (field && e.code?.startsWith('LT') && e.message) {
    return { field, message: capitalize(e.message) + (e.hint ? ` ${e.hint}` : ''), code: e.code };
  }
  const known = (constraint && CONSTRAINTS[constraint]) || (e.code ? AUTH[e.code] : undefined);
  if (known) return { ...known, code: e.code };
  if (e.code === 'LT440') return { message: ACCESS_CHANGED[accessChangeOf(err) ?? 'removed']!, code: e.code };
  if (e.code === 'invalid_request') {
    const fields = (e.details as unknown as { fieldErrors?: Record<string, string[]> } | null)?.fieldErrors ?? {};
    const [field, messages] = Object.entries(fields)[0] ?? [];
    if (field && messages?.[0]) return { field, message: messages[0], code: e.code };
  }
  if (e.code && CODES[e.code]) {
    const message = SPEAKING.has(e.code) && e.message ? capitalize(e.message) + (e.hint ? ` ${e.hint}` : '') : CODES[e.code]!;
    return { message, code: e.code };
  }
  if (e.code === '23505') return { message: 'This already exists.', code: e.code };
  if (e.code === '23514' || e.code === '22P02' || e.code === '22007') return { message: 'Some of what you entered is not valid.', code: e.code };
  return { message: 'Something went wrong. Try again, and tell us if it keeps happening.', code: e.code };
}

function capitalize(s: string): string {
  const t = s.trim();
  // An email address opening the sentence stays as it is written.
  const first = /^\S*@/.test(t) ? t : t.charAt(0).toUpperCase() + t.slice(1);
  return first.replace(/([^.!?])$/, '$1.');
}

/** 'removed' or 'role_changed' when the failure is LT440 (the access token is stale), else null. */
export function accessChangeOf(err: unknown): 'removed' | 'role_changed' | null {
  const e = err as ErrorLike | null;
  if (e?.code !== 'LT440') return null;
  return e.details === 'role_changed' ? 'role_changed' : 'removed';
}

const accessListeners = new Set<(change: 'removed' | 'role_changed') => void>();

/** Called when any request finds the user's access changed (the /app layout refreshes the session). */
export function onAccessChanged(listener: (change: 'removed' | 'role_changed') => void): () => void {
  accessListeners.add(listener);
  return () => accessListeners.delete(listener);
}

/** Tells the listeners when a failure says the user's access changed; the failures' reporters call it. */
export function noticeAccessChange(err: unknown): void {
  const change = accessChangeOf(err);
  if (change) for (const listener of accessListeners) listener(change);
}

/** Shows a failure as an error toast and returns it (for field messages). */
export function reportError(err: unknown, prefix?: string): UserError {
  noticeAccessChange(err);
  const u = toUserError(err);
  toast.error(prefix ? `${prefix}: ${u.message}` : u.message);
  return u;
}
