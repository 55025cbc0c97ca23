import { expect, expectAccessible, screenshot, serviceRest, tag, test } from '../fixtures.ts';

// Multi-step flows through dialogs: more than the default 30 s on a shared two-core machine.
test.describe.configure({ timeout: 90_000 });

async function acme() {
  const [org] = await serviceRest<{ id: string; unit_limit: number; unit_count: number }[]>('organizations?select=id,unit_limit,unit_count&slug=eq.acme');
  const [maple] = await serviceRest<{ id: string }[]>(`properties?select=id&org_id=eq.${org!.id}&name=eq.Maple%20Court`);
  return { org: org!, maple: maple!.id };
}

test('the units list searches, sorts and filters by status and property in the URL', async ({ asManager: page }, info) => {
  const { maple } = await acme();
  await page.goto('/app/units');
  const table = page.getByRole('table', { name: 'Units' });
  await expect(table.locator('tbody a').first()).toBeVisible();
  await screenshot(page, info, 'units');
  await expectAccessible(page);

  await table.getByRole('button', { name: 'Market rent' }).or(table.getByRole('button', { name: 'Current rent' })).first().click();
  await expect(page).toHaveURL(/sort=(market_rent_minor|rent_minor)&dir=asc/);

  // Status filter, by keyboard on the select.
  await page.getByRole('combobox', { name: 'Status' }).click();
  await page.getByRole('option', { name: 'Vacant' }).click();
  await expect(page).toHaveURL(/status=vacant/);
  await expect(table.locator('tbody a').first()).toBeVisible();
  for (const badge of await table.locator('tbody tr').getByText(/^(Occupied|On notice)$/).all()) await expect(badge).toHaveCount(0);
  await expect(table.locator('tbody').getByText('Vacant').first()).toBeVisible();
  await screenshot(page, info, 'units-vacant');

  // The property detail page links to its units; the filter reads the URL.
  await page.goto(`/app/properties/${maple}`);
  await expect(page.getByRole('table', { name: 'Units of Maple Court' }).locator('tbody a').first()).toBeVisible();
  await screenshot(page, info, 'property-with-units');
  await expectAccessible(page);
  await page.getByRole('link', { name: 'Open in Units' }).click();
  await expect(page).toHaveURL(new RegExp(`property=${maple}`));
  await expect(page.getByRole('heading', { name: 'Units' })).toBeVisible();
  await expect(page.getByText('In Maple Court')).toBeVisible();
  const rows = page.getByRole('table', { name: 'Units' }).locator('tbody tr');
  await expect(rows.first().locator('a').first()).toBeVisible();
  for (const row of await rows.all()) await expect(row).toContainText('Maple Court');

  await page.getByRole('searchbox', { name: 'Search units' }).fill('zz-no-such-unit');
  await expect(page).toHaveURL(/q=zz-no-such-unit/);
  await expect(page.getByRole('heading', { name: /No unit matches “zz-no-such-unit”/ })).toBeVisible();
  await screenshot(page, info, 'units-no-match');
  await page.getByRole('button', { name: 'Clear search and filters' }).click();
  await expect(page).toHaveURL(/\/app\/units$/);
});

