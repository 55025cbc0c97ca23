import { expect, test } from '../fixtures.ts';

test('the home page names Lintel and leads to sign-in by keyboard', async ({ page }) => {
  await page.goto('/');
  await expect(page).toHaveTitle(/Lintel/);
  await expect(page.getByRole('heading', { level: 1, name: 'Lintel' })).toBeVisible();

  // The first Tab reaches the skip link, which moves focus past the header.
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();

  await page.getByRole('main').getByRole('link', { name: 'Sign in' }).focus();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/sign-in$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
});

test('an unknown page answers 404 with a way back', async ({ page }) => {
  const res = await page.goto('/no-such-page');
  expect(res?.status()).toBe(404);
  await expect(page.getByRole('link', { name: /back/i })).toBeVisible();
});

test('the web app is configured with the test stack, which is healthy', async ({ request, stack }) => {
  const health = await request.get(`${stack.API_URL}/health`);
  expect(health.status()).toBe(200);
  expect(await health.json()).toMatchObject({ status: 'ok', db: 'ok' });
});
