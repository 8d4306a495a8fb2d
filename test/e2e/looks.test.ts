// Navigation, roles and looks, in Chromium: a skip-to-content link, the 404 page of a missing model, Copy buttons,
// "Add member" creating a user in place, a role-aware wizard (viewers are told why not, members why secrets are
// missing), one primary button per page, no horizontal scrolling at 768, 1280 and 1920 pixels, a dark mode that
// follows the system and passes axe-core like the light one. The setup goes through the API.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createUserClient, expectStatus, Receiver, startTestServer, type TestServer } from '../helpers/index.js';
import { logVersion } from '../helpers/registry.js';
import { launchBrowser, logIn, screenshot, VIEWPORT } from './browser.js';
import { seriousA11yViolations } from './axe.js';

const STEP_TIMEOUT = 90_000;
const POLL = { timeout: 15_000 };
const TEAM = 'looks';
const PAGES = ['registry', 'registry/classifier', 'projects', 'projects/training/artifacts/classifier', 'automations', 'history', 'queues', 'settings', 'api-keys'];

describe('navigation, roles and looks', () => {
  let server: TestServer;
  let receiver: Receiver;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let browserError: unknown;

  const open = async (options: { colorScheme?: 'light' | 'dark' } = {}) => {
    const created = await browser.newContext({ baseURL: server.url, viewport: VIEWPORT, bypassCSP: true, ...options });
    created.setDefaultTimeout(15_000);
    return { context: created, page: await created.newPage() };
  };

  beforeAll(async () => {
    server = await startTestServer({ ui: true });
    receiver = await new Receiver(() => ({ status: 200, body: '{"ok":true}' })).start();
    const api = server.admin;
    expectStatus(await api.post('/api/v1/teams', { name: TEAM }), 201, 'team');
    expectStatus(await api.post(`/api/v1/teams/${TEAM}/projects`, { name: 'training' }), 201, 'project');
    expectStatus(await logVersion(api, TEAM, 'training', 'classifier', { metadata: { accuracy: 0.9 } }), 201, 'log');
    expectStatus(await api.post(`/api/v1/teams/${TEAM}/registry/models`, { name: 'classifier' }), 201, 'model');
    const webhook = expectStatus(await api.post(`/api/v1/teams/${TEAM}/webhooks`, { name: 'ci', url: receiver.url('/ci') }), 201, 'webhook');
    expectStatus(
      await api.post(`/api/v1/teams/${TEAM}/automations`, {
        name: 'notify',
        event: { type: 'LINK_ARTIFACT', model: 'classifier' },
        action: { type: 'webhook', webhookId: webhook.body.id, payload: '{"v":"${artifact_version_string}"}' },
      }),
      201,
      'automation',
    );
    expectStatus(await api.post(`/api/v1/teams/${TEAM}/registry/models/classifier/versions`, { source: 'training/classifier:v0', aliases: ['staging'] }), 201, 'link');
    await receiver.waitFor(1);
    for (const [name, role] of [['mo', 'member'], ['vi', 'viewer']] as const) {
      await createUserClient(server, name);
      expectStatus(await api.put(`/api/v1/teams/${TEAM}/members/${name}`, { role }), 201, 'member');
    }
    try {
      browser = await launchBrowser();
      ({ context, page } = await open());
      await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    } catch (error) {
      browserError = error;
    }
  });

  beforeEach(() => {
    if (browserError) throw browserError;
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await receiver?.close();
    await server?.close();
  });

  it('skips to the content, shows a heading and a way back for a missing model, and copies keys and ids', { timeout: STEP_TIMEOUT }, async () => {
    await logIn(page, 'admin', server.adminPassword);
    await page.goto(`/t/${TEAM}/registry`);
    await page.getByRole('button', { name: 'Log out' }).waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id), POLL).toBe('main');

    await page.goto(`/t/${TEAM}/registry/no-such-model`);
    await page.getByRole('heading', { name: 'No registered model “no-such-model”', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'Back to the registry' }).click();
    await page.getByRole('heading', { name: 'Model registry' }).waitFor();

    await page.goto(`/t/${TEAM}/api-keys`);
    await page.getByRole('button', { name: 'New API key' }).click();
    await page.getByRole('dialog', { name: 'New API key' }).getByLabel('Name').fill('ci');
    await page.getByRole('button', { name: 'Create key' }).click();
    const created = page.getByRole('dialog', { name: 'API key created' });
    const key = (await created.getByLabel('New API key').textContent()) ?? '';
    await created.getByRole('button', { name: 'Copy key' }).click();
    await created.getByRole('button', { name: /Copied/ }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);
    await created.getByRole('button', { name: 'Done' }).click();

    await page.goto(`/t/${TEAM}/history`);
    await page.getByRole('table', { name: 'Runs' }).getByRole('row', { name: /notify/ }).getByRole('link').first().click();
    await page.getByRole('button', { name: 'Copy run id' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('offers a way forward when deleting a webhook in use: the automations using it, each with Edit', { timeout: STEP_TIMEOUT }, async () => {
    await page.goto(`/t/${TEAM}/settings`);
    await page.getByRole('table', { name: 'Webhooks' }).getByRole('button', { name: 'Actions for webhook ci' }).click();
    await page.getByRole('menuitem', { name: 'Delete' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete webhook “ci”?' });
    await confirm.getByRole('list', { name: 'Automations using this webhook' }).getByRole('link', { name: 'Edit notify' }).click();
    await page.getByRole('heading', { name: 'Edit automation notify' }).waitFor();
  });

  it('asks before leaving the wizard with changes', { timeout: STEP_TIMEOUT }, async () => {
    await page.goto(`/t/${TEAM}/automations/new`);
    await page.getByLabel('Event type').selectOption('ADD_ARTIFACT_ALIAS');
    const answers: string[] = [];
    const answer = (accept: boolean) =>
      page.once('dialog', (dialog) => {
        answers.push(dialog.message());
        void (accept ? dialog.accept() : dialog.dismiss());
      });
    const history = page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'History', exact: true });
    answer(false);
    await history.click();
    await expect.poll(() => answers.length, POLL).toBe(1);
    expect(answers[0]).toContain('Your changes are not saved');
    expect(await page.getByLabel('Event type').inputValue()).toBe('ADD_ARTIFACT_ALIAS');
    answer(true);
    await history.click();
    await page.getByRole('heading', { name: 'History', level: 1 }).waitFor();
  });

  it('adds a member who is new to the instance, with a generated password shown once', { timeout: STEP_TIMEOUT }, async () => {
    await page.goto(`/t/${TEAM}/settings`);
    await page.getByRole('button', { name: 'Add member' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add member' });
    await dialog.getByLabel('User name').fill('newcomer');
    await dialog.getByLabel('Create this user (new to the instance)').check();
    await dialog.getByLabel('Role').selectOption('viewer');
    await dialog.getByRole('button', { name: 'Add member' }).click();
    const shown = page.getByRole('dialog', { name: 'User newcomer created' });
    const password = (await shown.getByLabel('Generated password').textContent()) ?? '';
    expect(password.length).toBeGreaterThanOrEqual(20);
    await shown.getByRole('button', { name: 'Done' }).click();
    await expect.poll(() => page.getByRole('status', { name: 'Notices' }).textContent(), POLL).toContain('newcomer is now a viewer of looks');
    await page.getByRole('combobox', { name: 'Role of newcomer' }).waitFor();
  });

  it('tells a viewer why there is no wizard, and a member why webhook secrets are not offered', { timeout: STEP_TIMEOUT }, async () => {
    const viewer = await open();
    try {
      await logIn(viewer.page, 'vi', 'correct horse battery');
      await viewer.page.goto(`/t/${TEAM}/automations/new`);
      await viewer.page.getByText('Viewers cannot create automations.').waitFor();
    } finally {
      await viewer.context.close();
    }
    const member = await open();
    try {
      await logIn(member.page, 'mo', 'correct horse battery');
      await member.page.goto(`/t/${TEAM}/automations/new`);
      await member.page.getByRole('button', { name: 'Next step' }).click();
      await member.page.getByText(/Webhook URLs and their secrets are shown to team admins only/).waitFor();
      // Disabling asks first for members too.
      await member.page.goto(`/t/${TEAM}/automations`);
      await member.page.getByRole('button', { name: 'Actions for notify' }).click();
      await member.page.getByRole('menuitem', { name: 'Disable' }).click();
      await member.page.getByRole('dialog', { name: 'Disable automation “notify”?' }).getByRole('button', { name: 'Cancel' }).click();
      expect(await member.page.getByRole('table', { name: 'Automations' }).getByRole('row', { name: /notify/ }).textContent()).toContain('Enabled');
    } finally {
      await member.context.close();
    }
  });

  it('has one primary button per page and no sideways scrolling at 768, 1280 and 1920 pixels', { timeout: STEP_TIMEOUT * 2 }, async () => {
    for (const width of [768, 1280, 1920]) {
      await page.setViewportSize({ width, height: 900 });
      for (const section of PAGES) {
        await page.goto(`/t/${TEAM}/${section}`);
        await page.getByRole('heading', { level: 1 }).first().waitFor();
        await page.waitForLoadState('networkidle');
        const primaries = await page.locator('main .primary:visible').count();
        expect(primaries, `${section} at ${width}`).toBeLessThanOrEqual(1);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        expect(overflow, `${section} at ${width}`).toBeLessThanOrEqual(0);
      }
      await page.goto(`/t/${TEAM}/registry/classifier`);
      await page.getByRole('table', { name: 'Versions' }).waitFor();
      if (width !== 1280) await screenshot(page, `model-page-${width}`);
    }
    await page.setViewportSize(VIEWPORT);
  });

  it('follows the system\'s dark mode, and every page passes axe-core in both modes', { timeout: STEP_TIMEOUT * 2 }, async () => {
    const dark = await open({ colorScheme: 'dark' });
    try {
      await logIn(dark.page, 'admin', server.adminPassword);
      for (const [mode, on] of [['light', page], ['dark', dark.page]] as const) {
        for (const section of PAGES) {
          await on.goto(`/t/${TEAM}/${section}`);
          await on.getByRole('heading', { level: 1 }).first().waitFor();
          await on.waitForLoadState('networkidle');
          expect(await seriousA11yViolations(on), `${section} (${mode})`).toEqual([]);
        }
        await on.goto('/admin');
        await on.getByRole('table', { name: 'Users' }).waitFor();
        expect(await seriousA11yViolations(on), `admin (${mode})`).toEqual([]);
      }
      const background = await dark.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      const [r, g, b] = background.match(/\d+/g)!.map(Number);
      expect(r! + g! + b!).toBeLessThan(150);
      await dark.page.goto(`/t/${TEAM}/registry/classifier`);
      await dark.page.getByRole('table', { name: 'Versions' }).waitFor();
      await screenshot(dark.page, 'model-page-dark');
    } finally {
      await dark.context.close();
    }
  });
});
