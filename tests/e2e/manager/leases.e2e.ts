import type { Page } from '@playwright/test';
import { expect, expectAccessible, screenshot, serviceRest, tag, test } from '../fixtures.ts';

// Multi-step flows through dialogs: more than the default 30 s on a shared two-core machine.
test.describe.configure({ timeout: 120_000 });

/** A vacant unit with an asking rent, and a resident, made for this run (Acme, service role). */
async function arrange() {
  const t = tag();
  const [org] = await serviceRest<{ id: string; timezone: string }[]>('organizations?select=id,timezone&slug=eq.acme');
  const [maple] = await serviceRest<{ id: string }[]>(`properties?select=id&org_id=eq.${org!.id}&name=eq.Maple%20Court`);
  const [unit] = await serviceRest<{ id: string; label: string }[]>('units', {
    method: 'POST',
    body: { org_id: org!.id, property_id: maple!.id, label: `K-${t}`, bedrooms: 2, bathrooms: 1, market_rent_minor: 165000 },
  });
  const [resident] = await serviceRest<{ id: string; full_name: string }[]>('residents', {
    method: 'POST',
    body: { org_id: org!.id, full_name: `Kay Board ${t}`, email: `kay-${t.toLowerCase()}@example.test` },
  });
  return { t, org: org!, unit: unit!, resident: resident! };
}

