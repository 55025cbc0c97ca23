import { describe, expect, it } from 'vitest';
import { check } from '$lib/forms.ts';
import { orgSettingsSchema } from './org.ts';

const valid = {
  name: 'Acme Property Co',
  currency: 'USD',
  timezone: 'America/Chicago',
  country: 'US',
  locale: 'en-US',
  default_late_fee_minor: 7500,
  default_grace_days: '5',
  reminder_days_before: '3',
  billing_email: '',
};

describe('orgSettingsSchema', () => {
  it('takes days typed as text and an empty billing email as none', () => {
    const v = check(orgSettingsSchema, valid);
    expect(v.ok && v.data).toMatchObject({ default_grace_days: 5, reminder_days_before: 3, billing_email: null });
  });
  it('refuses empty days instead of saving 0, and an amount that did not parse', () => {
    const v = check(orgSettingsSchema, { ...valid, default_grace_days: ' ', reminder_days_before: '40', default_late_fee_minor: null });
    expect(v.ok ? {} : v.errors).toEqual({
      default_grace_days: 'Enter the grace period as a number of days.',
      reminder_days_before: 'Reminders go 0 to 31 days before the due date.',
      default_late_fee_minor: 'Enter the late fee as an amount, like 75.00.',
    });
  });
});
