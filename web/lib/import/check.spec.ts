import { describe, expect, it } from 'vitest';
import { checkRecords, withServerIssues } from './check.ts';
import { parseCsvText, templateCsv } from './csv.ts';
import { FIELDS } from './fields.ts';
import { autoMap } from './mapping.ts';
import { dateOrder, parseBathrooms, parseDate, parseDay, parseWhole } from './values.ts';

const US = { currency: 'USD', locale: 'en-US' };

async function check(csv: string, opts = US) {
  const file = await parseCsvText(csv);
  return checkRecords(file.records, autoMap(file.headers), opts);
}

describe('cell values', () => {
  it('reads dates as ISO or in the order of the org’s locale', () => {
    expect(dateOrder('en-US')).toBe('mdy');
    expect(dateOrder('en-GB')).toBe('dmy');
    expect(parseDate('2026-01-31', 'mdy')).toBe('2026-01-31');
    expect(parseDate('1/31/2026', 'mdy')).toBe('2026-01-31');
    expect(parseDate('31/01/2026', 'dmy')).toBe('2026-01-31');
    expect(parseDate('1/2/26', 'dmy')).toBe('2026-02-01');
    expect(parseDate('2026-02-30', 'mdy')).toBeNull();
    expect(parseDate('2024-02-29', 'mdy')).toBe('2024-02-29');
    expect(parseDate('31/01/2026', 'mdy')).toBeNull();
    expect(parseDate('next week', 'mdy')).toBeNull();
  });

  it('reads whole numbers, bathrooms in tenths and days of the month', () => {
    expect(parseWhole('1,200')).toBe(1200);
    expect(parseWhole('2.0')).toBe(2);
    expect(parseWhole('2.5')).toBeNull();
    expect(parseWhole('Studio', { studio: true })).toBe(0);
    expect(parseBathrooms('1.5')).toBe('1.5');
    expect(parseBathrooms('2.50')).toBe('2.5');
    expect(parseBathrooms('1.25')).toBeNull();
    expect(parseDay('1st')).toBe(1);
    expect(parseDay('15')).toBe(15);
    expect(parseDay('the 1st')).toBeNull();
  });
});

