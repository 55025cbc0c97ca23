import { describe, expect, it } from 'vitest';
import { accessChangeOf, noticeAccessChange, onAccessChanged, toUserError } from './errors.ts';

describe('toUserError', () => {
  it('maps a constraint to its field and sentence', () => {
    const e = { code: '23505', message: 'duplicate key value violates unique constraint "leases_unit_id_active_key"' };
    expect(toUserError(e)).toEqual({ field: 'unit_id', message: 'This unit already has an active lease. End it first, or choose another unit.', code: '23505' });
  });
  it('maps project codes, keeping the database sentence where it speaks to people', () => {
    expect(toUserError({ code: 'LT429', message: "the plan's unit limit is reached for Acme" }).message).toMatch(/unit limit is reached/);
    expect(toUserError({ code: 'LT409', message: 'jo@x.test is already a member' }).message).toBe('jo@x.test is already a member.');
    expect(toUserError({ code: 'LT409', message: 'the currency cannot change', hint: 'Leases keep theirs.' }).message).toBe('The currency cannot change. Leases keep theirs.');
    expect(toUserError({ code: 'LT429', message: 'this file adds 30 units; the plan allows 2 more', hint: 'Upgrade the plan, or import fewer units; nothing was imported.' }).message).toBe(
      'This file adds 30 units; the plan allows 2 more. Upgrade the plan, or import fewer units; nothing was imported.',
    );
    expect(toUserError({ code: 'LT403', message: 'only owners…' }).message).toBe('Your role does not allow this. Ask an owner or admin.');
  });
  it('maps Auth error codes and network failures', () => {
    expect(toUserError({ code: 'invalid_credentials', message: 'Invalid login credentials' }).message).toBe('That email and password do not match.');
    expect(toUserError(new TypeError('Failed to fetch')).code).toBe('network');
  });
  it('puts an RPC refusal on the field its DETAIL names, in the database’s words', () => {
    const e = { code: 'LT409', message: 'the unit is leased until 2027-11-30', details: 'field: unit_id', hint: 'Save the new lease as a draft.' };
    expect(toUserError(e)).toEqual({ field: 'unit_id', message: 'The unit is leased until 2027-11-30. Save the new lease as a draft.', code: 'LT409' });
    expect(toUserError({ code: 'LT404', message: 'unit not found', details: 'Key (id)' }).message).toBe('This was not found. It may have been removed.');
  });
  it('says why a delete is refused while other rows still point at the row', () => {
    const e = { code: '23503', message: 'update or delete on table "units" violates foreign key constraint "leases_org_id_unit_id_fkey" on table "leases"' };
    expect(toUserError(e).message).toMatch(/^This unit has leases/);
    expect(toUserError(e).field).toBeUndefined();
    const insert = { code: '23503', message: 'insert or update on table "leases" violates foreign key constraint "leases_org_id_unit_id_fkey"' };
    expect(toUserError(insert).field).toBe('unit_id');
  });
  it('never shows a raw database message for an unknown error', () => {
    expect(toUserError({ code: 'XX000', message: 'internal: relation "x" …' }).message).toMatch(/^Something went wrong/);
  });
});

describe('a stale access token (LT440)', () => {
  const removed = { code: 'LT440', message: 'you are no longer a member of this organization', details: 'removed' };
  const changed = { code: 'LT440', message: 'your role in this organization has changed', details: 'role_changed' };
  it('says what happened', () => {
    expect(toUserError(removed).message).toBe('You no longer have access to this company: an owner or admin removed you.');
    expect(toUserError(changed).message).toMatch(/^Your role in this company has changed/);
    expect([accessChangeOf(removed), accessChangeOf(changed), accessChangeOf({ code: 'LT403' })]).toEqual(['removed', 'role_changed', null]);
  });
  it('tells the listeners, and only for LT440', () => {
    const heard: string[] = [];
    const off = onAccessChanged((c) => heard.push(c));
    noticeAccessChange({ code: 'LT403' });
    noticeAccessChange(changed);
    off();
    noticeAccessChange(removed);
    expect(heard).toEqual(['role_changed']);
  });
});

describe('edge function errors', () => {
  it('puts a field error on its field and keeps a speaking message', () => {
    expect(toUserError({ code: 'invalid_request', message: 'The request is not valid.', details: { fieldErrors: { email: ['Enter a valid email address.'] } } as never }))
      .toEqual({ field: 'email', message: 'Enter a valid email address.', code: 'invalid_request' });
    expect(toUserError({ code: 'mail_failed', message: 'The invitation is saved, but its email could not be sent. Resend it in a moment.' }).message)
      .toBe('The invitation is saved, but its email could not be sent. Resend it in a moment.');
    expect(toUserError({ name: 'FunctionsFetchError', message: 'Failed to send a request to the Edge Function' }).code).toBe('network');
  });
});
