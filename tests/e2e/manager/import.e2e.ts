import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { expect, expectAccessible, openNav, screenshot, test, viaNav } from '../fixtures.ts';

/** Properties an import test created in Acme, removed after it so other tests see the seed's portfolio. */
const imported: string[] = [];

test.afterEach(async ({ stack }) => {
  const rest = async (path: string, method = 'GET') => {
    const res = await fetch(`${stack.API_URL}/rest/v1/${path}`, {
      method,
      headers: { apikey: stack.SERVICE_ROLE_KEY!, Authorization: `Bearer ${stack.SERVICE_ROLE_KEY}` },
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return method === 'GET' ? ((await res.json()) as { id: string; resident_id?: string }[]) : [];
  };
  const list = (rows: { id: string }[]) => `(${rows.map((r) => r.id).join(',')})`;
  for (const name of imported.splice(0)) {
    for (const property of await rest(`properties?select=id&name=eq.${encodeURIComponent(name)}`)) {
      const units = await rest(`units?select=id&property_id=eq.${property.id}`);
      if (units.length) {
        const leases = await rest(`leases?select=id&unit_id=in.${list(units)}`);
        const people = leases.length ? await rest(`lease_residents?select=id:resident_id&lease_id=in.${list(leases)}`) : [];
        if (leases.length) await rest(`leases?id=in.${list(leases)}`, 'DELETE');
        if (people.length) await rest(`residents?id=in.${list(people)}`, 'DELETE');
        await rest(`units?property_id=eq.${property.id}`, 'DELETE');
      }
      await rest(`properties?id=eq.${property.id}`, 'DELETE');
    }
  }
});

const csv = (rows: string[][]) => Buffer.from(rows.map((r) => r.map((c) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',')).join('\n'));

async function upload(page: Page, label: string, name: string, body: Buffer) {
  // Enabled once the page is interactive: a file chosen before that would be lost.
  await expect(page.getByLabel(label)).toBeEnabled();
  await page.getByLabel(label).setInputFiles({ name, mimeType: 'text/csv', buffer: body });
}

test('a manager imports a spreadsheet: template, problems per row, a fixed file, progress and a summary', async ({ asManager: page }, info) => {
  // A whole journey: four uploads of the page's state, two accessibility scans, seven screenshots.
  test.slow();
  // Both projects run this on one stack: each imports its own property.
  const run = `${info.project.name}-${Date.now().toString(36)}`;
  const property = `Harbor View ${run}`;
  imported.push(property);
  await page.goto('/app');
  // The sidebar folds away under 1024 px.
  await viaNav(page, 'Import');
  await expect(page).toHaveURL(/\/app\/import$/);
  await expect(page.getByRole('heading', { name: 'Import a spreadsheet', level: 1 })).toBeVisible();
  await expect(page.getByText('What each column means')).toBeVisible();
  await expect(page.getByLabel('Choose a CSV file')).toBeEnabled();
  await screenshot(page, info, 'import-start');
  await expectAccessible(page);

  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download the template' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('lintel-import-template.csv');
  const template = readFileSync(await download.path(), 'utf8').trim().split(/\r?\n/);
  expect(template).toHaveLength(3);
  expect(template[0]).toMatch(/^Property,Street address,.*,Unit,.*,Resident name,.*,Lease start,Lease end,Rent,Deposit,Rent due day$/);

  // The company's own headers; "Asking" is not one Lintel knows.
  const header = ['Building', 'Address', 'City', 'Apt #', 'Beds', 'Asking', 'Tenant Name', 'Email', 'Move-in Date', 'Lease End', 'Monthly Rent'];
  const good = [
    [property, '9 Dock St', 'Chicago', '101', '2', '1500', 'Nora Quinn', `nora-${run}@example.com`, '1/1/2026', '12/31/2099', '$1,450.00'],
    [property, '9 Dock St', 'Chicago', '102', '1', '1200', '', '', '', '', ''],
    [property, '9 Dock St', 'Chicago', '103', 'Studio', '1000', 'Owen Park', '', '2026-03-01', '', '980'],
  ];
  const broken = [
    header,
    ...good,
    [property, '9 Dock St', 'Chicago', '104', '3', '1900', 'Pia Ross', 'pia@example', '2/30/2026', '', '1800'],
    [property, '9 Dock St', 'Chicago', '101', '2', '1500', '', '', '', '', ''],
  ];
  await upload(page, 'Choose a CSV file', 'harbor.csv', csv(broken));

  // Headers matched by name; one column chosen by hand.
  const columns = page.getByRole('region', { name: 'Match the columns' });
  await expect(columns.getByRole('combobox', { name: /^Unit/ })).toContainText('Apt #');
  await expect(columns.getByRole('combobox', { name: /^Resident name/ })).toContainText('Tenant Name');
  await expect(columns.getByText('Columns Lintel did not match: Asking.')).toBeVisible();
  await expect(columns.getByRole('combobox', { name: /^Market rent/ })).toHaveCount(0);
  await screenshot(page, info, 'import-columns');
  await columns.getByRole('button', { name: 'Show all fields (12 more)' }).click();
  await expect(columns.getByRole('combobox', { name: /^Market rent/ })).toContainText('Not in my file');
  await columns.getByRole('combobox', { name: /^Market rent/ }).click();
  await page.getByRole('option', { name: 'Asking' }).click();
  await expect(columns.getByRole('combobox', { name: /^Market rent/ })).toContainText('Asking');

  const rows = page.getByRole('region', { name: 'Check the rows' });
  await expect(rows.getByText('2 of 5 rows have problems.')).toBeVisible();
  const problems = rows.getByRole('table', { name: 'Rows of the file with problems' });
  await expect(problems.getByRole('row')).toHaveCount(3);
  const row5 = problems.getByRole('row', { name: /^5 / });
  await expect(row5).toContainText('Resident email: Enter a valid email address');
  await expect(row5).toContainText('Lease start: Enter the start date as 2026-01-31 or 1/31/2026.');
  await expect(problems.getByRole('row', { name: /^6 / })).toContainText(`Unit: ${property}, 101 is also on row 2.`);
  await expect(rows.getByRole('button', { name: 'Import 5 rows' })).toBeDisabled();
  await screenshot(page, info, 'import-problems');
  await expectAccessible(page);
  await rows.getByText('All rows (5)').click();
  await expect(rows.getByRole('table', { name: 'Rows of the file' }).getByRole('row')).toHaveCount(6);

  // The fixed file: the hand-made choice is kept.
  const fixed = [header, ...good, [property, '9 Dock St', 'Chicago', '104', '3', '1900', 'Pia Ross', `pia-${run}@example.com`, '3/1/2026', '', '1800']];
  await upload(page, 'Upload a fixed file', 'harbor.csv', csv(fixed));
  await expect(rows.getByText('All 4 rows are ready to import.')).toBeVisible();
  await expect(columns.getByRole('combobox', { name: /^Market rent/ })).toContainText('Asking');
  await screenshot(page, info, 'import-ready');

  // Hold the answer a moment so the progress can be seen.
  await page.route('**/rest/v1/rpc/import_portfolio', async (route) => {
    await new Promise((r) => setTimeout(r, 1500));
    await route.continue();
  });
  await rows.getByRole('button', { name: 'Import 4 rows' }).click();
  const bar = page.getByRole('progressbar', { name: 'Importing 4 rows' });
  await expect(bar).toBeVisible();
  await screenshot(page, info, 'import-progress');

  const done = page.getByRole('region', { name: 'harbor.csv is imported' });
  await expect(done).toBeVisible();
  const counts = done.getByRole('table', { name: 'What the import created and reused' });
  await expect(counts.getByRole('row', { name: /^Properties/ })).toHaveText(/Properties\s*1\s*0/);
  await expect(counts.getByRole('row', { name: /^Units/ })).toHaveText(/Units\s*4\s*0/);
  await expect(counts.getByRole('row', { name: /^Residents/ })).toHaveText(/Residents\s*3\s*0/);
  await expect(counts.getByRole('row', { name: /^Leases/ })).toHaveText(/Leases\s*3\s*0/);
  await expect(done.getByRole('link', { name: '4 new units' })).toHaveAttribute('href', /\/app\/units\?property=[0-9a-f-]{36}$/);
  await screenshot(page, info, 'import-done');
  await expectAccessible(page);

  await done.getByRole('link', { name: property }).click();
  await expect(page.getByRole('heading', { name: property, level: 1 })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Property details' })).toContainText(/Units\s*4/);
  await page.goto(`/app/properties?q=${encodeURIComponent(property)}`);
  await expect(page.getByRole('table', { name: 'Properties' }).getByRole('row', { name: new RegExp(property) })).toContainText('9 Dock St');
});

test('a 10,000-row file is read and checked in the browser, and the plan’s unit limit stops it whole', async ({ asManager: page }, info) => {
  test.slow();
  const lines = ['Property,Unit,Resident name,Resident email,Lease start,Rent'];
  for (let i = 0; i < 10_000; i++) lines.push(`Big Block ${Math.floor(i / 50)},U${i % 50},Resident ${i},r${i}@example.com,2026-01-01,1450.00`);
  await page.goto('/app/import');
  const t0 = Date.now();
  await upload(page, 'Choose a CSV file', 'portfolio.csv', Buffer.from(lines.join('\n')));
  const rows = page.getByRole('region', { name: 'Check the rows' });
  await expect(rows.getByText('All 10,000 rows are ready to import.')).toBeVisible({ timeout: 20_000 });
  console.log(`[${info.project.name}] 10,000 rows read and checked in the browser in ${Date.now() - t0} ms`);
  await expect(rows.getByText(/Your plan has room for [\d,]+ more units/)).toBeVisible();
  await screenshot(page, info, 'import-10k-ready');

  await rows.getByRole('button', { name: 'Import 10,000 rows' }).click();
  await expect(rows.getByRole('alert')).toContainText(/this file adds 10,000 units; the plan allows [\d,]+ more/i, { timeout: 20_000 });
  await expect(rows.getByRole('alert')).toContainText('nothing was imported');
  await screenshot(page, info, 'import-10k-limit');
  await page.goto('/app/properties?q=Big%20Block');
  await expect(page.getByRole('heading', { name: /No property matches/ })).toBeVisible();
});

test('a row only the database can refuse is marked on that row, and nothing is imported', async ({ asManager: page, stack }, info) => {
  // Unit 101 of the seed's Maple Court has an active lease; the unit beside it would be new.
  const label = `Unit ${info.project.name} ${Date.now().toString(36)}`;
  const file = csv([
    ['Property', 'Unit', 'Resident name', 'Lease start', 'Rent'],
    ['Maple Court', label, 'Ada Byrne', '2026-02-01', '1200'],
    ['Maple Court', 'Unit 101', 'Ben Ochoa', '2026-02-01', '1300'],
  ]);
  await page.goto('/app/import');
  await upload(page, 'Choose a CSV file', 'maple.csv', file);
  const rows = page.getByRole('region', { name: 'Check the rows' });
  await rows.getByRole('button', { name: 'Import 2 rows' }).click();
  const alert = rows.getByRole('alert');
  await expect(alert).toContainText("1 of the file's rows cannot be imported");
  await expect(alert).toContainText('nothing was imported. The rows are marked in the table.');
  const problems = rows.getByRole('table', { name: 'Rows of the file with problems' });
  await expect(problems.getByRole('row')).toHaveCount(2);
  await expect(problems.getByRole('row', { name: /^3 / })).toContainText(/Lease start: Maple Court, Unit 101 already has an active lease from \d{4}-\d{2}-\d{2}\./);
  await expect(rows.getByRole('button', { name: 'Import 2 rows' })).toBeDisabled();
  await screenshot(page, info, 'import-refused-row');
  // The good row was not written either.
  const units = await fetch(`${stack.API_URL}/rest/v1/units?select=id&label=eq.${encodeURIComponent(label)}`, {
    headers: { apikey: stack.SERVICE_ROLE_KEY!, Authorization: `Bearer ${stack.SERVICE_ROLE_KEY}` },
  }).then((r) => r.json());
  expect(units).toEqual([]);
});

test('viewers are not offered the import', async ({ asViewer: page }) => {
  const nav = await openNav(page);
  await expect(nav.getByRole('link', { name: 'Leases' })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Import' })).toHaveCount(0);
  await page.goto('/app/import');
  await expect(page.getByText('Importing is for owners, admins and managers')).toBeVisible();
  await expect(page.getByLabel('Choose a CSV file')).toHaveCount(0);
});
