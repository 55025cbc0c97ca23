import { z } from 'zod';
import { optionalText, requiredText } from './common.ts';

export const propertySchema = z.object({
  name: requiredText('the property name'),
  address_line1: z.string().trim().max(200, 'Keep the address under 201 characters.'),
  address_line2: optionalText(200),
  city: z.string().trim().max(100, 'Keep the city under 101 characters.'),
  region: optionalText(100),
  postal_code: optionalText(20),
  country: z.string().regex(/^[A-Z]{2}$/, 'Choose a country.'),
});
export type PropertyInput = z.output<typeof propertySchema>;
