import { getContext, setContext } from 'svelte';
import type { Capabilities } from '$lib/auth/capabilities.ts';
import type { Claims, StaffRole } from '$lib/auth/claims.ts';
import type { Organization } from '$lib/data/orgs.ts';
import type { Client } from '$lib/supabase/types.ts';

/**
 * What every /app page reads: who is signed in, the active org and its formatting settings.
 * Getters, so a page re-renders when the org loads or the claims change.
 */
export interface AppContext {
  readonly supabase: Client;
  readonly claims: Claims;
  readonly orgId: string;
  readonly userId: string;
  readonly role: StaffRole;
  readonly can: Capabilities;
  readonly org: Organization | undefined;
  readonly currency: string;
  readonly locale: string;
  readonly timezone: string;
}

const KEY = Symbol('lintel.app');

export function setAppContext(ctx: AppContext): void {
  setContext(KEY, ctx);
}

export function app(): AppContext {
  const ctx = getContext<AppContext | undefined>(KEY);
  if (!ctx) throw new Error('app() is only available under /app');
  return ctx;
}
