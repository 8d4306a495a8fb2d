// Governed promotion in a real browser: an admin protects `production` (Team settings › Alias policies), a member
// requests promotion of v0 from the version's menu, the request waits for one approval, the admin approves it with a
// comment on the model page, the alias lands on v0, and its history shows the promotion. The steps share one server
// and run in order; each leaves the state the next needs.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createUserClient, expectStatus, startTestServer, type TestServer } from '../helpers/index.js';
import { logVersion } from '../helpers/registry.js';
import { launchBrowser, logIn, newPage } from './browser.js';

const TEAM = 'ml';
const MODEL = 'classifier';
const STEP_TIMEOUT = 90_000;
const POLL = { timeout: 15_000 };

describe('promotion in the web UI', () => {
  let server: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let memberName: string;
  let browserError: unknown;

  beforeAll(async () => {
    server = await startTestServer({ ui: true });
    const admin = server.admin;
    expectStatus(await admin.post('/api/v1/teams', { name: TEAM }), 201, 'creating the team');
    const member = await createUserClient(server);
    memberName = member.userName;
    expectStatus(await admin.put(`/api/v1/teams/${TEAM}/members/${memberName}`, { role: 'member' }), 201, 'adding the member');
    expectStatus(await admin.post(`/api/v1/teams/${TEAM}/projects`, { name: 'training' }), 201, 'creating the project');
    expectStatus(await logVersion(admin, TEAM, 'training', MODEL, { metadata: { eval: { auc: 0.93 } } }), 201, 'logging');
    expectStatus(await admin.post(`/api/v1/teams/${TEAM}/registry/models`, { name: MODEL }), 201, 'creating the model');
    expectStatus(await admin.post(`/api/v1/teams/${TEAM}/registry/models/${MODEL}/versions`, { source: `training/${MODEL}:v0` }), 201, 'linking');
    expectStatus(await member.put(`/api/v1/teams/${TEAM}/registry/models/${MODEL}/versions/v0/checks/eval`, { state: 'success', summary: 'auc 0.93' }), 200, 'checking');
    try {
      browser = await launchBrowser();
    } catch (error) {
      browserError = error;
    }
  });

  beforeEach(() => {
    if (browserError) throw browserError;
  });

  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await server?.close();
  });

  async function pageAs(name: string, password: string): Promise<Page> {
    const { context, page } = await newPage(browser, server.url);
    contexts.push(context);
    await logIn(page, name, password);
    return page;
  }

  let adminPage: Page;

  it('an admin protects production with a policy in Team settings', { timeout: STEP_TIMEOUT }, async () => {
    adminPage = await pageAs('admin', server.adminPassword);
    await adminPage.goto(`/t/${TEAM}/settings`);
    await adminPage.getByRole('button', { name: 'New policy' }).click();
    const dialog = adminPage.getByRole('dialog', { name: 'New alias policy' });
    await dialog.getByLabel('Alias pattern').fill('^production$');
    await dialog.getByLabel('Approvals').fill('1');
    await dialog.getByLabel('Required checks').fill('eval');
    await dialog.getByRole('button', { name: 'Create policy' }).click();
    const table = adminPage.getByRole('table', { name: 'Alias policies' });
    await table.getByText('^production$').waitFor();
    await expect.poll(() => table.getByRole('row').nth(1).textContent(), POLL).toContain('eval');
  });

  it('a member requests promotion of v0 and sees what it waits for', { timeout: STEP_TIMEOUT }, async () => {
    const page = await pageAs(memberName, 'correct horse battery');
    await page.goto(`/t/${TEAM}/registry/${MODEL}`);
    await page.getByLabel('Checks').getByText('eval: success').waitFor();
    await page.getByRole('button', { name: 'Actions for v0' }).click();
    await page.getByRole('menuitem', { name: 'Request promotion' }).click();
    const dialog = page.getByRole('dialog', { name: 'Request promotion of v0' });
    await dialog.getByLabel('Alias').fill('production');
    await dialog.getByLabel('Comment').fill('auc 0.93 on the holdout set');
    await dialog.getByRole('button', { name: 'Request promotion' }).click();
    const card = page.getByRole('listitem', { name: 'Promotion of v0 to production' });
    await card.getByText('pending', { exact: true }).waitFor();
    await card.getByText('1 more approval (0 of 1)').waitFor();
    await page.getByLabel('Pending promotions').getByText('→ production (pending)').waitFor();
    // Requesters cannot approve their own request; they can cancel it.
    expect(await card.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    await card.getByRole('button', { name: 'Cancel request' }).waitFor();
  });

  it('the admin approves it; the alias moves and its history shows the promotion', { timeout: STEP_TIMEOUT }, async () => {
    await adminPage.goto(`/t/${TEAM}/registry/${MODEL}`);
    const card = adminPage.getByRole('listitem', { name: 'Promotion of v0 to production' });
    await card.getByText('“auc 0.93 on the holdout set”').waitFor();
    await card.getByLabel('Comment').fill('ship it');
    await card.getByRole('button', { name: 'Approve' }).click();
    await card.getByText('applied', { exact: true }).waitFor();
    await expect.poll(() => adminPage.getByLabel('Pending promotions').count(), POLL).toBe(0);
    const versions = adminPage.getByRole('table', { name: 'Versions' });
    await versions.getByRole('button', { name: 'History of alias production' }).click();
    const history = adminPage.getByRole('dialog', { name: 'History of “production”' });
    await history.getByText('promoted').waitFor();
    expect(await history.getByRole('list', { name: 'History of production' }).textContent()).toContain('v0');
    const alias = await server.admin.get(`/api/v1/teams/${TEAM}/registry/models/${MODEL}/aliases/production`);
    expect(alias.body.version).toBe('v0');
  });
});
