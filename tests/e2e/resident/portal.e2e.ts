import { expect, expectAccessible, screenshot, signIn, test } from '../fixtures.ts';

test('a resident lands in the portal with their balance, and /app sends them back there', async ({ page }, info) => {
  await signIn(page, 'resident@acme.test', undefined, /\/portal$/);
  await expect(page.getByRole('heading', { level: 1, name: /^Hello/ })).toBeVisible();
  await expect(page.getByRole('region', { name: /^Balance for/ })).toBeVisible();
  await screenshot(page, info, 'portal-home');
  await expectAccessible(page);

  await page.goto('/app/properties');
  await expect(page).toHaveURL(/\/portal$/);
});
