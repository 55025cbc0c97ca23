import type { StaffRole } from '$lib/auth/claims.ts';
import type { Tables } from '$lib/database.types.ts';
import type { InviteInput } from '$lib/schemas/team.ts';
import { invokeFunction } from '$lib/supabase/functions.ts';
import type { Client } from '$lib/supabase/types.ts';

export interface TeamMember {
  user_id: string;
  full_name: string;
  email: string;
  role: StaffRole;
  joined_at: string;
  last_sign_in_at: string | null;
}

export type InvitationStatus = 'pending' | 'expired' | 'accepted';
export type Invitation = Pick<Tables<'invitations'>, 'id' | 'email' | 'role' | 'created_at' | 'expires_at' | 'accepted_at' | 'invited_by'> & {
  status: InvitationStatus;
};

/** What the invitation page shows before sign-in (lookup_invitation). */
export interface InvitationPreview {
  org_name: string;
  email: string;
  role: string;
  status: InvitationStatus;
  expires_at: string;
  invited_by_name: string | null;
}

export interface SentInvitation {
  invitation_id: string;
  email: string;
  role: string;
  expires_at: string;
}

/** The active org's staff with their emails (team_members reads auth.users for the caller's org only). */
export async function listMembers(client: Client): Promise<TeamMember[]> {
  const { data, error } = await client.rpc('team_members');
  if (error) throw error;
  return (data ?? []) as TeamMember[];
}

function statusOf(i: { accepted_at: string | null; expires_at: string }, now: number): InvitationStatus {
  if (i.accepted_at) return 'accepted';
  return new Date(i.expires_at).getTime() <= now ? 'expired' : 'pending';
}

const STATUS_ORDER: Record<InvitationStatus, number> = { pending: 0, expired: 1, accepted: 2 };

/** The org's invitations: pending first, then expired, then accepted; newest first within each. */
export async function listInvitations(client: Client, orgId: string, now = Date.now()): Promise<Invitation[]> {
  const { data, error } = await client
    .from('invitations')
    .select('id, email, role, created_at, expires_at, accepted_at, invited_by')
    .eq('org_id', orgId)
    .neq('role', 'resident')
    .order('created_at', { ascending: false })
    .limit(200);
  if (error) throw error;
  return (data ?? [])
    .map((i) => ({ ...i, status: statusOf(i, now) }))
    .sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status]);
}

/** Invites by email; the invite-member function creates the invitation as the caller and mails it. */
export async function inviteMember(client: Client, input: InviteInput): Promise<SentInvitation> {
  return invokeFunction<SentInvitation>(client, 'invite-member', input);
}

/** A new link (the old one stops working) and seven more days, mailed again. */
export async function resendInvitation(client: Client, invitationId: string): Promise<SentInvitation> {
  return invokeFunction<SentInvitation>(client, 'invite-member', { invitation_id: invitationId });
}

/** Deletes an invitation so its link stops working (owners and admins; others change nothing). */
export async function revokeInvitation(client: Client, orgId: string, id: string): Promise<void> {
  const { data, error } = await client.from('invitations').delete().eq('org_id', orgId).eq('id', id).select('id');
  if (error) throw error;
  if (!data?.length) throw { code: 'LT404', message: 'invitation not found' };
}

export async function changeMemberRole(client: Client, userId: string, role: StaffRole): Promise<void> {
  const { error } = await client.rpc('change_member_role', { p_user_id: userId, p_role: role });
  if (error) throw error;
}

export async function removeMember(client: Client, userId: string): Promise<void> {
  const { error } = await client.rpc('remove_member', { p_user_id: userId });
  if (error) throw error;
}

/** The invitation behind a link, or null for a token that matches none (signed out too). */
export async function lookupInvitation(client: Client, token: string): Promise<InvitationPreview | null> {
  const { data, error } = await client.rpc('lookup_invitation', { p_token: token });
  if (error) throw error;
  return ((data ?? [])[0] as InvitationPreview | undefined) ?? null;
}

/** Joins the invitation's org (it becomes the active one); refresh the session for its claims. */
export async function acceptInvitation(client: Client, token: string): Promise<{ org_id: string; role: string }> {
  const { data, error } = await client.rpc('accept_invitation', { p_token: token });
  if (error) throw error;
  return data as { org_id: string; role: string };
}
