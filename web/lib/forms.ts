import type { z } from 'zod';
import { noticeAccessChange, toUserError } from './errors.ts';

/** Field name → the first message for it; '' holds messages that belong to no one field. */
export type FieldErrors = Record<string, string>;

export type Checked<T> = { ok: true; data: T } | { ok: false; errors: FieldErrors };

/** Validates a form's values before anything is sent; what was typed stays in the form. */
export function check<S extends z.ZodType>(schema: S, values: unknown): Checked<z.output<S>> {
  const res = schema.safeParse(values);
  if (res.success) return { ok: true, data: res.data };
  const errors: FieldErrors = {};
  for (const issue of res.error.issues) {
    const field = issue.path.map(String).join('.');
    errors[field] ??= issue.message;
  }
  return { ok: false, errors };
}

/**
 * A refusal from the database as field errors: the constraint's field, the field this form knows a
 * project code belongs to (`byCode`, e.g. LT409 on a currency change), or the form's banner.
 */
export function serverErrors(err: unknown, byCode: Record<string, string> = {}): FieldErrors {
  noticeAccessChange(err);
  const u = toUserError(err);
  const field = u.field ?? (u.code ? byCode[u.code] : undefined);
  return field ? { [field]: u.message } : { '': u.message };
}
