// Delivery controls in the automation wizard, in Chromium: an admin creates an alias automation with a rate limit, a
// cooldown, per-subject order and "newest only" (values out of range are refused as typed, at the box), the API has
// them and the list and the automation's page summarize them; editing shows them, a refusal by the server lands next to
// the control it names, and clearing them saves nulls. Event types without a subject offer no ordering. The Details
// step passes axe-core in light and dark mode. The steps share one server and run in order.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expectStatus, Receiver, startTestServer, type TestServer } from '../helpers/index.js';
import { launchBrowser, logIn, newPage, VIEWPORT } from './browser.js';
import { seriousA11yViolations } from './axe.js';

const TEAM = 'ctl';
const MODEL = 'classifier';
const STEP_TIMEOUT = 90_000;
const POLL = { timeout: 15_000 };

describe('delivery controls in the automation wizard', () => {
  let server: TestServer;
  let receiver: Receiver;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let page: Page;
  let webhookLabel: string;
  let automationId: string;
  let browserError: unknown;

  beforeAll(async () => {
    server = await startTestServer({ ui: true });
    receiver = await new Receiver(() => ({ status: 200, body: '{"ok":true}' })).start();
    const api = server.admin;
    expectStatus(await api.post('/api/v1/teams', { name: TEAM }), 201, 'team');
    expectStatus(await api.post(`/api/v1/teams/${TEAM}/registry/models`, { name: MODEL }), 201, 'model');
    expectStatus(await api.post(`/api/v1/teams/${TEAM}/webhooks`, { name: 'deploy', url: receiver.url('/deploy') }), 201, 'webhook');
    webhookLabel = `deploy — ${receiver.url('/deploy')}`;
    try {
      browser = await launchBrowser();
      const opened = await newPage(browser, server.url);
      contexts.push(opened.context);
      page = opened.page;
      leaveWithoutAsking(page);
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
    await receiver?.close();
    await server?.close();
  });

  /** Leaving a wizard with changes (a refused save) by page.goto: the browser's "leave?" is answered yes. */
  function leaveWithoutAsking(on: Page): void {
    on.on('dialog', (dialog) => void (dialog.type() === 'beforeunload' ? dialog.accept() : dialog.dismiss()));
  }

  /** From step 1 of the wizard (new or edit) to Details, with the webhook and the default payload. */
  async function toDetails(on: Page, eventType?: string): Promise<void> {
    if (eventType) {
      await on.getByLabel('Event type').selectOption(eventType);
      await on.getByLabel('Registered model').selectOption(MODEL);
      await on.getByLabel('Action type').selectOption('webhook');
    }
    await on.getByRole('button', { name: 'Next step' }).click();
    await on.getByLabel('Webhook', { exact: true }).selectOption({ label: webhookLabel });
    await on.getByText('Valid template.').waitFor();
    await on.getByRole('button', { name: 'Next step' }).click();
    await on.getByRole('group', { name: 'Delivery controls' }).waitFor();
  }

  const box = (label: string) => page.getByRole('group', { name: 'Delivery controls' }).getByLabel(label, { exact: true });

  it('creates an alias automation with a rate limit, a cooldown, per-subject order and newest only', { timeout: STEP_TIMEOUT }, async () => {
    await logIn(page, 'admin', server.adminPassword);
    await page.goto(`/t/${TEAM}/automations/new`);
    await toDetails(page, 'ADD_ARTIFACT_ALIAS');
    await page.getByLabel('Automation name').fill('deploy-on-alias');

    // Off and empty by default; "newest only" waits for ordering; the subject of alias events is explained.
    for (const label of ['Rate limit: max runs', 'per seconds', 'Cooldown seconds']) expect(await box(label).inputValue()).toBe('');
    expect(await box('In event order per subject').isChecked()).toBe(false);
    expect(await box('Send only the newest state').isDisabled()).toBe(true);
    await page.getByText(/The subject is the model and the alias/).waitFor();

    // Checked as typed against the server's limits, the problem beside the box (and read out with it).
    await box('Rate limit: max runs').fill('1.5');
    await expect.poll(() => box('Rate limit: max runs').getAttribute('aria-invalid'), POLL).toBe('true');
    await page.getByText('Enter a whole number of 1 or more.').waitFor();
    await box('Rate limit: max runs').fill('100001');
    await page.getByText('At most 100,000.').waitFor();
    expect(await box('Rate limit: max runs').evaluate((input) => document.getElementById(input.getAttribute('aria-describedby')!.split(' ')[1]!)?.textContent)).toBe('At most 100,000.');
    await box('Cooldown seconds').fill('0');
    await expect.poll(() => box('Cooldown seconds').getAttribute('aria-invalid'), POLL).toBe('true');
    // Refused values keep the automation from being created.
    await page.getByRole('button', { name: 'Create automation' }).click();
    await page.getByText('Fix the delivery controls first').waitFor();
    expect((await server.admin.get(`/api/v1/teams/${TEAM}/automations`)).body.items).toEqual([]);

    await box('Rate limit: max runs').fill('10');
    // Half a rate limit is not one.
    await page.getByRole('button', { name: 'Create automation' }).click();
    await page.getByText('Enter how many seconds, or empty both for no limit.').waitFor();
    await box('per seconds').fill('60');
    await box('Cooldown seconds').fill('30');
    await expect.poll(() => box('Rate limit: max runs').getAttribute('aria-invalid'), POLL).toBe('false');
    await box('In event order per subject').check();
    expect(await box('Send only the newest state').isDisabled()).toBe(false);
    await page.getByText(/fold into one delivery of the newest state/).waitFor();
    await box('Send only the newest state').check();
    const summary = '≤10/60 s · cooldown 30 s · ordered, newest only';
    await page.locator('dl.props').getByText(summary).waitFor();
    expect(await page.locator('main .primary:visible').count()).toBe(1);
    await page.getByRole('button', { name: 'Create automation' }).click();

    await page.getByRole('heading', { name: /^deploy-on-alias/, level: 1 }).waitFor();
    automationId = page.url().split('/').at(-1)!;
    await page.getByText(summary).waitFor();
    const saved = (await server.admin.get(`/api/v1/teams/${TEAM}/automations/${automationId}`)).body;
    expect(saved).toMatchObject({ rateLimit: { max: 10, perSeconds: 60 }, cooldownSeconds: 30, delivery: { order: 'per_subject', supersede: true } });

    await page.goto(`/t/${TEAM}/automations`);
    await expect.poll(() => page.getByRole('table', { name: 'Automations' }).getByRole('row', { name: /deploy-on-alias/ }).textContent(), POLL).toContain(summary);
  });

  it('edits it: shows the saved values, and a refusal by the server lands next to the control it names', { timeout: STEP_TIMEOUT }, async () => {
    await page.goto(`/t/${TEAM}/automations/${automationId}/edit`);
    await page.getByRole('heading', { name: 'Edit automation deploy-on-alias' }).waitFor();
    await toDetails(page);
    expect(await box('Rate limit: max runs').inputValue()).toBe('10');
    expect(await box('per seconds').inputValue()).toBe('60');
    expect(await box('Cooldown seconds').inputValue()).toBe('30');
    expect(await box('In event order per subject').isChecked()).toBe(true);
    expect(await box('Send only the newest state').isChecked()).toBe(true);

    // What the wizard cannot send by itself (it unticks supersede with the order), sent anyway: the server's 400 names
    // delivery.supersede and its message appears at that checkbox.
    const path = `**/api/v1/teams/${TEAM}/automations/${automationId}`;
    await page.route(path, (route) => {
      if (route.request().method() !== 'PATCH') return route.continue();
      const body = JSON.parse(route.request().postData() ?? '{}');
      return route.continue({ postData: JSON.stringify({ ...body, delivery: { order: 'none', supersede: true } }) });
    });
    try {
      await page.getByRole('button', { name: 'Save automation' }).click();
      await expect.poll(() => box('Send only the newest state').getAttribute('aria-invalid'), POLL).toBe('true');
    } finally {
      await page.unroute(path);
    }
    const supersede = box('Send only the newest state');
    await expect.poll(() => supersede.getAttribute('aria-invalid'), POLL).toBe('true');
    const described = await supersede.evaluate((input) =>
      input
        .getAttribute('aria-describedby')!
        .split(' ')
        .map((id) => document.getElementById(id)?.textContent ?? '')
        .join(' | '),
    );
    expect(described).toMatch(/supersede needs delivery\.order "per_subject"/i);
    expect(await page.getByRole('form', { name: 'Details' }).count()).toBe(1);
    const unchanged = (await server.admin.get(`/api/v1/teams/${TEAM}/automations/${automationId}`)).body;
    expect(unchanged).toMatchObject({ rateLimit: { max: 10, perSeconds: 60 }, cooldownSeconds: 30, delivery: { order: 'per_subject', supersede: true } });
  });

  it('clears them by editing', { timeout: STEP_TIMEOUT }, async () => {
    await page.goto(`/t/${TEAM}/automations/${automationId}/edit`);
    await page.getByRole('heading', { name: 'Edit automation deploy-on-alias' }).waitFor();
    await toDetails(page);
    await box('Rate limit: max runs').fill('');
    await box('per seconds').fill('');
    await box('Cooldown seconds').fill('');
    // Unticking the order unticks "newest only" with it.
    await box('In event order per subject').uncheck();
    expect(await box('Send only the newest state').isChecked()).toBe(false);
    expect(await box('Send only the newest state').isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Save automation' }).click();
    await page.getByRole('heading', { name: /^deploy-on-alias/, level: 1 }).waitFor();
    await expect
      .poll(async () => (await server.admin.get(`/api/v1/teams/${TEAM}/automations/${automationId}`)).body, POLL)
      .toMatchObject({ rateLimit: null, cooldownSeconds: null, delivery: { order: 'none', supersede: false } });
    await page.reload();
    await page.getByRole('heading', { name: /^deploy-on-alias/, level: 1 }).waitFor();
    expect(await page.getByText('Delivery controls').count()).toBe(0);
  });

  it('offers no ordering for events without a subject, and says why; a link event orders by model', { timeout: STEP_TIMEOUT }, async () => {
    await page.goto(`/t/${TEAM}/automations/new`);
    await toDetails(page, 'PROMOTION_REQUESTED');
    await page.getByText('These events have no subject to order by', { exact: false }).waitFor();
    expect(await box('In event order per subject').count()).toBe(0);
    expect(await box('Send only the newest state').count()).toBe(0);
    // Rate limit and cooldown still apply.
    await box('Cooldown seconds').waitFor();

    await page.getByRole('button', { name: 'Back' }).click();
    await page.getByRole('button', { name: 'Back' }).click();
    await page.getByLabel('Event type').selectOption('LINK_ARTIFACT');
    await page.getByLabel('Registered model').selectOption(MODEL);
    await page.getByRole('button', { name: 'Next step' }).click();
    await page.getByRole('button', { name: 'Next step' }).click();
    await page.getByText(/The subject is the registered model/).waitFor();
    await box('In event order per subject').check();
    await page.getByLabel('Automation name').fill('ordered-links');
    await page.getByRole('button', { name: 'Create automation' }).click();
    await page.getByRole('heading', { name: /^ordered-links/, level: 1 }).waitFor();
    const items = (await server.admin.get(`/api/v1/teams/${TEAM}/automations`)).body.items as Array<{ name: string; delivery: unknown; rateLimit: unknown }>;
    expect(items.find((a) => a.name === 'ordered-links')).toMatchObject({ delivery: { order: 'per_subject', supersede: false }, rateLimit: null });
  });

  it('the Details step with the controls set passes axe-core in light and dark mode', { timeout: STEP_TIMEOUT }, async () => {
    // axe-core is injected as a script, which the app's Content-Security-Policy forbids: these pages bypass it.
    for (const mode of ['light', 'dark'] as const) {
      const context = await browser.newContext({ baseURL: server.url, viewport: VIEWPORT, bypassCSP: true, colorScheme: mode });
      contexts.push(context);
      context.setDefaultTimeout(15_000);
      const on = await context.newPage();
      leaveWithoutAsking(on);
      await logIn(on, 'admin', server.adminPassword);
      await on.goto(`/t/${TEAM}/automations/new`);
      await toDetails(on, 'ADD_ARTIFACT_ALIAS');
      const controls = on.getByRole('group', { name: 'Delivery controls' });
      await controls.getByLabel('Rate limit: max runs', { exact: true }).fill('5');
      await controls.getByLabel('per seconds', { exact: true }).fill('x');
      await controls.getByLabel('Cooldown seconds', { exact: true }).fill('30');
      await controls.getByLabel('In event order per subject', { exact: true }).check();
      await on.waitForLoadState('networkidle');
      expect(await seriousA11yViolations(on), `Details step (${mode})`).toEqual([]);
    }
  });
});
