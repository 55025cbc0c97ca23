import type { Page } from '@playwright/test';
import { expect, expectAccessible, screenshot, signIn, test } from '../fixtures.ts';

// consultant@lintel.test is a manager in Acme and a viewer in Birchwood (supabase/seed.sql).
const NAMES = {
  acme: ['Maple Court', 'Riverside Lofts', 'Oak Park Townhomes'],
  birch: ['Birchwood Commons', 'Lakeview Cottages'],
};

/** Every page the switch can leave stale, loaded, with none of the other company's names in the DOM. */
async function seesOnly(page: Page, org: keyof typeof NAMES) {
  const other = org === 'acme' ? NAMES.birch : NAMES.acme;
  await page.goto('/app');
  await expect(page.getByRole('link', { name: /^Properties\s*\d/ })).toBeVisible();
  await page.goto('/app/properties');
  const table = page.getByRole('table', { name: 'Properties' });
  await expect(table.getByRole('row')).toHaveCount(NAMES[org].length + 1);
  for (const name of NAMES[org]) await expect(table).toContainText(name);
  await table.getByRole('link', { name: NAMES[org][0] }).click();
  await expect(page.getByRole('heading', { level: 1, name: NAMES[org][0] })).toBeVisible();
  for (const path of ['/app', '/app/properties', page.url()]) {
    await page.goto(path);
    await page.waitForLoadState('networkidle');
    const text = await page.locator('body').innerText();
    for (const name of other) expect(text, `${path} shows ${name} while in ${org}`).not.toContain(name);
  }
}

async function switchTo(page: Page, from: string, to: string, role: string) {
  await page.getByRole('button', { name: `Switch company, current: ${from}` }).click();
  await page.getByRole('menuitem', { name: `${to} (${role})` }).click();
  await page.waitForURL(/\/app$/);
  await expect(page.getByRole('button', { name: `Switch company, current: ${to}` })).toContainText(role);
}

test('the consultant switches company in the top bar and sees only that company’s data', async ({ page }, info) => {
  test.slow(); // every page in both companies, and back
  await signIn(page, 'consultant@lintel.test');
  await expect(page.getByRole('button', { name: 'Switch company, current: Acme Property Co' })).toContainText('Manager');
  await seesOnly(page, 'acme');

  await page.getByRole('button', { name: 'Switch company, current: Acme Property Co' }).click();
  await expect(page.getByRole('menuitem', { name: 'Birchwood Rentals (Viewer)' })).toBeVisible();
  await screenshot(page, info, 'org-switcher');
  await expectAccessible(page);
  await page.keyboard.press('Escape');

  await switchTo(page, 'Acme Property Co', 'Birchwood Rentals', 'Viewer');
  await seesOnly(page, 'birch');
  // A viewer in Birchwood: the same person, no way to change anything there.
  await page.goto('/app/properties');
  await expect(page.getByRole('button', { name: 'Add property' })).toHaveCount(0);
  await screenshot(page, info, 'org-switched');

  await switchTo(page, 'Birchwood Rentals', 'Acme Property Co', 'Manager');
  await seesOnly(page, 'acme');
  await page.goto('/app/properties');
  await expect(page.getByRole('button', { name: 'Add property' })).toBeVisible();
});
