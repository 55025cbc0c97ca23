import type { SupabaseClient } from '@supabase/supabase-js';
import { HttpError } from './errors.ts';

/** A database error of Lintel's (LT codes) as the function's answer: field errors name the field. */
export function dbFailure(error: { code?: string; message: string; hint?: string | null }): HttpError {
  switch (error.code) {
    case 'LT401':
      return new HttpError(401, 'not_authenticated', 'Sign in to continue.');
    case 'LT403':
      return new HttpError(403, 'forbidden', error.message);
    case 'LT404':
      return new HttpError(404, 'not_found', 'No such lease.');
    case 'LT412':
      return new HttpError(409, 'payments_not_enabled', error.message);
    case 'LT422':
      return new HttpError(400, 'invalid_request', 'The request is not valid.', {
        formErrors: error.hint ? [] : [error.message],
        fieldErrors: error.hint ? { [error.hint]: [error.message] } : {},
      });
    default:
      console.error(error);
      return new HttpError(500, 'internal_error', 'Something went wrong on our side.');
  }
}

/** The payment row start_payment returns, with what the function needs beside it. */
export interface StartedPayment {
  id: string;
  org_id: string;
  lease_id: string;
  resident_id: string;
  amount_minor: number;
  currency: string;
  status: string;
  stripe_account_id: string;
  application_fee_minor: number;
  stripe_checkout_session_id: string | null;
  existing: boolean;
  org_name: string;
}

/** A failed start leaves no pending payment behind: it is canceled with the reason. */
export async function cancelStartedPayment(admin: SupabaseClient, id: string, reason: string): Promise<void> {
  const { error } = await admin.from('payments').update({ status: 'canceled', failure_reason: reason.slice(0, 500) }).eq('id', id).eq('status', 'pending');
  if (error) console.error('could not cancel payment', id, error);
}
