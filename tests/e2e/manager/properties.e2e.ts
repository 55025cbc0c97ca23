import { expect, expectAccessible, screenshot, test } from '../fixtures.ts';

test('the properties list searches, sorts and keeps its state in the URL', async ({ asManager: page }, info) => {
  await page.goto('/app/properties');
  const table = page.getByRole('table', { name: 'Properties' });
  await expect(table.getByRole('row')).toHaveCount(4); // header + Acme's three
  await expect(page.getByText('1–3 of 3')).toBeVisible();
  await screenshot(page, info, 'properties');
  await expectAccessible(page);

  await page.getByRole('button', { name: 'Units' }).click();
  await expect(page).toHaveURL(/sort=unit_count&dir=asc/);
  await expect(table.getByRole('row').nth(1)).toContainText('Oak Park Townhomes');

  await page.getByRole('searchbox', { name: 'Search properties' }).fill('maple');
  await expect(page).toHaveURL(/q=maple/);
  await expect(table.getByRole('row')).toHaveCount(2);
  await page.reload();
  await expect(page.getByRole('searchbox', { name: 'Search properties' })).toHaveValue('maple');
  await expect(page.getByRole('table', { name: 'Properties' }).getByRole('row')).toHaveCount(2);

  await page.getByRole('searchbox', { name: 'Search properties' }).fill('zzzz-nothing');
  await expect(page.getByRole('heading', { name: /No property matches/ })).toBeVisible();
  await screenshot(page, info, 'properties-no-match');
});

test('another company’s property answers like a missing one', async ({ asManager: page, stack }) => {
  // A Birchwood property, read with the service role.
  const birch = await fetch(`${stack.API_URL}/rest/v1/organizations?select=id&slug=eq.birchwood`, {
    headers: { apikey: stack.SERVICE_ROLE_KEY!, Authorization: `Bearer ${stack.SERVICE_ROLE_KEY}` },
  }).then((r) => r.json() as Promise<{ id: string }[]>);
  const props = await fetch(`${stack.API_URL}/rest/v1/properties?select=id,name&org_id=eq.${birch[0]!.id}&limit=1`, {
    headers: { apikey: stack.SERVICE_ROLE_KEY!, Authorization: `Bearer ${stack.SERVICE_ROLE_KEY}` },
  }).then((r) => r.json() as Promise<{ id: string; name: string }[]>);
  await page.goto(`/app/properties/${props[0]!.id}`);
  await expect(page.getByRole('heading', { name: 'Property not found' })).toBeVisible();
  await expect(page.getByText(props[0]!.name)).toHaveCount(0);
});
