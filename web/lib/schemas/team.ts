import { z } from 'zod';
import { STAFF_ROLES } from '$lib/auth/claims.ts';
import { email } from './common.ts';

/** The invite form (and the invite-member function's body): an email and a staff role. */
export const inviteSchema = z.object({
  email,
  role: z.enum(STAFF_ROLES, { message: 'Choose a role.' }),
});
export type InviteInput = z.output<typeof inviteSchema>;

export const roleSchema = z.object({ role: z.enum(STAFF_ROLES, { message: 'Choose a role.' }) });
