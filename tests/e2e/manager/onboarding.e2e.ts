import { expect, expectAccessible, latestMail, newEmail, screenshot, test } from '../fixtures.ts';

// A new company's first minutes: sign up, confirm through the outbox, create the org, land on an
// overview that says what to do first, add the first property.
test('a new manager signs up, confirms, creates the company and adds a property', async ({ page }, info) => {
  const email = newEmail('founder');
  await page.goto('/sign-up');
  await screenshot(page, info, 'sign-up');
  await expectAccessible(page);

  // Bad input is explained and what was typed stays.
  await page.getByLabel('Your name').fill('Fran Founder');
  await page.getByLabel('Work email').fill('not-an-email');
  await page.getByLabel('Password').fill('short');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByText('Enter a valid email address')).toBeVisible();
  await expect(page.getByText('Use at least 8 characters.')).toBeVisible();
  await expect(page.getByLabel('Your name')).toHaveValue('Fran Founder');

  await page.getByLabel('Work email').fill(email);
  await page.getByLabel('Password').fill('harbour-lights-42');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name: 'Confirm your email' })).toBeVisible();
  await screenshot(page, info, 'sign-up-sent');

  const mail = await latestMail(email, /confirm/i);
  const link = mail.Links.find((l) => l.includes('/auth/v1/verify'));
  expect(link, 'the confirmation mail links to Auth’s verify endpoint').toBeTruthy();
  await page.goto(link!);
  await page.waitForURL(/\/create-org$/);
  await expect(page.getByRole('heading', { name: 'Set up your company' })).toBeVisible();
  await screenshot(page, info, 'create-org');
  await expectAccessible(page);

  await page.getByLabel('Company name').fill(`Harbour Homes ${Date.now().toString(36)}`);
  await expect(page.getByLabel('Short address')).toHaveValue(/^harbour-homes-/);
  await page.getByRole('button', { name: 'Create company' }).click();
  await page.waitForURL(/\/app$/);
  await expect(page.getByRole('heading', { name: 'Get started' })).toBeVisible();
  await expect(page.getByRole('link', { name: /Add a property/ })).toBeVisible();
  await expect(page.getByRole('link', { name: /Import a spreadsheet/ })).toBeVisible();
  await expect(page.getByRole('link', { name: /Invite the team/ })).toBeVisible();
  await screenshot(page, info, 'overview-empty');
  await expectAccessible(page);

  await page.getByRole('link', { name: /Add a property/ }).click();
  const dialog = page.getByRole('dialog', { name: 'Add a property' });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Add property' }).click();
  await expect(dialog.getByText('Enter the property name.')).toBeVisible();
  await dialog.getByLabel('Name').fill('Harbour View');
  await dialog.getByLabel('Street address').fill('1 Quay Street');
  await dialog.getByLabel('City').fill('Portsmouth');
  await screenshot(page, info, 'property-form');
  await dialog.getByRole('button', { name: 'Add property' }).click();
  await page.waitForURL(/\/app\/properties\/[0-9a-f-]{36}$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Harbour View' })).toBeVisible();
  await screenshot(page, info, 'property-detail');
  await expectAccessible(page);
});
