import { expect, signIn, test } from '../fixtures.ts';

test('a signed-out visitor of /app is sent to sign-in and returned after it', async ({ page }) => {
  await page.goto('/app/properties?q=maple');
  await expect(page).toHaveURL(/\/sign-in\?next=%2Fapp%2Fproperties%3Fq%3Dmaple$/);
  const form = page.getByRole('tabpanel', { name: 'Password' });
  await form.getByLabel('Email').fill('manager@acme.test');
  await form.getByLabel('Password').fill('lintel-demo-password');
  await form.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/app\/properties\?q=maple$/);
  await expect(page.getByRole('searchbox', { name: 'Search properties' })).toHaveValue('maple');
});

test('a wrong password is explained and the email stays', async ({ page }) => {
  await page.goto('/sign-in');
  const form = page.getByRole('tabpanel', { name: 'Password' });
  await form.getByLabel('Email').fill('manager@acme.test');
  await form.getByLabel('Password').fill('not-the-password');
  await form.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText('That email and password do not match.');
  await expect(form.getByLabel('Email')).toHaveValue('manager@acme.test');
});

test('staff who open /portal are sent to /app', async ({ page }) => {
  await signIn(page, 'viewer@acme.test', undefined, /\/app$/);
  await page.goto('/portal');
  await expect(page).toHaveURL(/\/app$/);
});
