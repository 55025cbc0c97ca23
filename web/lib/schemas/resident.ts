import { z } from 'zod';
import { optionalEmail, optionalText, requiredText } from './common.ts';

export const residentSchema = z.object({
  full_name: requiredText('the resident’s full name'),
  email: optionalEmail.transform((v) => v ?? null),
  phone: optionalText(40)
    .transform((v) => v ?? null)
    .refine((v) => v === null || /^[+\d\s().-]{5,}$/.test(v), 'Enter a phone number, like +1 555 0100.'),
});
export type ResidentInput = z.output<typeof residentSchema>;
