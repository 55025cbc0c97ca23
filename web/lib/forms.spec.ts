import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { check, serverErrors } from './forms.ts';

describe('forms', () => {
  const schema = z.object({ name: z.string().min(1, 'Enter a name.'), size: z.coerce.number().int().positive('Size must be more than zero.') });
  it('gives the first message per field', () => {
    expect(check(schema, { name: '', size: '-3' })).toEqual({ ok: false, errors: { name: 'Enter a name.', size: 'Size must be more than zero.' } });
    expect(check(schema, { name: 'A', size: '3' })).toEqual({ ok: true, data: { name: 'A', size: 3 } });
  });
  it('puts a constraint refusal on its field, anything else on the form', () => {
    expect(serverErrors({ code: '23505', message: 'violates unique constraint "units_org_id_property_id_label_key"' })).toEqual({ label: 'This property already has a unit with that label.' });
    expect(serverErrors({ code: 'LT403', message: 'x' })).toEqual({ '': 'Your role does not allow this. Ask an owner or admin.' });
  });
  it('puts a project code on the field the form says it belongs to', () => {
    expect(serverErrors({ code: 'LT409', message: 'the currency cannot change once leases are written in it' }, { LT409: 'currency' })).toEqual({
      currency: 'The currency cannot change once leases are written in it.',
    });
  });
});