describe('checking a file', () => {
  it('the template’s own rows are valid and become import rows', async () => {
    const res = await check(await templateCsv());
    expect(res.issueCount).toBe(0);
    expect(res.payload).toEqual([
      {
        row: 2, property_name: 'Maple Court', address_line1: '120 Maple Ave', city: 'Springfield', region: 'IL', postal_code: '62701', country: 'US',
        unit_label: '1A', bedrooms: 2, bathrooms: '1.5', square_feet: 850, market_rent_minor: 145000,
        resident_name: 'Jordan Lee', resident_email: 'jordan.lee@example.com', resident_phone: '+1 555 0100',
        co_resident_name: 'Sam Lee', co_resident_email: 'sam.lee@example.com',
        lease_start: '2026-01-01', lease_end: '2026-12-31', rent_minor: 140000, deposit_minor: 140000, due_day: 1,
      },
      {
        row: 3, property_name: 'Maple Court', address_line1: '120 Maple Ave', city: 'Springfield', region: 'IL', postal_code: '62701', country: 'US',
        unit_label: '1B', bedrooms: 1, bathrooms: '1', square_feet: 620, market_rent_minor: 115000,
      },
    ]);
    expect((await parseCsvText(await templateCsv())).headers).toEqual(FIELDS.map((f) => f.label));
  });

  it('names each bad cell by row and column, with the row numbers of the spreadsheet', async () => {
    const csv = [
      'Property,Unit,Tenant,Email,Lease start,Lease end,Rent,Due day,Bedrooms',
      'Maple Court,1A,Ann Lee,ann@example.com,1/15/2026,12/31/2026,"$1,450.00",1st,2',
      '',
      'Maple Court,1B,,,2026-02-30,,0,31,two',
      'maple court,1A,,bad-email,,,,,',
      ',,Bo,,,,,,',
      'Oak,2,Cy,,2026-05-01,2026-04-01,900,,',
    ].join('\n');
    const res = await check(csv);
    const issues = res.rows.flatMap((r) => r.issues.map((i) => [i.row, i.field]));
    expect(issues).toEqual([
      [4, 'bedrooms'],
      [4, 'resident_name'],
      [4, 'lease_start'],
      [4, 'rent'],
      [4, 'due_day'],
      [5, 'unit_label'],
      [5, 'resident_name'],
      [5, 'resident_email'],
      [6, 'property_name'],
      [6, 'unit_label'],
      [6, 'lease_start'],
      [7, 'lease_end'],
    ]);
    expect(res.rows.find((r) => r.row === 5)!.issues.find((i) => i.field === 'unit_label')!.message).toBe('maple court, 1A is also on row 2.');
    expect(res.rows.find((r) => r.row === 4)!.issues.find((i) => i.field === 'lease_start')!.message).toBe('Enter the start date as 2026-01-31 or 1/31/2026.');
    expect(res.rowsWithIssues).toBe(4);
    // Row 3 is blank: skipped, but the numbering stays the spreadsheet's.
    expect(res.rows.map((r) => r.row)).toEqual([2, 4, 5, 6, 7]);
    expect(res.payload).toEqual([
      { row: 2, property_name: 'Maple Court', unit_label: '1A', bedrooms: 2, resident_name: 'Ann Lee', resident_email: 'ann@example.com', lease_start: '2026-01-15', lease_end: '2026-12-31', rent_minor: 145000, due_day: 1 },
    ]);
  });

  it('reads money in the org’s currency', async () => {
    const csv = 'Property,Unit,Tenant,Lease start,Rent\nP,1,A,2026-01-01,150000\nP,2,B,2026-01-01,1500.5';
    const yen = await check(csv, { currency: 'JPY', locale: 'ja-JP' });
    expect(yen.payload.map((r) => r.rent_minor)).toEqual([150000]);
    expect(yen.rows[1]!.issues.map((i) => i.field)).toEqual(['rent']);
  });

  it('adds the database’s refusals to the rows they name', async () => {
    const res = await check('Property,Unit\nP,1\nP,2');
    const merged = withServerIssues(res, [{ row: 3, field: 'unit_label', message: 'P, 2 already has an active lease.' }]);
    expect(merged.rowsWithIssues).toBe(1);
    expect(merged.rows[1]!.issues).toEqual([{ row: 3, field: 'unit_label', message: 'P, 2 already has an active lease.' }]);
  });

  it('reads and checks 10,000 rows (time printed, not asserted)', async () => {
    const header = (await templateCsv()).split(/\r?\n/)[0];
    const lines = [header];
    for (let i = 0; i < 10_000; i++) {
      const p = Math.floor(i / 50);
      lines.push(
        `Property ${p},${p} Main St,,Springfield,IL,62701,US,U${i % 50},2,1.5,800,1500.00,Resident ${i},r${i}@example.com,+1 555 0100,,,2026-01-01,2026-12-31,1450.00,1450.00,1`,
      );
    }
    const csv = lines.join('\n');
    const t0 = performance.now();
    const file = await parseCsvText(csv);
    const t1 = performance.now();
    const res = await checkRecords(file.records, autoMap(file.headers), US);
    const t2 = performance.now();
    expect(res.issueCount).toBe(0);
    expect(res.payload).toHaveLength(10_000);
    const bytes = new TextEncoder().encode(JSON.stringify(res.payload)).length;
    console.log(
      `10,000 rows (${(csv.length / 1e6).toFixed(1)} MB CSV): parse ${(t1 - t0).toFixed(0)} ms, check ${(t2 - t1).toFixed(0)} ms, request body ${(bytes / 1e6).toFixed(1)} MB`,
    );
  });
});
