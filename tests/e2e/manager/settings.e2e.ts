import { expect, expectAccessible, screenshot, test, userApi, viaNav } from '../fixtures.ts';

const ACME = { name: 'Acme Property Co', locale: 'en-US', timezone: 'America/Chicago', default_grace_days: 5, reminder_days_before: 3, default_late_fee_minor: 7500 };

/** Puts Acme's settings back as the seed has them, whatever the test left. */
async function restoreAcme() {
  const owner = await userApi('owner@acme.test');
  const { data } = await owner.from('organizations').select('id').single();
  const { error } = await owner.from('organizations').update(ACME).eq('id', data!.id);
  if (error) throw error;
}

test.afterEach(restoreAcme);

test('owners change the settings, refusals land on their field, and formatting follows everywhere', async ({ asOwner: page }, info) => {
  test.slow(); // three rounds of the form
  await page.goto('/app/settings');
  const form = page.getByRole('form', { name: 'Company settings' });
  await expect(form.getByLabel('Company name')).toHaveValue('Acme Property Co');
  await expect(form.getByLabel('Late fee')).toHaveValue('75.00');
  await expect(page.getByRole('button', { name: 'Save settings' })).toBeDisabled();
  await screenshot(page, info, 'settings');
  await expectAccessible(page);

  // Checked before sending; what was typed stays.
  await form.getByLabel('Late fee').fill('seventy');
  await form.getByLabel('Grace period (days)').fill('40');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(form.getByText('Enter the late fee as an amount, like 75.00.')).toBeVisible();
  await expect(form.getByText('Grace days are 0 to 31.')).toBeVisible();
  await expect(form.getByLabel('Late fee')).toHaveValue('seventy');
  await page.getByRole('button', { name: 'Discard changes' }).click();
  await expect(form.getByLabel('Late fee')).toHaveValue('75.00');

  // The database refuses a new currency once leases use it, on the currency field.
  await form.getByRole('combobox', { name: /Currency/ }).click();
  await page.getByRole('option', { name: /^EUR/ }).click();
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(form.getByText('The currency cannot change once leases are written in it. Leases and their ledger keep the currency they were created in.')).toBeVisible();
  await screenshot(page, info, 'settings-currency-refused');
  await expectAccessible(page);
  await page.getByRole('button', { name: 'Discard changes' }).click();

  // A saved change shows at once: the company's name in the top bar, dates in its formats.
  await form.getByLabel('Company name').fill('Acme Property Company');
  await form.getByRole('combobox', { name: /Language and formats/ }).click();
  await page.getByRole('option', { name: /\(en-GB\)/ }).click();
  await form.getByLabel('Grace period (days)').fill('7');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await expect(page.getByText('Settings saved.')).toBeVisible();
  await expect(page.getByRole('button', { name: /Switch company, current: Acme Property Company/ })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Save settings' })).toBeDisabled();
  // Without reloading: the app's copy of the org is what changed.
  await viaNav(page, 'Team');
  await expect(page.getByRole('table', { name: 'Members' }).getByRole('row', { name: /Vera Lin/ })).toContainText(/\d{1,2} [A-Z][a-z]{2} \d{4}/);
  await page.goto('/app/settings');
  await expect(form.getByLabel('Grace period (days)')).toHaveValue('7');
});

test('admins see the billing email but only the owner changes it, here and in the database', async ({ asAdmin: page }, info) => {
  await page.goto('/app/settings');
  const billing = page.getByLabel('Billing email');
  await expect(billing).toHaveValue('owner@acme.test');
  await expect(billing).toHaveAttribute('readonly', '');
  await expect(page.getByText('Only the owner changes where invoices go.')).toBeVisible();
  await screenshot(page, info, 'settings-admin');
  const admin = await userApi('admin@acme.test');
  const { data } = await admin.from('organizations').select('id').single();
  const refused = await admin.from('organizations').update({ billing_email: 'admin@acme.test' }).eq('id', data!.id);
  expect(refused.error?.code).toBe('LT403');
});
