import { expect, expectAccessible, screenshot, serviceRest, tag, test } from '../fixtures.ts';

// Multi-step flows through dialogs: more than the default 30 s on a shared two-core machine.
test.describe.configure({ timeout: 90_000 });

/** A seeded Acme resident on an active lease (the seed's names vary from one stack to the next). */
async function leasedResident() {
  const [org] = await serviceRest<{ id: string }[]>('organizations?select=id&slug=eq.acme');
  const rows = await serviceRest<{ full_name: string; email: string }[]>(
    `resident_directory?select=full_name,email&org_id=eq.${org!.id}&lease_status=eq.active&has_login=is.false&email=like.*example.com&order=email&limit=1`,
  );
  return rows[0]!;
}

test('the residents list searches name, email or phone and sorts, in the URL', async ({ asManager: page }, info) => {
  const someone = await leasedResident();
  const local = someone.email.split('@')[0]!;
  await page.goto('/app/residents');
  const table = page.getByRole('table', { name: 'Residents' });
  await expect(table.locator('tbody a').first()).toBeVisible();
  await screenshot(page, info, 'residents');
  await expectAccessible(page);

  await table.getByRole('button', { name: 'Balance' }).click();
  await expect(page).toHaveURL(/sort=balance_minor&dir=asc/);
  await table.getByRole('button', { name: 'Balance' }).click();
  await expect(page).toHaveURL(/sort=balance_minor&dir=desc/);

  await page.getByRole('searchbox', { name: 'Search residents' }).fill(`${local}@`);
  await expect.poll(() => new URL(page.url()).searchParams.get('q')).toBe(`${local}@`);
  await expect(table.locator('tbody tr')).toHaveCount(1);
  await expect(table.locator('tbody tr').first()).toContainText(someone.full_name);
  await page.reload();
  await expect(page.getByRole('searchbox', { name: 'Search residents' })).toHaveValue(`${local}@`);
  await expect(page.getByRole('table', { name: 'Residents' }).locator('tbody tr')).toHaveCount(1);

  await page.getByRole('searchbox', { name: 'Search residents' }).fill('nobody-here-zz');
  await expect(page.getByRole('heading', { name: 'No resident matches “nobody-here-zz”' })).toBeVisible();
  await screenshot(page, info, 'residents-no-match');
});

test('a manager adds, edits and deletes a resident; one on a lease is kept and says why', async ({ asManager: page }, info) => {
  const name = `Rita Test ${tag()}`;
  await page.goto('/app/residents');
  await expect(page.getByRole('table', { name: 'Residents' }).locator('tbody a').first()).toBeVisible();
  await page.getByRole('button', { name: 'Add resident' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add a resident' });
  await dialog.getByLabel('Email').fill('not-an-email');
  await dialog.getByRole('button', { name: 'Add resident' }).click();
  await expect(dialog.getByText('Enter the resident’s full name.')).toBeVisible();
  await expect(dialog.getByText(/Enter a valid email address/)).toBeVisible();
  await expect(dialog.getByLabel('Email')).toHaveValue('not-an-email');
  await screenshot(page, info, 'resident-form-errors');
  await expectAccessible(page);

  await dialog.getByLabel(/Full name/).fill(name);
  await dialog.getByLabel('Email').fill('rita@example.test');
  await dialog.getByLabel('Phone').fill('+1 555 0100');
  await dialog.getByRole('button', { name: 'Add resident' }).click();
  await expect(page).toHaveURL(/\/app\/residents\/[0-9a-f-]{36}$/);
  await expect(page.getByRole('heading', { name })).toBeVisible();
  await expect(page.getByText('Not on any lease yet.')).toBeVisible();
  await screenshot(page, info, 'resident-detail-new');
  await expectAccessible(page);

  await expect(page.getByRole('button', { name: 'Edit' })).toBeVisible();
  await page.getByRole('button', { name: 'Edit' }).click();
  const edit = page.getByRole('dialog', { name: `Edit ${name}` });
  await edit.getByLabel('Phone').fill('+1 555 0199');
  await edit.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByText('+1 555 0199')).toBeVisible();

  await page.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('button', { name: 'Delete resident' }).click();
  await expect(page).toHaveURL(/\/app\/residents$/);
  await expect(page.getByText(`Deleted ${name}.`)).toBeVisible();

  // Someone on a lease stays, and the page says why.
  const someone = await leasedResident();
  await page.goto(`/app/residents?q=${encodeURIComponent(someone.email)}`);
  await expect(page.getByRole('link', { name: someone.full_name })).toBeVisible();
  const row = page.getByRole('table', { name: 'Residents' }).locator('tbody tr').first();
  await row.getByRole('button', { name: `Actions for ${someone.full_name}` }).click();
  await page.getByRole('menuitem', { name: 'Delete' }).click();
  await page.getByRole('button', { name: 'Delete resident' }).click();
  await expect(page.getByText(/This resident is on a lease, so they cannot be deleted\. The lease and its payments name them\./)).toBeVisible();
  await screenshot(page, info, 'resident-delete-refused');
  await page.getByRole('link', { name: someone.full_name }).click();
  await expect(page.getByRole('table', { name: `Leases of ${someone.full_name}` })).toBeVisible();
  await screenshot(page, info, 'resident-detail');
  await expectAccessible(page);
});

test('viewers do not see residents', async ({ asViewer: page }) => {
  await page.goto('/app/residents');
  await expect(page.getByText(/contact details are for owners, admins and managers/)).toBeVisible();
  await expect(page.getByRole('table', { name: 'Residents' })).toHaveCount(0);
});
