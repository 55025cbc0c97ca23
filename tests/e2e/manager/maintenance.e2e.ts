import { expect, expectAccessible, screenshot, signIn, test } from '../fixtures.ts';

test('maintenance staff see the requests still to do, newest first, and filter them in the URL', async ({ page }, info) => {
  await signIn(page, 'maintenance@acme.test');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Maintenance' }).click();
  await expect(page).toHaveURL(/\/app\/maintenance$/);
  const table = page.getByRole('table', { name: 'Maintenance requests' });
  // The seed's six Acme requests: two completed, so four still to do; the newest (no hot water) first.
  await expect(table.getByRole('row')).toHaveCount(5);
  await expect(table.getByRole('row').nth(1)).toContainText('No hot water');
  await expect(table.getByRole('row').nth(1)).toContainText('Emergency');
  await expect(table).not.toContainText('Dishwasher leaking');
  await screenshot(page, info, 'maintenance');
  await expectAccessible(page);

  await page.getByRole('combobox', { name: 'Status' }).click();
  await page.getByRole('option', { name: 'Completed' }).click();
  await expect(page).toHaveURL(/status=completed/);
  await expect(table.getByRole('row')).toHaveCount(3);
  await expect(table).toContainText('Dishwasher leaking');

  await page.goto('/app/maintenance?status=all&q=zzzz-nothing');
  await expect(page.getByRole('heading', { name: 'No request matches' })).toBeVisible();
});
