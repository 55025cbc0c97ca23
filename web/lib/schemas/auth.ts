import { z } from 'zod';
import { email, password } from './common.ts';

export const signInSchema = z.object({ email, password: z.string().min(1, 'Enter your password.') });
export const magicLinkSchema = z.object({ email });
export const signUpSchema = z.object({
  full_name: z.string().trim().min(1, 'Enter your name.').max(200, 'Keep your name under 201 characters.'),
  email,
  password,
});
export const newPasswordSchema = z
  .object({ password, confirm: z.string() })
  .refine((v) => v.password === v.confirm, { path: ['confirm'], message: 'The two passwords differ.' });
