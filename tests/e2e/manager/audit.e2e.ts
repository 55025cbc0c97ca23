import { expect, expectAccessible, screenshot, signIn, test, userApi } from '../fixtures.ts';

test('the audit log shows who changed what and when, with filters kept in the URL', async ({ asOwner: page }, info) => {
  // A change to find: the owner moves Acme's reminders a day and back.
  const owner = await userApi('owner@acme.test');
  const { data: org } = await owner.from('organizations').select('id, reminder_days_before').single();
  const before = org!.reminder_days_before as number;
  await owner.from('organizations').update({ reminder_days_before: before + 1 }).eq('id', org!.id);
  await owner.from('organizations').update({ reminder_days_before: before }).eq('id', org!.id);

  await page.goto('/app/audit');
  const table = page.getByRole('table', { name: 'Audit log, newest first' });
  const first = table.getByRole('row').nth(1);
  await expect(first).toContainText('Olivia Acheson');
  await expect(first).toContainText('Changed');
  await expect(first).toContainText('Company settings');
  await expect(first.getByRole('definition')).toHaveText(new RegExp(`from\\s*${before + 1}\\s*→\\s*to\\s*${before}`));
  await screenshot(page, info, 'audit');
  await expectAccessible(page);

  // What: company settings only.
  await page.getByRole('combobox', { name: /What/ }).click();
  await page.getByRole('option', { name: 'Company settings' }).click();
  await expect(page).toHaveURL(/table=organizations/);
  await expect(table.getByRole('row').nth(1)).toContainText('Company settings');
  const rows = await table.getByRole('row').count();
  for (let i = 1; i < rows; i++) await expect(table.getByRole('row').nth(i)).toContainText('Company settings');

  // Who: a member picker; the system as one choice.
  await page.getByRole('combobox', { name: /Who/ }).click();
  await page.getByRole('option', { name: 'Olivia Acheson' }).click();
  await expect(page).toHaveURL(/actor=[0-9a-f-]{36}/);
  await page.getByRole('combobox', { name: /Change/ }).click();
  await page.getByRole('option', { name: 'Changed' }).click();
  await expect(page).toHaveURL(/action=update/);
  const filtered = table.getByRole('row');
  await expect(filtered.nth(2)).toBeVisible();
  const n = await filtered.count();
  for (let i = 1; i < n; i++) {
    await expect(filtered.nth(i)).toContainText('Olivia Acheson');
    await expect(filtered.nth(i)).toContainText('Changed');
  }
  await screenshot(page, info, 'audit-filtered');

  // Kept across a reload, as a shared link would be.
  await page.reload();
  await expect(page.getByRole('table', { name: 'Audit log, newest first' }).getByRole('row')).toHaveCount(n);
  await expect(page.getByRole('combobox', { name: /What/ })).toContainText('Company settings');

  // Days are the org's: nothing from tomorrow on.
  const tomorrow = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
  await page.getByLabel('From').fill(tomorrow);
  await page.getByLabel('From').blur();
  await expect(page).toHaveURL(new RegExp(`from=${tomorrow}`));
  await expect(page.getByRole('heading', { name: 'No change matches these filters' })).toBeVisible();
  await screenshot(page, info, 'audit-no-match');
  await page.getByRole('button', { name: 'Clear filters' }).first().click();
  await expect(page).toHaveURL(/\/app\/audit$/);

  // Each row links to what it changed: leases to the lease, settings to the settings.
  await page.goto('/app/audit?table=leases');
  const lease = page.getByRole('table', { name: 'Audit log, newest first' }).getByRole('link', { name: 'Lease' }).first();
  await expect(lease).toHaveAttribute('href', /^\/app\/leases\/[0-9a-f-]{36}$/);
  await page.goto('/app/audit?table=organizations');
  await page.getByRole('table', { name: 'Audit log, newest first' }).getByRole('link', { name: 'Company settings' }).first().click();
  await expect(page).toHaveURL(/\/app\/settings$/);
});

test('managers cannot open the audit log, and the database shows them none of it', async ({ page }) => {
  await signIn(page, 'manager@acme.test');
  await page.goto('/app/audit');
  await expect(page).toHaveURL(/\/app$/);
  const manager = await userApi('manager@acme.test');
  const { data, error } = await manager.from('audit_log').select('id').limit(5);
  expect(error).toBeNull();
  expect(data).toEqual([]);
});