test('a manager adds, edits and deletes a unit; a unit with leases is kept and says why', async ({ asManager: page }, info) => {
  const { maple } = await acme();
  const label = `T-${tag()}`;
  await page.goto(`/app/properties/${maple}`);
  await expect(page.getByRole('table', { name: 'Units of Maple Court' }).locator('tbody a').first()).toBeVisible();
  await page.getByRole('button', { name: 'Add unit' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Add a unit' });
  await expect(dialog.getByRole('combobox', { name: /Property/ })).toContainText('Maple Court');
  await dialog.getByLabel('Market rent').fill('abc');
  await dialog.getByRole('button', { name: 'Add unit' }).click();
  await expect(dialog.getByText('Enter the unit label.')).toBeVisible();
  await expect(dialog.getByText(/Enter the market rent as an amount/)).toBeVisible();
  await screenshot(page, info, 'unit-form-errors');
  await expectAccessible(page);

  await dialog.getByLabel(/Unit label/).fill(label);
  await dialog.getByLabel('Bedrooms').fill('2');
  await dialog.getByLabel('Bathrooms').fill('1.5');
  await dialog.getByLabel('Size (sq ft)').fill('850');
  await dialog.getByLabel('Market rent').fill('1,450.00');
  await dialog.getByRole('button', { name: 'Add unit' }).click();
  await expect(page).toHaveURL(/\/app\/units\/[0-9a-f-]{36}$/);
  await expect(page.getByRole('heading', { name: `Unit ${label}` })).toBeVisible();
  await expect(page.getByText('$1,450.00')).toBeVisible();
  await expect(page.getByText('Vacant', { exact: true }).first()).toBeVisible();
  await screenshot(page, info, 'unit-detail-vacant');
  await expectAccessible(page);

  // The same label again in the same property: the database's refusal lands on the field.
  await page.goto(`/app/properties/${maple}`);
  await expect(page.getByRole('table', { name: 'Units of Maple Court' }).locator('tbody a').first()).toBeVisible();
  await page.getByRole('button', { name: 'Add unit' }).first().click();
  const again = page.getByRole('dialog', { name: 'Add a unit' });
  await again.getByLabel(/Unit label/).fill(label);
  await again.getByRole('button', { name: 'Add unit' }).click();
  await expect(again.getByText('This property already has a unit with that label.')).toBeVisible();
  await expect(again.getByLabel(/Unit label/)).toHaveValue(label);
  await again.getByRole('button', { name: 'Cancel' }).click();

  await page.goto(`/app/units?q=${label}`);
  await expect(page.getByRole('link', { name: label, exact: true })).toBeVisible();
  const row = page.getByRole('table', { name: 'Units' }).locator('tbody tr').filter({ hasText: label });
  await row.getByRole('button', { name: `Actions for Unit ${label}` }).click();
  await page.getByRole('menuitem', { name: 'Edit' }).click();
  const edit = page.getByRole('dialog', { name: `Edit Unit ${label}` });
  await expect(edit.getByLabel('Market rent')).toHaveValue('1450.00');
  await edit.getByLabel(/Unit label/).fill(`${label}X`);
  await edit.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByText(`Saved Unit ${label}X.`)).toBeVisible();

  await page.goto(`/app/units?q=${label}X`);
  await expect(page.getByRole('link', { name: `${label}X`, exact: true })).toBeVisible();
  const edited = page.getByRole('table', { name: 'Units' }).locator('tbody tr').filter({ hasText: `${label}X` });
  await edited.getByRole('button', { name: `Actions for Unit ${label}X` }).click();
  await page.getByRole('menuitem', { name: 'Delete' }).click();
  await screenshot(page, info, 'unit-delete-confirm');
  await page.getByRole('button', { name: 'Delete unit' }).click();
  await expect(page.getByText(`Deleted Unit ${label}X.`)).toBeVisible();
  await expect(page.getByRole('heading', { name: /No unit matches/ })).toBeVisible();

  // A leased unit is refused, with the reason.
  await page.goto('/app/units?status=occupied');
  await expect(page.getByRole('table', { name: 'Units' }).locator('tbody a').first()).toBeVisible();
  const leased = page.getByRole('table', { name: 'Units' }).locator('tbody tr').first();
  await leased.getByRole('button', { name: /^Actions for / }).click();
  await page.getByRole('menuitem', { name: 'Delete' }).click();
  await page.getByRole('button', { name: 'Delete unit' }).click();
  await expect(page.getByText(/This unit has leases, so it cannot be deleted\. Its lease and payment history stays with it\./)).toBeVisible();
  await screenshot(page, info, 'unit-delete-refused');
  await leased.getByRole('link').first().click();
  await expect(page.getByRole('heading', { name: 'Current lease' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Open the lease' })).toBeVisible();
  await expect(page.getByRole('table', { name: /^Leases of / }).locator('tbody tr').first()).toBeVisible();
  await screenshot(page, info, 'unit-detail-occupied');
  await expectAccessible(page);
});

test('the plan’s unit limit is shown in the form, keeping what was typed', async ({ asManager: page }) => {
  const { org, maple } = await acme();
  const fresh = await serviceRest<{ unit_count: number }[]>(`organizations?select=unit_count&id=eq.${org.id}`);
  await serviceRest(`organizations?id=eq.${org.id}`, { method: 'PATCH', body: { unit_limit: fresh[0]!.unit_count } });
  try {
    await page.goto(`/app/properties/${maple}`);
    await page.getByRole('button', { name: 'Add unit' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Add a unit' });
    const label = `L-${tag()}`;
    await dialog.getByLabel(/Unit label/).fill(label);
    await dialog.getByRole('button', { name: 'Add unit' }).click();
    await expect(dialog.getByRole('alert')).toContainText('unit limit');
    await expect(dialog.getByLabel(/Unit label/)).toHaveValue(label);
  } finally {
    await serviceRest(`organizations?id=eq.${org.id}`, { method: 'PATCH', body: { unit_limit: org.unit_limit } });
  }
});
