// A webhook's page in a real browser: after a few deliveries (three answered 200, one refused with 400) it shows the
// endpoint's success rate and latency, failures in a row and the last error; the admin sets the flood-control limits
// in the Edit dialog (a value out of range is refused where it is typed), and Recover re-enables the webhook and
// sends the failed run once more. The steps share one server and run in order.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { eventually, expectStatus, Receiver, startTestServer, type TestServer } from '../helpers/index.js';
import { createAutomation, createWebhook, webhookAutomation } from '../helpers/automations.js';
import { fireEvent, teamId } from '../helpers/database.js';
import { launchBrowser, logIn, VIEWPORT } from './browser.js';
import { seriousA11yViolations } from './axe.js';

const TEAM = 'ops';
const STEP_TIMEOUT = 90_000;

describe("a webhook's page in the web UI", () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext | undefined;
  let page: Page;
  let browserError: unknown;
  let webhookId: string;
  let answerOk = false;
  const receiver = new Receiver((_request, index) => (answerOk || index < 3 ? { status: 200, body: '{"ok":true}' } : { status: 400, body: 'no such pipeline' }));

  beforeAll(async () => {
    server = await startTestServer({ ui: true });
    await receiver.start();
    expectStatus(await server.admin.post('/api/v1/teams', { name: TEAM }), 201, 'creating the team');
    webhookId = await createWebhook(server.admin, TEAM, { name: 'ci', url: receiver.url('/ci') });
    await createAutomation(server.admin, TEAM, webhookAutomation({ name: 'deploy', eventType: 'LINK_ARTIFACT', webhookId, payload: '{"v":"${artifact_version_index}"}' }));
    const team = await teamId(server.admin, TEAM);
    // One at a time, so the 400 is the last answer (a 400 is not retried: that run fails at once).
    for (let i = 0; i < 4; i++) {
      await fireEvent(server.ctx, { teamId: team, versionIndex: i });
      await receiver.waitFor(i + 1);
    }
    await eventually(async () => {
      const runs = await server.ctx.db.selectFrom('action_runs').select('state').where('webhook_id', '=', webhookId).execute();
      return runs.length === 4 && runs.every((run) => run.state !== 'pending');
    });
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
    await context?.close();
    await browser?.close();
    await receiver.close();
    await server?.close();
  });

  it('shows success rate, latency, failures in a row and the last error', { timeout: STEP_TIMEOUT }, async () => {
    // CSP bypassed only so the accessibility check can inject axe-core.
    context = await browser.newContext({ baseURL: server.url, viewport: VIEWPORT, bypassCSP: true });
    context.setDefaultTimeout(15_000);
    page = await context.newPage();
    await logIn(page, 'admin', server.adminPassword);
    await page.goto(`/t/${TEAM}/settings`);
    await page.getByRole('table', { name: 'Webhooks' }).getByRole('link', { name: 'ci' }).click();
    await page.getByRole('heading', { name: 'ci', level: 1 }).waitFor();
    const health = page.getByRole('region', { name: 'Endpoint health' });
    await expect.poll(() => health.getByTestId('health-state').textContent()).toBe('Failing');
    const lastHour = health.getByRole('table', { name: 'Success rate and latency' }).getByRole('row', { name: /Last hour/ });
    const cells = await lastHour.getByRole('cell').allTextContents();
    // Attempts, succeeded, success rate, then three latencies.
    expect(cells.slice(0, 3)).toEqual(['4', '3', '75.0 %']);
    for (const latency of cells.slice(3)) expect(latency).toMatch(/^\d+(\.\d)? m?s$/);
    const facts = await health.locator('dl.props').innerText();
    expect(facts).toMatch(/Failures in a row\s+1 since/);
    expect(facts).toMatch(/Last error\s+HTTP 400 at/);
    expect(facts).toMatch(/Circuit\s+closed \(opens after 20 failures in a row\)/);
    expect(await page.getByRole('region', { name: 'Delivery settings' }).innerText()).toMatch(/Max concurrency\s+unlimited\s+Max per second\s+unlimited/);
    expect(await seriousA11yViolations(page)).toEqual([]);
  });

  it('sets the flood-control limits in the Edit dialog, refusing a value out of range as it is typed', { timeout: STEP_TIMEOUT }, async () => {
    await page.getByRole('button', { name: 'Edit' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit webhook ci' });
    const concurrency = dialog.getByLabel('Max concurrency');
    await concurrency.fill('0');
    await dialog.getByRole('button', { name: 'Save webhook' }).click();
    // The browser keeps the form: 0 is below the minimum of 1.
    expect(await concurrency.evaluate((input) => (input as HTMLInputElement).validity.rangeUnderflow)).toBe(true);
    await expect.poll(() => dialog.isVisible()).toBe(true);
    await concurrency.fill('2');
    await dialog.getByLabel('Max per second').fill('5');
    await dialog.getByRole('button', { name: 'Save webhook' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const settings = page.getByRole('region', { name: 'Delivery settings' });
    await expect.poll(() => settings.innerText()).toMatch(/Max concurrency\s+2 requests in flight\s+Max per second\s+5 requests per second/);
    const saved = expectStatus(await server.admin.get(`/api/v1/teams/${TEAM}/webhooks/${webhookId}`), 200, 'reading the webhook');
    expect(saved.body).toMatchObject({ maxConcurrency: 2, maxPerSecond: 5 });

    // Emptying a field lifts the limit.
    await page.getByRole('button', { name: 'Edit' }).click();
    await dialog.getByLabel('Max per second').fill('');
    await dialog.getByRole('button', { name: 'Save webhook' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await expect.poll(() => settings.innerText()).toMatch(/Max per second\s+unlimited/);
  });

  it('recovers the endpoint: re-enabled, failures cleared, the failed run sent once more', { timeout: STEP_TIMEOUT }, async () => {
    answerOk = true;
    await page.getByRole('button', { name: 'Recover…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Recover webhook ci' });
    await dialog.getByLabel('Redeliver the runs that failed since').selectOption({ label: 'the last hour' });
    await dialog.getByRole('button', { name: 'Recover' }).click();
    await expect.poll(() => dialog.getByRole('status').textContent()).toBe('The webhook is enabled. 1 failed run is being sent again.');
    await dialog.getByRole('button', { name: 'Done' }).click();
    await receiver.waitFor(5);
    const health = page.getByRole('region', { name: 'Endpoint health' });
    await expect.poll(() => health.getByTestId('health-state').textContent()).toBe('Healthy');
    await expect
      .poll(() => health.getByRole('row', { name: /Last hour/ }).getByRole('cell').allTextContents(), { timeout: 15_000 })
      .toEqual(expect.arrayContaining(['5', '4', '80.0 %']));
  });
});
