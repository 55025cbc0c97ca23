import { describe, expect, it } from 'vitest';
import { daysBetween, formatDate, formatDateTime, formatPeriod, nextDay, relativeDue, startOfDayIn, todayIn } from './date.ts';

describe('dates', () => {
  it('formats a calendar date without shifting it by timezone', () => {
    expect(formatDate('2026-12-05', 'en-US')).toBe('Dec 5, 2026');
    expect(formatDate(null)).toBe('—');
  });
  it('formats a moment in the org’s timezone', () => {
    expect(formatDateTime('2026-12-05T23:30:00Z', 'America/New_York', 'en-US')).toBe('Dec 5, 2026, 6:30 PM');
    expect(formatDateTime('2026-12-05T23:30:00Z', 'Asia/Tokyo', 'en-US')).toBe('Dec 6, 2026, 8:30 AM');
  });
  it('names rent periods as people do', () => {
    expect(formatPeriod('2026-12-01', 'en-US')).toBe('Dec 2026');
  });
  it('knows today in a zone and counts days', () => {
    const now = new Date('2026-12-05T23:30:00Z');
    expect(todayIn('Asia/Tokyo', now)).toBe('2026-12-06');
    expect(todayIn('America/Los_Angeles', now)).toBe('2026-12-05');
    expect(daysBetween('2026-02-27', '2026-03-02')).toBe(3);
  });
  it('says how late or how soon', () => {
    expect(relativeDue('2026-12-02', '2026-12-05', 'en-US')).toBe('3 days overdue');
    expect(relativeDue('2026-12-04', '2026-12-05', 'en-US')).toBe('1 day overdue');
    expect(relativeDue('2026-12-05', '2026-12-05', 'en-US')).toBe('due today');
    expect(relativeDue('2026-12-07', '2026-12-05', 'en-US')).toBe('due in 2 days');
  });
});

describe('startOfDayIn', () => {
  it('is local midnight of the day in the zone, across DST changes', () => {
    expect(startOfDayIn('2026-12-05', 'America/Chicago')).toBe('2026-12-05T06:00:00.000Z');
    expect(startOfDayIn('2026-07-05', 'America/Chicago')).toBe('2026-07-05T05:00:00.000Z');
    expect(startOfDayIn('2026-03-29', 'Europe/Berlin')).toBe('2026-03-28T23:00:00.000Z');
    expect(startOfDayIn('2026-12-05', 'UTC')).toBe('2026-12-05T00:00:00.000Z');
    expect(startOfDayIn('2026-12-05', 'Asia/Kolkata')).toBe('2026-12-04T18:30:00.000Z');
  });
  it('nextDay rolls over months and years', () => {
    expect([nextDay('2026-12-31'), nextDay('2026-02-28')]).toEqual(['2027-01-01', '2026-03-01']);
  });
});
