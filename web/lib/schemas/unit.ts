import { z } from 'zod';
import { intField, optionalInt, optionalMoney, requiredText, uuid } from './common.ts';

/** The unit form; amounts typed in `currency`, out in minor units. */
export const unitSchema = (currency: string) =>
  z.object({
    property_id: uuid('a property'),
    label: requiredText('the unit label', 50),
    bedrooms: intField('Bedrooms', 0, 20),
    bathrooms: z.coerce
      .number({ message: 'Enter bathrooms as a number.' })
      .min(0, 'Bathrooms are at least 0.')
      .max(20, 'Bathrooms are at most 20.')
      .refine((n) => Number.isInteger(n * 2), 'Bathrooms go in halves, like 1 or 1.5.'),
    square_feet: optionalInt('the size', 1),
    market_rent: optionalMoney('the market rent', currency, 1),
  });
export type UnitInput = z.output<ReturnType<typeof unitSchema>>;
