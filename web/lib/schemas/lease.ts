import { z } from 'zod';
import { intField, isoDate, money, optionalMoney, uuid } from './common.ts';

const optionalDate = (label: string) =>
  z
    .string()
    .trim()
    .transform((v) => (v === '' ? null : v))
    .pipe(isoDate(label).nullable());

/** The new-lease form; amounts typed in `currency`, out in minor units. */
export const leaseSchema = (currency: string) =>
  z
    .object({
      unit_id: uuid('a unit'),
      resident_ids: z.array(z.string().uuid()).min(1, 'Choose at least one resident, or add a new one.'),
      start_date: isoDate('the start date'),
      end_date: optionalDate('the end date'),
      rent: money('the rent', currency, 1),
      deposit: optionalMoney('the deposit', currency).transform((v) => v ?? 0),
      due_day: intField('The due day', 1, 28),
      grace_days: intField('Grace days', 0, 31),
      late_fee: optionalMoney('the late fee', currency).transform((v) => v ?? 0),
      status: z.enum(['draft', 'active'], { message: 'Choose draft or active.' }),
    })
    .refine((v) => !v.end_date || v.end_date > v.start_date, { path: ['end_date'], message: 'The end date must be after the start date.' });
export type LeaseInput = z.output<ReturnType<typeof leaseSchema>>;

/** Renewing: the new term's end (empty = month-to-month) and rent. */
export const renewLeaseSchema = (currency: string, nextStart: string) =>
  z
    .object({ end_date: optionalDate('the new end date'), rent: money('the rent', currency, 1) })
    .refine((v) => !v.end_date || v.end_date > nextStart, { path: ['end_date'], message: 'The new term must end after it starts.' });
export type RenewLeaseInput = z.output<ReturnType<typeof renewLeaseSchema>>;

/** Ending a lease: the move-out date is its last day, after the day it started. */
export const endLeaseSchema = (start: string, startLabel: string) =>
  z.object({
    move_out: isoDate('the move-out date').refine((d) => d > start, `The move-out date must be after the lease starts (${startLabel}).`),
  });
export type EndLeaseInput = z.output<ReturnType<typeof endLeaseSchema>>;
