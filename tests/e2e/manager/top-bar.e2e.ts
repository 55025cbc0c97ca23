import { expect, expectAccessible, screenshot, signIn, test } from '../fixtures.ts';

// The top bar's search, notifications and account menu are plain buttons in the first load; the
// dialog, popover and menu behind them are fetched the first time they are used.

test('Ctrl+K searches the portfolio and opens what was chosen, by keyboard alone', async ({ page }, info) => {
  await signIn(page, 'manager@acme.test');
  await page.keyboard.press('Control+k');
  const dialog = page.getByRole('dialog', { name: 'Search the portfolio' });
  await expect(dialog).toBeVisible();
  await page.keyboard.type('Riverside');
  await expect(dialog.getByRole('option', { name: 'Riverside Lofts Chicago' })).toBeVisible();
  await screenshot(page, info, 'global-search');
  await expectAccessible(page);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1, name: 'Riverside Lofts' })).toBeVisible();
  await expect(dialog).toBeHidden();

  // Another company's names are not found.
  await page.getByRole('button', { name: 'Search' }).click();
  await page.keyboard.type('Birchwood');
  await expect(dialog.getByText('Nothing matches “Birchwood”.')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
});

test('the bell opens the notifications and the account menu signs out', async ({ page }, info) => {
  await signIn(page, 'manager@acme.test');
  await page.getByRole('button', { name: /^Notifications/ }).click();
  await expect(page.getByRole('heading', { name: 'Notifications' })).toBeVisible();
  await screenshot(page, info, 'notifications');
  await page.keyboard.press('Escape');
  await expect(page.getByRole('heading', { name: 'Notifications' })).toBeHidden();

  const account = page.getByRole('button', { name: 'Account menu for manager@acme.test' });
  await account.focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('menuitem', { name: 'Sign out' })).toBeVisible();
  await page.getByRole('menuitem', { name: 'Sign out' }).click();
  await page.waitForURL(/\/sign-in$/);
});
