// Pages that follow work in progress, and honest redelivery, in Chromium: the Queues page updates by itself (a job
// an agent claims shows Running without a reload), a job shows the automation and version that created it, a
// queue_job run shows its job's outcome; a run page says where a redelivery goes, lists the newest attempt first
// and refuses while the webhook is disabled (410 Gone), which is badged wherever the webhook appears, its long URL
// cut to one line; bulk redelivery says how many runs it will send before it sends them. The setup (the agent's
// claims, links) goes through the API, as agents and training jobs do.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expectStatus, Receiver, startTestServer, type TestServer } from '../helpers/index.js';
import { logVersion } from '../helpers/registry.js';
import { launchBrowser, logIn, screenshot, VIEWPORT } from './browser.js';
import { seriousA11yViolations } from './axe.js';

const STEP_TIMEOUT = 90_000;
const POLL = { timeout: 15_000 };
const TEAM = 'ops';
const LONG_PATH = `/hooks/${'segment-'.repeat(12)}end`;

describe('live queues and honest redelivery', () => {
  let server: TestServer;
  let receiver: Receiver;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let browserError: unknown;
  let linked = 0;

  /** Logs a new version of training/model and links it to the model (a training job would). */
  const logAndLink = async () => {
    expectStatus(await logVersion(server.admin, TEAM, 'training', 'model', { files: { 'w.bin': `w${linked}` } }), 201, 'log');
    expectStatus(await server.admin.post(`/api/v1/teams/${TEAM}/registry/models/model/versions`, { source: `training/model:v${linked}` }), 201, 'link');
    linked++;
  };

  beforeAll(async () => {
    server = await startTestServer({ ui: true });
    receiver = await new Receiver(() => ({ status: 500, body: 'down' })).start();
    const api = server.admin;
    expectStatus(await api.post('/api/v1/teams', { name: TEAM }), 201, 'team');
    expectStatus(await api.post(`/api/v1/teams/${TEAM}/projects`, { name: 'training' }), 201, 'project');
    expectStatus(await api.post(`/api/v1/teams/${TEAM}/registry/models`, { name: 'model' }), 201, 'model');
    expectStatus(await api.post(`/api/v1/teams/${TEAM}/queues`, { name: 'eval' }), 201, 'queue');
    expectStatus(
      await api.post(`/api/v1/teams/${TEAM}/automations`, {
        name: 'evaluate',
        event: { type: 'LINK_ARTIFACT', model: 'model' },
        action: { type: 'queue_job', queue: 'eval', template: '{"model":"${artifact_version_string}"}' },
      }),
      201,
      'queue automation',
    );
    try {
      browser = await launchBrowser();
      context = await browser.newContext({ baseURL: server.url, viewport: VIEWPORT, bypassCSP: true });
      context.setDefaultTimeout(15_000);
      page = await context.newPage();
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

  const expectAccessible = async () => {
    await page.waitForLoadState('networkidle');
    expect(await seriousA11yViolations(page)).toEqual([]);
  };

  it('updates the Queues page by itself; a job shows its automation and version; the run shows the job\'s outcome', { timeout: STEP_TIMEOUT }, async () => {
    await logIn(page, 'admin', server.adminPassword);
    await logAndLink();
    await page.goto(`/t/${TEAM}/queues`);
    const jobs = page.getByRole('table', { name: 'Jobs' });
    const queues = page.getByRole('table', { name: 'Queues' });
    await expect.poll(() => jobs.getByRole('row').nth(1).textContent(), POLL).toContain('Queued');
    expect(await jobs.getByRole('row').nth(1).textContent()).toContain(`${TEAM}/model-registry/model:v0`);
    await expectAccessible();

    // An agent claims the job and reports it running: the page shows it without a reload, counts included.
    const claimed = expectStatus(await server.admin.post(`/api/v1/teams/${TEAM}/queues/eval/claim?wait=0`, { agent: 'gpu-01' }), 200, 'claim');
    const lease = { agent: 'gpu-01', attempt: 1 };
    expectStatus(await server.admin.post(`/api/v1/teams/${TEAM}/jobs/${claimed.body.id}/heartbeat`, { ...lease, state: 'running' }), 200, 'heartbeat');
    await expect.poll(() => jobs.getByRole('row').nth(1).textContent(), POLL).toContain('Running');
    await expect.poll(() => jobs.getByRole('row').nth(1).textContent(), POLL).toContain('gpu-01');
    await expect.poll(() => queues.getByRole('row', { name: /eval/ }).getByRole('cell').nth(2).textContent(), POLL).toBe('1');

    await jobs.getByRole('row').nth(1).getByRole('button').click();
    const dialog = page.getByRole('dialog', { name: /^Job / });
    await dialog.getByRole('link', { name: 'evaluate' }).waitFor();
    await expect.poll(() => dialog.textContent(), POLL).toContain(`${TEAM}/model-registry/model:v0`);
    await expectAccessible();
    expectStatus(await server.admin.post(`/api/v1/teams/${TEAM}/jobs/${claimed.body.id}/result`, { ...lease, exitCode: 3 }), 200, 'result');
    // The open dialog follows the job to its end.
    await expect.poll(() => dialog.textContent(), POLL).toContain('exit code 3');
    await dialog.getByRole('button', { name: 'Close' }).click();

    await page.goto(`/t/${TEAM}/history`);
    const run = page.getByRole('table', { name: 'Runs' }).getByRole('row', { name: /evaluate/ });
    await expect.poll(() => run.textContent(), POLL).toContain('Failed');
    await expect.poll(() => run.textContent(), POLL).toContain('exit code 3');
  });

  it('says where a redelivery goes, shows the newest attempt first, and refuses while the webhook is disabled', { timeout: STEP_TIMEOUT }, async () => {
    const webhook = expectStatus(await server.admin.post(`/api/v1/teams/${TEAM}/webhooks`, { name: 'deployer', url: receiver.url(LONG_PATH) }), 201, 'webhook');
    expectStatus(
      await server.admin.post(`/api/v1/teams/${TEAM}/automations`, {
        name: 'deploy',
        event: { type: 'LINK_ARTIFACT', model: 'model' },
        action: { type: 'webhook', webhookId: webhook.body.id, payload: '{"v":"${artifact_version_string}"}' },
      }),
      201,
      'webhook automation',
    );
    // A 4xx fails the run at once.
    receiver.respondWith(() => ({ status: 400, body: 'bad' }));
    await logAndLink();
    await receiver.waitFor(1);

    await page.goto(`/t/${TEAM}/history?status=failed`);
    const runs = page.getByRole('table', { name: 'Runs' });
    await expect.poll(() => runs.getByRole('row', { name: /deploy/ }).textContent(), POLL).toContain('HTTP 400');
    await runs.getByRole('row', { name: /deploy/ }).getByRole('link').first().click();
    const target = page.getByRole('note', { name: 'Redelivery target' });
    await expect.poll(() => target.textContent(), POLL).toContain('webhook deployer as it is now');
    expect(await target.locator('.truncate').getAttribute('title')).toBe(receiver.url(LONG_PATH));

    receiver.respondWith(() => ({ status: 200, body: 'ok' }));
    await page.getByRole('button', { name: 'Redeliver' }).click();
    await expect.poll(() => page.getByRole('article').first().getAttribute('aria-label'), POLL).toBe('Attempt 2');
    expect(await page.getByRole('article').nth(1).getAttribute('aria-label')).toBe('Attempt 1');
    await expectAccessible();
    await screenshot(page, 'run-redelivery');

    // The receiver answers 410 Gone: the webhook is disabled, and the run page refuses to redeliver.
    receiver.respondWith(() => ({ status: 410, body: 'gone' }));
    await logAndLink();
    await receiver.waitFor(3);
    await expect.poll(async () => (await server.admin.get(`/api/v1/teams/${TEAM}/webhooks/${webhook.body.id}`)).body.enabled, POLL).toBe(false);
    await page.reload();
    await expect.poll(() => target.textContent(), POLL).toContain('It is disabled');
    const badge = target.locator('.badge');
    expect(await badge.textContent()).toMatch(/^Disabled · 410/);
    expect(await badge.getAttribute('title')).toMatch(/^Disabled .+: /);
    expect(await page.getByRole('button', { name: 'Redeliver' }).isDisabled()).toBe(true);

    // Badged where the webhook is used and listed.
    await page.goto(`/t/${TEAM}/automations`);
    await expect.poll(() => page.getByRole('table', { name: 'Automations' }).getByRole('row', { name: /deploy/ }).textContent(), POLL).toMatch(/Disabled · 410/);
    await expectAccessible();
    await page.goto(`/t/${TEAM}/settings`);
    const row = page.getByRole('table', { name: 'Webhooks' }).getByRole('row', { name: /deployer/ });
    await expect.poll(() => row.textContent(), POLL).toMatch(/Disabled · 410/);
    // The long URL stays on one line inside the table.
    const url = row.locator('.truncate');
    expect(await url.evaluate((element) => element.scrollWidth > element.clientWidth)).toBe(true);
    await expectAccessible();
  });

  it('says how many failed runs a bulk redelivery will send before it sends them', { timeout: STEP_TIMEOUT }, async () => {
    await page.goto(`/t/${TEAM}/history?status=failed`);
    await page.getByRole('button', { name: 'Redeliver failed runs…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Redeliver failed runs' });
    // Failed so far: the job run (exit code 3; jobs are not redelivered) and the 410 delivery, whose webhook is
    // disabled now; the first delivery succeeded when it was redelivered.
    await expect.poll(() => dialog.textContent(), POLL).toContain('1 failed run will be sent once more');
    expect(await dialog.textContent()).toContain('All of them go to a disabled webhook');
    await expectAccessible();
    await dialog.getByRole('button', { name: 'Redeliver 1 run' }).click();
    await expect.poll(() => dialog.getByRole('status').textContent(), POLL).toContain('1 failed run is being sent again');
  });
});
