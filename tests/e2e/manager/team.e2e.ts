import type { Browser, Page, TestInfo } from '@playwright/test';
import { expect, expectAccessible, latestMail, newAcmeMember, newEmail, openNav, screenshot, serviceApi, signIn, test, userApi } from '../fixtures.ts';

/** A second person at their own browser, the same size as this project's. */
async function otherBrowser(browser: Browser, info: TestInfo): Promise<Page> {
  const context = await browser.newContext({ viewport: info.project.use.viewport, hasTouch: info.project.use.hasTouch, baseURL: info.project.use.baseURL });
  return context.newPage();
}

const members = (page: Page) => page.getByRole('table', { name: 'Members' });
/** The role picker's choices, in order. */
const roleOptions = async (page: Page) => (await page.getByRole('listbox').getByRole('option').allInnerTexts()).map((t) => t.trim());
const invitations = (page: Page) => page.getByRole('table', { name: 'Invitations' });

test('the owner invites a viewer by email, who signs up through the link and sees Acme read-only', async ({ asOwner: page, browser }, info) => {
  test.slow(); // two people, a sign-up and two emails
  await page.goto('/app/team');
  await expect(members(page).getByRole('row', { name: /Olivia Acheson/ })).toContainText('You');
  await expect(members(page).getByRole('row', { name: /Vera Lin/ })).toContainText('viewer@acme.test');
  await screenshot(page, info, 'team');
  await expectAccessible(page);

  await page.getByRole('button', { name: 'Invite people' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Invite to Acme Property Co' });
  await dialog.getByRole('button', { name: 'Send invitation' }).click();
  await expect(dialog.getByText('Enter a valid email address')).toBeVisible();
  // The database refuses a member's address, and the refusal lands on the field.
  await dialog.getByLabel('Email').fill('Manager@Acme.test');
  await dialog.getByRole('button', { name: 'Send invitation' }).click();
  await expect(dialog.getByText('manager@acme.test is already a member.')).toBeVisible();
  await expect(dialog.getByLabel('Email')).toHaveValue('Manager@Acme.test');
  await screenshot(page, info, 'team-invite-refused');

  const email = newEmail('invited-viewer');
  await dialog.getByLabel('Email').fill(email);
  await dialog.getByRole('combobox', { name: /Role/ }).click();
  await expect(page.getByRole('listbox')).toBeVisible();
  expect(await roleOptions(page)).toEqual(['Owner', 'Admin', 'Manager', 'Maintenance', 'Viewer']);
  await page.getByRole('option', { name: 'Viewer' }).click();
  await expect(dialog.getByText('Reads the portfolio and the money; changes nothing.')).toBeVisible();
  await screenshot(page, info, 'team-invite');
  await expectAccessible(page);
  await dialog.getByRole('button', { name: 'Send invitation' }).click();
  await expect(page.getByText(`Invitation sent to ${email}.`)).toBeVisible();
  await expect(invitations(page).getByRole('row', { name: new RegExp(email) })).toContainText('Pending');

  // The invitee opens the emailed link in a browser of their own, signed out.
  const mail = await latestMail(email, 'Join Acme Property Co on Lintel');
  const link = mail.Links.find((l) => l.includes('/invite/'))!;
  expect(new URL(link).origin, 'the link points at this app (SITE_URL)').toBe(new URL(page.url()).origin);
  const invitee = await otherBrowser(browser, info);
  await invitee.goto(link);
  await expect(invitee.getByRole('heading', { name: 'Join Acme Property Co on Lintel' })).toBeVisible();
  await expect(invitee.getByText(`Olivia Acheson invited ${email} to join Acme Property Co as Viewer.`)).toBeVisible();
  await screenshot(invitee, info, 'invite-signed-out');
  await expectAccessible(invitee);

  await invitee.getByRole('main').getByRole('link', { name: 'Create an account' }).click();
  await invitee.waitForURL(/\/sign-up\?/);
  await expect(invitee.getByLabel('Work email')).toHaveValue(email);
  await expect(invitee.getByText('you join the company next')).toBeVisible();
  await invitee.getByLabel('Your name').fill('Ivy Invited');
  await invitee.getByLabel('Password').fill('ivy-invited-42');
  await invitee.getByRole('button', { name: 'Create account' }).click();
  await expect(invitee.getByRole('heading', { name: 'Confirm your email' })).toBeVisible();
  const confirm = await latestMail(email, /confirm/i);
  await invitee.goto(confirm.Links.find((l) => l.includes('/auth/v1/verify'))!);
  await invitee.waitForURL(/\/invite\/[0-9a-f]{64}$/);
  await expect(invitee.getByRole('button', { name: 'Join Acme Property Co' })).toBeVisible();
  await screenshot(invitee, info, 'invite-join');
  await expectAccessible(invitee);
  await invitee.getByRole('button', { name: 'Join Acme Property Co' }).click();
  await invitee.waitForURL(/\/app$/);
  await expect(invitee.getByRole('button', { name: /Switch company, current: Acme Property Co/ })).toContainText('Viewer');

  // Read-only: no way to change anything, and the pages that only change things are closed.
  const nav = await openNav(invitee);
  await expect(nav.getByRole('link')).toHaveText(['Overview', 'Properties', 'Units', 'Leases', 'Maintenance']);
  await invitee.goto('/app/properties');
  await expect(invitee.getByRole('table', { name: 'Properties' }).getByRole('row')).toHaveCount(4);
  await expect(invitee.getByRole('button', { name: 'Add property' })).toHaveCount(0);
  await expect(invitee.getByRole('button', { name: /^Actions for/ })).toHaveCount(0);
  await invitee.getByRole('link', { name: 'Maple Court' }).click();
  await expect(invitee.getByRole('heading', { level: 1, name: 'Maple Court' })).toBeVisible();
  await expect(invitee.getByRole('button', { name: /Edit|Delete|Add/ })).toHaveCount(0);
  for (const path of ['/app/team', '/app/settings', '/app/audit']) {
    await invitee.goto(path);
    await expect(invitee).toHaveURL(/\/app$/);
  }

  await page.reload();
  await expect(members(page).getByRole('row', { name: new RegExp(`Ivy Invited ${email}`) })).toContainText('Viewer');
  await expect(invitations(page).getByRole('row', { name: new RegExp(email) })).toHaveCount(0);
  await page.getByRole('button', { name: /^Show \d+ accepted invitations?$/ }).click();
  await expect(invitations(page).getByRole('row', { name: new RegExp(email) })).toContainText('Accepted');
  await invitee.context().close();
});

test('a member removed while their tab is open is refused on their next action, and told why', async ({ page, browser }, info) => {
  test.slow(); // the member and an owner, each in a browser
  const member = await newAcmeMember('manager', 'removed');
  const name = `Should Not Exist ${Date.now().toString(36)}`;
  await signIn(page, member.email, member.password);
  await page.goto('/app/properties');
  await expect(page.getByRole('table', { name: 'Properties' }).getByRole('row')).toHaveCount(4);

  // An owner removes them from the Team page, in another browser.
  const owner = await otherBrowser(browser, info);
  await signIn(owner, 'owner@acme.test');
  await owner.goto(`/app/team?q=${encodeURIComponent(member.email)}`);
  await members(owner).getByRole('button', { name: 'Actions for E2E removed' }).click();
  await owner.getByRole('menuitem', { name: 'Remove from Acme Property Co' }).click();
  const confirm = owner.getByRole('dialog', { name: 'Remove E2E removed?' });
  await expect(confirm).toContainText('loses access to Acme Property Co at once, also in tabs they have open');
  await screenshot(owner, info, 'team-remove');
  await expectAccessible(owner);
  await confirm.getByRole('button', { name: 'Remove member' }).click();
  await expect(owner.getByText('E2E removed no longer has access to Acme Property Co.')).toBeVisible();
  await owner.context().close();

  // Their open tab still shows Acme; the next thing they do is refused, and they are told why.
  await page.getByRole('button', { name: 'Add property' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add a property' });
  await dialog.getByLabel('Name').fill(name);
  await dialog.getByRole('button', { name: 'Add property' }).click();
  await expect(page.getByText('You no longer have access to Acme Property Co. An owner or admin removed you.')).toBeVisible();
  await page.waitForURL(/\/create-org$/);
  await screenshot(page, info, 'removed-member');
  const { count } = await serviceApi().from('properties').select('id', { count: 'exact', head: true }).eq('name', name);
  expect(count).toBe(0);
});

test('owners change roles, resend and revoke invitations; managers invite only up to their own role', async ({ asOwner: page, browser }, info) => {
  test.slow(); // an owner and a manager, each in a browser
  const member = await newAcmeMember('viewer', 'promoted');
  await page.goto(`/app/team?q=${encodeURIComponent(member.email)}`);
  await members(page).getByRole('button', { name: 'Actions for E2E promoted' }).click();
  await page.getByRole('menuitem', { name: 'Change role' }).click();
  const dialog = page.getByRole('dialog', { name: 'Change E2E promoted’s role' });
  await dialog.getByRole('combobox', { name: /Role/ }).click();
  await page.getByRole('option', { name: 'Manager' }).click();
  await screenshot(page, info, 'team-change-role');
  await expectAccessible(page);
  await dialog.getByRole('button', { name: 'Save role' }).click();
  await expect(page.getByText('E2E promoted is now Manager.')).toBeVisible();
  await expect(members(page).getByRole('row', { name: /E2E promoted/ })).toContainText('Manager');
  // The database agrees: their next token says manager.
  const promoted = await userApi(member.email, member.password);
  const { data: who } = await promoted.functions.invoke('whoami', { method: 'GET' });
  expect(who).toMatchObject({ org_role: 'manager' });

  // Resend: a new link in a new email; revoke: the invitation goes.
  const email = newEmail('resent');
  const owner = await userApi('owner@acme.test');
  expect((await owner.rpc('invite_member', { p_email: email, p_role: 'maintenance' })).error).toBeNull();
  await page.goto('/app/team');
  const row = invitations(page).getByRole('row', { name: new RegExp(email) });
  await row.getByRole('button', { name: `Actions for the invitation to ${email}` }).click();
  await page.getByRole('menuitem', { name: 'Resend' }).click();
  await expect(page.getByText(`A new link is on its way to ${email}. The previous one no longer works.`)).toBeVisible();
  const resent = await latestMail(email, 'Join Acme Property Co on Lintel');
  expect(resent.Links.some((l) => /\/invite\/[0-9a-f]{64}$/.test(l))).toBe(true);
  await row.getByRole('button', { name: `Actions for the invitation to ${email}` }).click();
  await page.getByRole('menuitem', { name: 'Revoke' }).click();
  const revoke = page.getByRole('dialog', { name: `Revoke the invitation to ${email}?` });
  await screenshot(page, info, 'team-revoke');
  await revoke.getByRole('button', { name: 'Revoke invitation' }).click();
  await expect(page.getByText(`The invitation to ${email} is revoked.`)).toBeVisible();
  await expect(row).toHaveCount(0);

  // A manager invites managers, maintenance staff and viewers, and changes nobody.
  const manager = await otherBrowser(browser, info);
  await signIn(manager, 'manager@acme.test');
  await manager.goto('/app/team');
  await expect(members(manager).getByRole('row', { name: /Olivia Acheson/ })).toBeVisible();
  await expect(members(manager).getByRole('button', { name: /^Actions for/ })).toHaveCount(0);
  await manager.getByRole('button', { name: 'Invite people' }).first().click();
  await manager.getByRole('dialog').getByRole('combobox', { name: /Role/ }).click();
  await expect(manager.getByRole('listbox')).toBeVisible();
  expect(await roleOptions(manager)).toEqual(['Manager', 'Maintenance', 'Viewer']);
  await manager.context().close();
});

test('an invitation link shows where it leads, and says so when it has expired or no longer works', async ({ page }, info) => {
  const email = newEmail('expired');
  const owner = await userApi('owner@acme.test');
  const { data } = await owner.rpc('invite_member', { p_email: email, p_role: 'manager' });
  const { token, invitation_id } = data as { token: string; invitation_id: string };
  const past = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
  expect((await serviceApi().from('invitations').update({ created_at: past(9), expires_at: past(1) }).eq('id', invitation_id)).error).toBeNull();
  await page.goto(`/invite/${token}`);
  await expect(page.getByRole('heading', { name: 'Join Acme Property Co on Lintel' })).toBeVisible();
  await expect(page.getByText(/This invitation expired on .* Ask Olivia Acheson to send a new one\./)).toBeVisible();
  await expect(page.getByRole('main').getByRole('link', { name: 'Create an account' })).toHaveCount(0);
  await screenshot(page, info, 'invite-expired');
  await expectAccessible(page);

  // Accepting it anyway is refused by the database (LT410).
  await serviceApi().auth.admin.createUser({ email, password: 'expired-invitee-1', email_confirm: true });
  const late = await userApi(email, 'expired-invitee-1');
  expect((await late.rpc('accept_invitation', { p_token: token })).error?.code).toBe('LT410');

  await page.goto(`/invite/${'0'.repeat(64)}`);
  await expect(page.getByRole('heading', { name: 'This invitation link does not work' })).toBeVisible();
  await screenshot(page, info, 'invite-invalid');
});

test('viewers change nothing anywhere, maintenance staff see maintenance only, and the database refuses both', async ({ asViewer: page }, info) => {
  const nav = await openNav(page);
  await expect(nav.getByRole('link')).toHaveText(['Overview', 'Properties', 'Units', 'Leases', 'Maintenance']);
  await expect(page.getByRole('link', { name: /Add a property|Import a spreadsheet|Invite the team/ })).toHaveCount(0);
  await page.goto('/app/properties');
  await expect(page.getByRole('table', { name: 'Properties' }).getByRole('row')).toHaveCount(4);
  await expect(page.getByRole('button', { name: /Add property/ })).toHaveCount(0);
  await expect(page.getByRole('button', { name: /^Actions for/ })).toHaveCount(0);
  for (const path of ['/app/team', '/app/settings', '/app/audit']) {
    await page.goto(path);
    await expect(page, path).toHaveURL(/\/app$/);
  }
  await screenshot(page, info, 'viewer-overview');

  // The API refuses what the UI does not offer.
  const viewer = await userApi('viewer@acme.test');
  const { data: org } = await viewer.from('organizations').select('id').single();
  const insert = await viewer.from('properties').insert({ org_id: org!.id, name: 'Viewer Was Here' });
  expect(insert.error?.code).toBe('42501');
  const update = await viewer.from('organizations').update({ name: 'Viewer Co' }).eq('id', org!.id).select('id');
  expect(update.data).toEqual([]);
  expect((await viewer.rpc('invite_member', { p_email: newEmail('by-viewer'), p_role: 'viewer' })).error?.code).toBe('LT403');

  await page.context().clearCookies();
  await signIn(page, 'maintenance@acme.test');
  await expect((await openNav(page)).getByRole('link')).toHaveText(['Maintenance']);
  await expect(page.getByRole('link', { name: 'Open the maintenance requests' })).toBeVisible();
  for (const path of ['/app/properties', '/app/units', '/app/team', '/app/settings']) {
    await page.goto(path);
    await expect(page, path).toHaveURL(/\/app$/);
  }
  await screenshot(page, info, 'maintenance-overview');
  const tech = await userApi('maintenance@acme.test');
  expect((await tech.from('properties').insert({ org_id: org!.id, name: 'Tech Was Here' })).error?.code).toBe('42501');
});