/** Presses Tab until the focused element is, or is inside, `selector` (keyboard only). */
async function tabTo(page: Page, selector: string, max = 30) {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate((s) => !!document.activeElement?.closest(s), selector)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${selector}`);
}

/** Types a calendar date into a DateField's segments (en-US: month, day, year). */
async function typeDate(page: Page, field: string, iso: string) {
  await tabTo(page, `[data-field="${field}"]`);
  const [y, m, d] = iso.split('-');
  await page.keyboard.type(`${m}${d}${y}`);
}

/** Picks the option whose text contains `text` in the focused combobox, by typing and arrows. */
async function choose(page: Page, field: string, text: string) {
  await tabTo(page, `[data-field="${field}"]`);
  await page.keyboard.type(text);
  await expect(page.getByRole('option', { name: new RegExp(text) })).toBeVisible();
  await page.keyboard.press('ArrowDown');
  await expect(page.getByRole('option', { name: new RegExp(text) })).toHaveAttribute('data-highlighted', '');
  await page.keyboard.press('Enter');
}

test('a lease is written by keyboard alone; an overlapping one is refused on the unit; renew and end', async ({ asManager: page }, info) => {
  const { t, org, unit, resident } = await arrange();
  await page.goto('/app/leases');
  await expect(page.getByRole('table', { name: 'Leases' }).locator('tbody a').first()).toBeVisible();
  await screenshot(page, info, 'leases');
  await expectAccessible(page);

  await page.getByRole('button', { name: 'New lease' }).click();
  const dialog = page.getByRole('dialog', { name: 'New lease' });
  await expect(dialog).toBeVisible();

  // Only the keyboard from here until the lease is saved.
  await choose(page, 'unit_id', unit.label);
  await expect(dialog.locator('[data-field="unit_id"]')).toHaveValue(new RegExp(unit.label));
  await choose(page, 'resident_ids', resident.full_name);
  await expect(dialog.getByRole('list', { name: 'Chosen residents' })).toContainText(resident.full_name);

  await tabTo(page, '[data-action="add-resident"]');
  await page.keyboard.press('Enter');
  await expect(dialog.locator('input[name="new_full_name"]')).toBeFocused();
  await page.keyboard.type(`Lee Newcomer ${t}`);
  await page.keyboard.press('Tab');
  await page.keyboard.type(`lee-${t.toLowerCase()}@example.test`);
  await page.keyboard.press('Enter');
  await expect(dialog.getByRole('list', { name: 'Chosen residents' })).toContainText(`Lee Newcomer ${t}`);

  await typeDate(page, 'start_date', '2027-01-15');
  await typeDate(page, 'end_date', '2028-01-14');
  await tabTo(page, 'input[name="rent"]');
  await expect(page.locator('input[name="rent"]')).toHaveValue('1650.00'); // the unit's asking rent
  await page.keyboard.press('Tab');
  await page.keyboard.type('1650');
  await tabTo(page, 'input[name="due_day"]');
  await page.keyboard.press('Backspace');
  await page.keyboard.type('5');
  await screenshot(page, info, 'lease-form');
  await expectAccessible(page);
  await page.keyboard.press('Enter');

  await expect(page).toHaveURL(/\/app\/leases\/[0-9a-f-]{36}$/);
  const leaseUrl = page.url();
  await expect(page.getByRole('heading', { name: `Unit ${unit.label}` })).toBeVisible();
  await expect(page.getByText('Active', { exact: true })).toBeVisible();
  await expect(page.getByRole('link', { name: resident.full_name })).toBeVisible();
  await expect(page.getByRole('link', { name: `Lee Newcomer ${t}` })).toBeVisible();
  await expect(page.getByText('Jan 15, 2027 – Jan 14, 2028')).toBeVisible();
  await expect(page.getByText('Day 5 of each month')).toBeVisible();
  await screenshot(page, info, 'lease-detail');
  await expectAccessible(page);

  // A second active lease on the same unit, overlapping: refused on the unit field, typed values kept.
  await page.goto('/app/leases');
  await expect(page.getByRole('table', { name: 'Leases' }).locator('tbody a').first()).toBeVisible();
  await page.getByRole('button', { name: 'New lease' }).click();
  await expect(dialog).toBeVisible();
  await choose(page, 'unit_id', unit.label);
  await choose(page, 'resident_ids', resident.full_name);
  await typeDate(page, 'start_date', '2027-06-01');
  await tabTo(page, 'input[name="deposit"]');
  await page.keyboard.type('900');
  await page.keyboard.press('Enter');
  const unitField = dialog.locator('[data-field="unit_id"]');
  await expect(dialog.getByText('This unit already has an active lease. End it first, or choose another unit.')).toBeVisible();
  await expect(unitField).toHaveAttribute('aria-invalid', 'true');
  await expect(unitField).toHaveValue(new RegExp(unit.label));
  await expect(dialog.locator('input[name="deposit"]')).toHaveValue('900');
  await expect(dialog.locator('input[name="rent"]')).toHaveValue('1650.00');
  await expect(dialog.getByRole('list', { name: 'Chosen residents' })).toContainText(resident.full_name);
  await expect(dialog.locator('[data-field="start_date"]')).toContainText('2027');
  await screenshot(page, info, 'lease-form-refused');
  await expectAccessible(page);
  await page.keyboard.press('Escape');

  // Renew: the next term starts the day after, same residents, waiting as a draft.
  await page.goto(leaseUrl);
  await expect(page.getByRole('heading', { name: `Unit ${unit.label}` })).toBeVisible();
  await page.getByRole('button', { name: 'Renew' }).click();
  const renew = page.getByRole('dialog', { name: 'Renew the lease' });
  await expect(renew.getByText(/starts Jan 15, 2028/).first()).toBeVisible();
  await renew.getByLabel('New monthly rent').fill('1,700.00');
  await screenshot(page, info, 'lease-renew');
  await expectAccessible(page);
  await renew.getByRole('button', { name: 'Renew lease' }).click();
  await expect(page).not.toHaveURL(leaseUrl);
  await expect(page.getByText('Draft', { exact: true })).toBeVisible();
  await expect(page.getByText('Jan 15, 2028 – Jan 14, 2029')).toBeVisible();
  await expect(page.getByText('$1,700.00')).toBeVisible();
  await expect(page.getByRole('link', { name: `Lee Newcomer ${t}` })).toBeVisible();
  const renewalUrl = page.url();

  // End with a move-out today (org time): the lease ends now and the renewal is cancelled.
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: org.timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
  await page.goto(leaseUrl);
  await expect(page.getByRole('heading', { name: `Unit ${unit.label}` })).toBeVisible();
  await page.getByRole('button', { name: 'End lease' }).click();
  const end = page.getByRole('dialog', { name: 'End the lease' });
  await expect(end).toBeVisible();
  await end.locator('[data-field="move_out"] [data-segment]').first().focus();
  const [y, m, d] = today.split('-');
  await page.keyboard.type(`${m}${d}${y}`);
  await end.getByRole('button', { name: 'End lease' }).click();
  // Today is before the lease's start (2027): refused on the move-out field before anything is sent.
  if (today <= '2027-01-15') {
    await expect(end.getByText('The move-out date must be after the lease starts (Jan 15, 2027).')).toBeVisible();
    await expect(end.locator('[data-field="move_out"]')).toHaveAttribute('aria-invalid', 'true');
    await screenshot(page, info, 'lease-end-refused');
    await end.locator('[data-field="move_out"] [data-segment]').first().focus();
    await page.keyboard.type('03152027');
    await expect(end.getByText(/stays active until Mar 15, 2027/)).toBeVisible();
    await screenshot(page, info, 'lease-end');
    await expectAccessible(page);
    await end.getByRole('button', { name: 'End lease' }).click();
    await expect(page.getByText('The lease ends on Mar 15, 2027.')).toBeVisible();
    await expect(page.getByText('Jan 15, 2027 – Mar 15, 2027')).toBeVisible();
  } else {
    await expect(page.getByText('Ended', { exact: true })).toBeVisible();
  }
  await page.goto(renewalUrl);
  await expect(page.getByText('Cancelled', { exact: true })).toBeVisible();
  await screenshot(page, info, 'lease-renewal-cancelled');
});

test('a lease ending today or earlier ends now', async ({ asManager: page }) => {
  const { org, unit, resident } = await arrange();
  const [lease] = await serviceRest<{ id: string }[]>('leases', {
    method: 'POST',
    body: { org_id: org.id, unit_id: unit.id, status: 'active', start_date: '2025-06-01', end_date: '2027-05-31', rent_minor: 150000 },
  });
  await serviceRest('lease_residents', { method: 'POST', body: { org_id: org.id, lease_id: lease!.id, resident_id: resident.id, is_primary: true } });
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: org.timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
  await page.goto(`/app/leases/${lease!.id}`);
  await expect(page.getByRole('heading', { name: `Unit ${unit.label}` })).toBeVisible();
  await page.getByRole('button', { name: 'End lease' }).click();
  const end = page.getByRole('dialog', { name: 'End the lease' });
  await end.locator('[data-field="move_out"] [data-segment]').first().focus();
  const [y, m, d] = today.split('-');
  await page.keyboard.type(`${m}${d}${y}`);
  await expect(end.getByText(/The lease ends now/)).toBeVisible();
  await end.getByRole('button', { name: 'End lease' }).click();
  await expect(page.getByText('The lease has ended.')).toBeVisible();
  await expect(page.getByText('Ended', { exact: true })).toBeVisible();
  await page.goto(`/app/units/${unit.id}`);
  await expect(page.getByText('Vacant', { exact: true }).first()).toBeVisible();
});

test('a lease’s ledger is read-only, newest first, amounts in the org’s currency', async ({ asViewer: page }, info) => {
  const [org] = await serviceRest<{ id: string }[]>('organizations?select=id&slug=eq.acme');
  const [lease] = await serviceRest<{ id: string; unit_label: string }[]>(
    `lease_directory?select=id,unit_label&org_id=eq.${org!.id}&status=eq.active&balance_minor=gt.0&order=balance_minor.desc&limit=1`,
  );
  const entries = await serviceRest<{ effective_date: string }[]>(`ledger_entries?select=effective_date&lease_id=eq.${lease!.id}&order=effective_date.desc`);
  await page.goto(`/app/leases/${lease!.id}`);
  const ledger = page.getByRole('table', { name: 'Ledger entries, newest first' });
  await expect(ledger.locator('tbody tr')).toHaveCount(entries.length);
  const first = await ledger.locator('tbody tr').first().locator('td').first().textContent();
  const last = await ledger.locator('tbody tr').last().locator('td').first().textContent();
  expect(new Date(first!).getTime()).toBeGreaterThanOrEqual(new Date(last!).getTime());
  await expect(ledger.locator('tbody tr').first().locator('td').last()).toHaveText(/^−?\$[\d,]+\.\d{2}$/);
  // Viewers read leases but change nothing.
  await expect(page.getByRole('button', { name: 'Renew' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'End lease' })).toHaveCount(0);
  await screenshot(page, info, 'lease-detail-ledger');
  await expectAccessible(page);
});
