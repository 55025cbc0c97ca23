import { expect, expectAccessible, screenshot, serviceRest, signIn, test, viaNav } from '../fixtures.ts';

type Row = { title: string; status: string };

/** Acme's requests as the database has them now, newest first (other layers may have added some). */
async function acmeRequests(): Promise<Row[]> {
  const [acme] = await serviceRest<{ id: string }[]>('organizations?slug=eq.acme&select=id');
  return serviceRest<Row[]>(`maintenance_requests?org_id=eq.${acme!.id}&select=title,status&order=created_at.desc,id.asc`);
}

test('maintenance staff see the requests still to do, newest first, and filter them in the URL', async ({ page }, info) => {
  const all = await acmeRequests();
  const active = all.filter((r) => ['open', 'in_progress', 'on_hold'].includes(r.status));
  const completed = all.filter((r) => r.status === 'completed');
  // The seed gives Acme four requests still to do and two completed; the list shows up to 50.
  expect(active.length).toBeGreaterThanOrEqual(4);
  expect(completed.length).toBeGreaterThanOrEqual(2);

  await signIn(page, 'maintenance@acme.test');
  await viaNav(page, 'Maintenance');
  await expect(page).toHaveURL(/\/app\/maintenance$/);
  const table = page.getByRole('table', { name: 'Maintenance requests' });
  await expect(table.getByRole('row')).toHaveCount(Math.min(active.length, 50) + 1);
  await expect(table.getByRole('row').nth(1)).toContainText(active[0]!.title);
  await expect(table).toContainText('No hot water');
  await expect(table).not.toContainText('Dishwasher leaking');
  await screenshot(page, info, 'maintenance');
  await expectAccessible(page);

  await page.getByRole('combobox', { name: 'Status' }).click();
  await page.getByRole('option', { name: 'Completed' }).click();
  await expect(page).toHaveURL(/status=completed/);
  await expect(table.getByRole('row')).toHaveCount(Math.min(completed.length, 50) + 1);
  await expect(table).toContainText('Dishwasher leaking');
  await expect(table).not.toContainText('No hot water');

  await page.goto('/app/maintenance?status=all&q=zzzz-nothing');
  await expect(page.getByRole('heading', { name: 'No request matches' })).toBeVisible();
});
