import type { Tables } from '$lib/database.types.ts';
import type { Client } from '$lib/supabase/types.ts';
import type { OrgInput, OrgSettingsInput } from '$lib/schemas/org.ts';

export type Organization = Tables<'organizations'>;
export interface MyOrganization {
  org_id: string;
  name: string;
  role: string;
  is_active: boolean;
}

/** The active org (RLS shows a member only that one). */
export async function getOrganization(client: Client, orgId: string): Promise<Organization> {
  const { data, error } = await client.from('organizations').select('*').eq('id', orgId).single();
  if (error) throw error;
  return data;
}

/** Every org the signed-in user belongs to, for the switcher. */
export async function myOrganizations(client: Client): Promise<MyOrganization[]> {
  const { data, error } = await client.rpc('my_organizations');
  if (error) throw error;
  return data ?? [];
}

/** A URL-safe address from a company name: "Acme Property Co." → "acme-property-co". */
export function slugify(name: string): string {
  const base = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 50)
    .replace(/-+$/g, '');
  return base || 'company';
}

export async function createOrganization(client: Client, input: OrgInput): Promise<Organization> {
  const { data, error } = await client.rpc('create_organization', {
    p_name: input.name,
    p_slug: input.slug,
    p_currency: input.currency,
    p_timezone: input.timezone,
    p_country: input.country,
    p_locale: input.locale,
  });
  if (error) throw error;
  return data as Organization;
}

/** Makes another of the user's orgs active; the caller then refreshes the session for its claims. */
export async function setActiveOrg(client: Client, orgId: string): Promise<void> {
  const { error } = await client.rpc('set_active_org', { p_org_id: orgId });
  if (error) throw error;
}

export async function updateOrganization(client: Client, orgId: string, input: OrgSettingsInput): Promise<Organization> {
  const { data, error } = await client.from('organizations').update(input).eq('id', orgId).select('*').single();
  if (error) throw error;
  return data;
}
