import type { SupabaseClient } from '@supabase/supabase-js';
import { z } from 'zod';
import { fromDatabase, HttpError } from './errors.ts';
import { escapeHtml, sendMail } from './mail.ts';

/** What the app sends to invite: an email and a role; a resident invitation names the resident. */
export const inviteBody = z
  .object({
    email: z.string().trim().toLowerCase().email('Enter a valid email address.'),
    role: z.enum(['owner', 'admin', 'manager', 'maintenance', 'viewer', 'resident'], { message: 'Choose a role.' }),
    resident_id: z.uuid('Choose a resident.').optional(),
  })
  .refine((b) => (b.role === 'resident') === !!b.resident_id, { path: ['resident_id'], message: 'A resident invitation names the resident, and only it.' });

/** What the app sends to resend: the invitation. */
export const resendBody = z.object({ invitation_id: z.uuid('Name the invitation to resend.') });

export interface SentInvitation {
  invitation_id: string;
  email: string;
  role: string;
  expires_at: string;
}

const ROLE_NAMES: Record<string, string> = {
  owner: 'an owner',
  admin: 'an admin',
  manager: 'a manager',
  maintenance: 'maintenance staff',
  viewer: 'a viewer',
  resident: 'a resident',
};

interface Issued {
  invitation_id: string;
  token: string;
  expires_at: string;
}

/** Creates an invitation as the caller (the database checks their role) and mails its link. */
export async function inviteMember(client: SupabaseClient, body: z.infer<typeof inviteBody>, siteUrl: string): Promise<SentInvitation> {
  const { data, error } = await client.rpc('invite_member', { p_email: body.email, p_role: body.role, p_resident_id: body.resident_id ?? null });
  if (error) throw fromDatabase(error);
  return mailInvitation(client, data as Issued, siteUrl);
}

/** A new token and expiry for an unused invitation, as the caller, and a new email. */
export async function resendInvitation(client: SupabaseClient, invitationId: string, siteUrl: string): Promise<SentInvitation> {
  const { data, error } = await client.rpc('resend_invitation', { p_invitation_id: invitationId });
  if (error) throw fromDatabase(error);
  return mailInvitation(client, data as Issued, siteUrl);
}

async function mailInvitation(client: SupabaseClient, issued: Issued, siteUrl: string): Promise<SentInvitation> {
  // What the invitee will see on the link's page, read the same way.
  const { data, error } = await client.rpc('lookup_invitation', { p_token: issued.token }).single<{
    org_name: string;
    email: string;
    role: string;
    expires_at: string;
    invited_by_name: string | null;
  }>();
  if (error) throw fromDatabase(error);
  const link = `${siteUrl.replace(/\/+$/, '')}/invite/${issued.token}`;
  const mail = invitationMail({ orgName: data.org_name, role: data.role, inviter: data.invited_by_name, link, expiresAt: data.expires_at });
  try {
    await sendMail({ to: data.email, ...mail });
  } catch (err) {
    console.error('invitation mail failed', err);
    throw new HttpError(502, 'mail_failed', 'The invitation is saved, but its email could not be sent. Resend it in a moment.', {
      invitation_id: issued.invitation_id,
    });
  }
  return { invitation_id: issued.invitation_id, email: data.email, role: data.role, expires_at: data.expires_at };
}

/** The invitation email: who invited whom to what, the link, and until when it works. */
export function invitationMail(i: { orgName: string; role: string; inviter: string | null; link: string; expiresAt: string }) {
  const who = i.inviter ?? 'Someone';
  const as = ROLE_NAMES[i.role] ?? i.role;
  const until = new Date(i.expiresAt).toUTCString().replace(/:\d\d GMT$/, ' UTC');
  const subject = `Join ${i.orgName} on Lintel`;
  const text = [
    `${who} invited you to join ${i.orgName} on Lintel as ${as}.`,
    '',
    `Accept the invitation: ${i.link}`,
    '',
    `The link works until ${until}. If you did not expect it, ignore this email.`,
  ].join('\n');
  const html = `<p>${escapeHtml(who)} invited you to join <strong>${escapeHtml(i.orgName)}</strong> on Lintel as ${escapeHtml(as)}.</p>
<p><a href="${escapeHtml(i.link)}">Accept the invitation</a></p>
<p>The link works until ${escapeHtml(until)}. If you did not expect it, ignore this email.</p>`;
  return { subject, text, html };
}
