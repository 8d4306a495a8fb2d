// The web UI in a real browser (Debian's Chromium) against a real server and a real HTTP receiver on 127.0.0.1:
// a new admin logs in, creates a team, a secret and a webhook (tests it and sees the receiver's answer), an
// automation through the wizard with the Slack preset; a version linked through the API is delivered and the run
// shows the payload the receiver recorded; a member cannot see Team secrets; deleting an automation removes it
// from the model page; no page reports a Content-Security-Policy violation. The steps share one server and browser
// and run in order; each leaves the state the next needs.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createUserClient, eventually, Receiver, startTestServer, type TestServer } from '../helpers/index.js';
import { launchBrowser, logIn, newPage, screenshot } from './browser.js';

const TEAM = 'ml';
const MODEL = 'classifier';
const SECRET_VALUE = 'sig-7f3a9c1d-never-shown';
const ROTATED_SECRET_VALUE = 'sig-rotated-5b2e-never-shown';
const STEP_TIMEOUT = 90_000;
/** How long a check waits for the page to reach the state (the UI loads and refreshes asynchronously). */
const POLL = { timeout: 15_000 };

describe('web UI', () => {
  let server: TestServer;
  let receiver: Receiver;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** Every CSP violation the admin's pages report, across all the steps (checked by the last one). */
  let cspViolations: string[];
  let browserError: unknown;

  beforeAll(async () => {
    server = await startTestServer({ ui: true });
    receiver = await new Receiver(() => ({ status: 200, headers: { 'x-receiver': 'test-receiver' }, body: '{"received":true}' })).start();
    try {
      browser = await launchBrowser();
      ({ context, page, cspViolations } = await newPage(browser, server.url));
    } catch (error) {
      browserError = error;
    }
  });

  // Without a browser every test fails on its own (rather than being reported as skipped).
  beforeEach(() => {
    if (browserError) throw browserError;
  });

  /** Logs version `index` of the training artifact and links it to the model, through the API. */
  async function logAndLink(index: number): Promise<void> {
    const form = new FormData();
    form.append('type', 'model');
    form.append('metadata', JSON.stringify({ accuracy: 0.9 + index / 100, framework: 'pytorch' }));
    form.append('files', new Blob([`weights-v${index}`]), 'model.bin');
    const logged = await server.admin.request('POST', `/api/v1/teams/${TEAM}/projects/training/artifacts/${MODEL}/versions`, form);
    expect(logged.status).toBe(201);
    const linked = await server.admin.post(`/api/v1/teams/${TEAM}/registry/models/${MODEL}/versions`, { source: `training/${MODEL}:v${index}` });
    expect(linked.status).toBe(201);
  }

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await receiver?.close();
    await server?.close();
  });

  it('a new admin logs in, creates a team and a registered model', { timeout: STEP_TIMEOUT }, async () => {
    await logIn(page, 'admin', server.adminPassword);
    await page.getByLabel('Team name').fill(TEAM);
    await page.getByRole('button', { name: 'Create team' }).click();
    await page.getByRole('heading', { name: 'Model registry' }).waitFor();
    await page.getByText('No registered models yet.').waitFor();

    await page.getByRole('button', { name: 'New registered model' }).click();
    const dialog = page.getByRole('dialog', { name: 'New registered model' });
    await dialog.getByLabel('Name').fill('bad name!');
    await dialog.getByRole('button', { name: 'Create model' }).click();
    // The server's message appears next to the field it names.
    await expect.poll(() => dialog.getByLabel('Name').getAttribute('aria-invalid'), POLL).toBe('true');
    await dialog.getByLabel('Name').fill(MODEL);
    await dialog.getByLabel('Description').fill('Image classifier for the storefront');
    await dialog.getByRole('button', { name: 'Create model' }).click();
    await page.getByRole('heading', { name: MODEL, level: 1 }).waitFor();
    await page.getByText('No versions linked yet.').waitFor();
    await page.getByText('No automations for this model yet.').waitFor();
  });

  it('creates a team secret whose value is never shown, and a webhook whose test shows the receiver\'s answer', { timeout: STEP_TIMEOUT }, async () => {
    await page.getByRole('link', { name: 'Team settings' }).click();
    await page.getByRole('heading', { name: 'Team secrets' }).waitFor();

    await page.getByRole('button', { name: 'New secret' }).click();
    const secretDialog = page.getByRole('dialog', { name: 'New secret' });
    await secretDialog.getByLabel('Secret name', { exact: true }).fill('SIGNING_SECRET');
    await secretDialog.getByLabel('Secret', { exact: true }).fill(SECRET_VALUE);
    await secretDialog.getByRole('button', { name: 'Add secret' }).click();
    await secretDialog.waitFor({ state: 'detached' });
    const secrets = page.getByRole('table', { name: 'Team secrets' });
    await secrets.getByRole('cell', { name: 'SIGNING_SECRET', exact: true }).waitFor();
    expect(await page.content()).not.toContain(SECRET_VALUE);

    await page.getByRole('button', { name: 'New webhook' }).click();
    const webhookDialog = page.getByRole('dialog', { name: 'New webhook' });
    await webhookDialog.getByLabel('Name', { exact: true }).fill('slack-alerts');
    // The server refuses localhost; its message is shown beside the URL field.
    await webhookDialog.getByLabel('URL', { exact: true }).fill('https://localhost/hook');
    await webhookDialog.getByLabel('Secret', { exact: true }).selectOption('SIGNING_SECRET');
    await webhookDialog.getByRole('button', { name: 'Create webhook' }).click();
    const urlField = webhookDialog.getByLabel('URL', { exact: true });
    await expect.poll(() => urlField.getAttribute('aria-invalid'), POLL).toBe('true');
    const urlError = await page.locator(`#${await urlField.getAttribute('aria-describedby').then((ids) => ids!.split(' ').pop())}`).textContent();
    expect(urlError).toMatch(/localhost/i);

    await urlField.fill(receiver.url('/slack'));
    // A custom header inserting the secret: a reserved name is refused on its row, then fixed.
    await webhookDialog.getByRole('button', { name: 'Add header', exact: true }).click();
    const headerName = webhookDialog.getByLabel('Header 1 name');
    await headerName.fill('Content-Type');
    await webhookDialog.getByLabel('Header 1 value').fill('${SIGNING_SECRET}');
    await webhookDialog.getByRole('button', { name: 'Create webhook' }).click();
    await expect.poll(() => headerName.getAttribute('aria-invalid'), POLL).toBe('true');
    await webhookDialog.getByRole('alert').filter({ hasText: 'header Content-Type: Content-Type is set by Modelyard itself' }).waitFor();
    await headerName.fill('X-Key');
    // Create and test: saved, then straight into its Test dialog.
    await webhookDialog.getByRole('button', { name: 'Create and test' }).click();
    await webhookDialog.waitFor({ state: 'detached' });
    const webhooks = page.getByRole('table', { name: 'Webhooks' });
    await webhooks.getByRole('cell', { name: 'slack-alerts', exact: true }).waitFor();
    const testDialog = page.getByRole('dialog', { name: 'Test webhook slack-alerts' });
    await testDialog.getByLabel('Payload').fill('{"text":"hello from the browser"}');
    await testDialog.getByRole('button', { name: 'Test webhook' }).click();
    await expect.poll(() => testDialog.getByLabel('Response status').textContent(), POLL).toBe('200');
    // The body comes first, pretty-printed when it is JSON.
    await expect.poll(() => testDialog.getByLabel('Response body').textContent(), POLL).toBe('{\n  "received": true\n}');
    await testDialog.getByRole('table', { name: 'Response headers' }).getByRole('cell', { name: 'test-receiver' }).waitFor();
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]!.body).toBe('{"text":"hello from the browser"}');
    expect(receiver.requests[0]!.headers['x-key']).toBe(SECRET_VALUE);
    expect(await page.content()).not.toContain(SECRET_VALUE);
    await testDialog.getByRole('button', { name: 'Close' }).click();

    // Rotating by keyboard alone: the row menu opens on Enter with its first item focused, the dialog focuses the
    // value field, and Enter submits.
    await secrets.getByRole('button', { name: 'Actions for secret SIGNING_SECRET' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent), POLL).toBe('Rotate');
    await page.keyboard.press('Enter');
    const rotate = page.getByRole('dialog', { name: 'Rotate SIGNING_SECRET' });
    await expect.poll(() => rotate.getByLabel('Secret', { exact: true }).evaluate((element) => element === document.activeElement), POLL).toBe(true);
    await page.keyboard.type(ROTATED_SECRET_VALUE);
    await page.keyboard.press('Enter');
    await rotate.waitFor({ state: 'detached' });
    expect(await page.content()).not.toContain(ROTATED_SECRET_VALUE);

    // A secret that a webhook uses cannot be deleted; the refusal names the webhook.
    await secrets.getByRole('button', { name: 'Actions for secret SIGNING_SECRET' }).click();
    await page.getByRole('menuitem', { name: 'Delete' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete secret SIGNING_SECRET?' });
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => confirm.getByRole('alert').textContent(), POLL).toContain('slack-alerts');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await secrets.getByRole('cell', { name: 'slack-alerts', exact: true }).waitFor();

    await screenshot(page, 'team-settings');
  });

  it('creates an automation through the wizard with the Slack preset', { timeout: STEP_TIMEOUT }, async () => {
    // A first version, linked before any automation exists, gives the preview a real version to render.
    const api = server.admin;
    expect((await api.post(`/api/v1/teams/${TEAM}/projects`, { name: 'training' })).status).toBe(201);
    await logAndLink(0);

    await page.getByRole('link', { name: 'Registry' }).click();
    await page.getByRole('link', { name: MODEL }).click();
    await page.getByRole('link', { name: 'New automation' }).click();

    await page.getByLabel('Event type').selectOption('LINK_ARTIFACT');
    await page.getByLabel('Registered model').selectOption(MODEL);
    await page.getByLabel('Action type').selectOption('webhook');
    await page.getByRole('button', { name: 'Next step' }).click();

    await page.getByLabel('Webhook', { exact: true }).selectOption({ label: `slack-alerts — ${receiver.url('/slack')}` });
    // A broken template is reported with its position.
    await page.getByLabel('Payload').fill('{"text": "${event_type}",}');
    await page.getByText(/Line 1, column \d+/).waitFor();
    await page.getByRole('group', { name: 'Presets' }).getByRole('button', { name: /Slack/ }).click();
    await page.getByText('Valid template.').waitFor();
    // Variables are inserted at the cursor.
    const editor = page.getByLabel('Payload');
    await editor.evaluate((element: HTMLTextAreaElement) => element.setSelectionRange(0, 0));
    await page.getByRole('group', { name: 'Insert a variable' }).getByRole('button', { name: '${event_id}' }).click();
    expect((await editor.inputValue()).startsWith('${event_id}{')).toBe(true);
    await page.getByText(/Line 1, column/).waitFor();
    await page.getByRole('group', { name: 'Presets' }).getByRole('button', { name: /Slack/ }).click();
    await page.getByText('Valid template.').waitFor();
    await expect.poll(() => page.getByLabel('Preview').textContent(), POLL).toContain(`${TEAM}/model-registry/${MODEL}:v0`);
    await editor.evaluate((element: HTMLTextAreaElement) => element.scrollTo(0, 0));
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'automation-wizard-payload');
    await page.getByRole('button', { name: 'Next step' }).click();

    await page.getByLabel('Automation name').fill('notify-slack');
    await page.getByLabel('Description').fill('Tell #ml-releases about every new version');
    await page.getByRole('button', { name: 'Create automation' }).click();

    // The wizard lands on the automation's page; the model page lists it too.
    await page.getByRole('heading', { name: /notify-slack/, level: 1 }).waitFor();
    await page.getByRole('link', { name: MODEL, exact: true }).click();
    await page.getByRole('heading', { name: MODEL, level: 1 }).waitFor();
    const automations = page.getByRole('table', { name: 'Automations' });
    const row = automations.getByRole('row', { name: /notify-slack/ });
    await expect.poll(() => row.textContent(), POLL).toContain('New version linked');
    await expect.poll(() => row.textContent(), POLL).toContain('Webhook');
    await expect.poll(() => row.textContent(), POLL).toContain('slack-alerts');
  });

  it('delivers a version linked through the API and shows the payload the receiver recorded in History', { timeout: STEP_TIMEOUT }, async () => {
    await logAndLink(1);

    await receiver.waitFor(2);
    const delivery = receiver.requests[1]!;
    const delivered = JSON.parse(delivery.body);
    expect(delivered.text).toContain(`${TEAM}/model-registry/${MODEL}:v1`);
    expect(delivery.headers['x-wandb-signature']).toBeTruthy();

    await page.reload();
    await page.getByRole('cell', { name: 'v1', exact: true }).waitFor();
    await screenshot(page, 'model-page');

    await page.getByRole('link', { name: 'History' }).click();
    const runs = page.getByRole('table', { name: 'Runs' });
    await expect.poll(() => runs.getByRole('row', { name: /notify-slack/ }).textContent(), POLL).toContain('Succeeded');
    await expect.poll(() => runs.getByRole('row', { name: /notify-slack/ }).textContent(), POLL).toContain('HTTP 200');
    await page.getByLabel('Status').selectOption('failed');
    await page.getByText('No failed runs.').waitFor();
    await page.getByLabel('Status').selectOption('succeeded');
    await screenshot(page, 'history');

    await runs.getByRole('row', { name: /notify-slack/ }).getByRole('link').first().click();
    await page.getByRole('heading', { name: /Run of notify-slack/ }).waitFor();
    const shown = JSON.parse((await page.getByLabel('Payload').textContent()) ?? '');
    expect(shown).toEqual(delivered);
    const attempt = page.getByRole('article', { name: 'Attempt 1' });
    await expect.poll(() => attempt.textContent(), POLL).toContain('HTTP 200');
    await expect.poll(() => attempt.getByLabel('Response of attempt 1').textContent(), POLL).toBe('{"received":true}');
    await screenshot(page, 'run');
    expect(await page.content()).not.toContain(SECRET_VALUE);
    expect(await page.content()).not.toContain(ROTATED_SECRET_VALUE);

    await page.getByRole('button', { name: 'Redeliver' }).click();
    await receiver.waitFor(3);
    await page.getByRole('article', { name: 'Attempt 2' }).waitFor();
    await expect.poll(() => page.getByRole('article', { name: 'Attempt 2' }).textContent(), POLL).toContain('manual redelivery');
    expect(JSON.parse(receiver.requests[2]!.body)).toEqual(delivered);
  });

  it('does not show Team secrets to a member', { timeout: STEP_TIMEOUT }, async () => {
    const member = await createUserClient(server, 'mia');
    expect((await server.admin.put(`/api/v1/teams/${TEAM}/members/${member.userName}`, { role: 'member' })).status).toBe(201);
    const { context: memberContext, page: memberPage, cspViolations: memberViolations } = await newPage(browser, server.url);
    try {
      await logIn(memberPage, member.userName, 'correct horse battery');
      await memberPage.getByRole('heading', { name: 'Model registry' }).waitFor();
      await memberPage.getByRole('link', { name: MODEL }).waitFor();
      await expect.poll(() => memberPage.getByRole('link', { name: 'Team settings' }).count(), POLL).toBe(0);
      await memberPage.goto(`/t/${TEAM}/settings`);
      await memberPage.getByText(/Only admins of ml/).waitFor();
      await expect.poll(() => memberPage.getByRole('heading', { name: 'Team secrets' }).count(), POLL).toBe(0);
      await expect.poll(() => memberPage.getByRole('button', { name: 'New secret' }).count(), POLL).toBe(0);
      expect(memberViolations).toEqual([]);
    } finally {
      await memberContext.close();
    }
  });

  it('deletes an automation from the model page after a confirmation', { timeout: STEP_TIMEOUT }, async () => {
    await page.goto(`/t/${TEAM}/registry`);
    await screenshot(page, 'registry');
    await page.getByRole('link', { name: MODEL }).click();
    const automations = page.getByRole('table', { name: 'Automations' });
    await automations.getByRole('button', { name: 'Actions for notify-slack' }).click();
    await page.getByRole('menuitem', { name: 'Delete' }).click();
    const confirm = page.getByRole('dialog', { name: /Delete automation/ });
    await expect.poll(() => confirm.textContent(), POLL).toContain('in flight still finish');
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await page.getByText('No automations for this model yet.').waitFor();
    const remaining = await eventually(async () => {
      const list = await server.admin.get(`/api/v1/teams/${TEAM}/registry/models/${MODEL}/automations`);
      return list.status === 200 ? list.body : undefined;
    });
    expect(remaining.items).toHaveLength(0);
  });

  it('adds, moves and removes an alias and unlinks a version on the model page', { timeout: STEP_TIMEOUT }, async () => {
    await page.goto(`/t/${TEAM}/registry/${MODEL}`);
    const versions = page.getByRole('table', { name: 'Versions' });
    const row = (version: string) => versions.getByRole('row', { name: new RegExp(`^${version} `) });
    const setAlias = async (version: string, alias: string) => {
      await versions.getByRole('button', { name: `Actions for ${version}` }).click();
      await page.getByRole('menuitem', { name: 'Add or move alias' }).click();
      const dialog = page.getByRole('dialog', { name: `Alias for ${version}` });
      await dialog.getByLabel('Alias').fill(alias);
      await dialog.getByRole('button', { name: 'Set alias' }).click();
      await dialog.waitFor({ state: 'detached' });
    };

    await setAlias('v0', 'staging');
    await expect.poll(() => row('v0').textContent(), POLL).toContain('staging');
    await setAlias('v1', 'staging');
    await expect.poll(() => row('v1').textContent(), POLL).toContain('staging');
    await expect.poll(() => row('v0').textContent(), POLL).not.toContain('staging');
    // Again onto the version that holds it: nothing happens, and the notice does not count an earlier move's runs.
    await setAlias('v1', 'staging');
    await expect.poll(() => page.getByRole('status', { name: 'Notices' }).textContent(), POLL).toContain('already has “staging”. Nothing changed and no automation was triggered.');

    await versions.getByRole('button', { name: 'Remove alias staging' }).click();
    await page.getByRole('dialog', { name: 'Remove alias “staging”?' }).getByRole('button', { name: 'Remove alias' }).click();
    await expect.poll(() => versions.getByRole('button', { name: 'Remove alias staging' }).count(), POLL).toBe(0);

    await versions.getByRole('button', { name: 'Actions for v0' }).click();
    await page.getByRole('menuitem', { name: 'Unlink' }).click();
    await page.getByRole('dialog', { name: 'Unlink v0?' }).getByRole('button', { name: 'Unlink' }).click();
    await expect.poll(() => row('v0').count(), POLL).toBe(0);
    const remaining = await server.admin.get(`/api/v1/teams/${TEAM}/registry/models/${MODEL}/versions`);
    expect(remaining.body.items.map((v: { version: string }) => v.version)).toEqual(['v1']);
  });

  it('lists a queued job with its payload, cancels it and requeues it', { timeout: STEP_TIMEOUT }, async () => {
    expect((await server.admin.post(`/api/v1/teams/${TEAM}/queues`, { name: 'eval' })).status).toBe(201);
    const automation = await server.admin.post(`/api/v1/teams/${TEAM}/automations`, {
      name: 'evaluate',
      event: { type: 'LINK_ARTIFACT', model: MODEL },
      action: { type: 'queue_job', queue: 'eval', template: '{"command":"evaluate","model":"${artifact_version_string}"}' },
    });
    expect(automation.status).toBe(201);
    await logAndLink(2);

    await page.getByRole('link', { name: 'Queues' }).click();
    const jobs = page.getByRole('table', { name: 'Jobs' });
    await expect.poll(() => jobs.getByRole('row').count(), POLL).toBe(2);
    await expect.poll(() => jobs.textContent(), POLL).toContain('Queued');
    await jobs.getByRole('row').nth(1).getByRole('button').click();
    const dialog = page.getByRole('dialog', { name: /^Job / });
    await expect.poll(() => dialog.getByLabel('Job payload').textContent(), POLL).toContain(`${TEAM}/model-registry/${MODEL}:v2`);
    await expect.poll(() => dialog.getByLabel('Log tail').textContent(), POLL).toBe('(no output yet)');

    await dialog.getByRole('button', { name: 'Cancel job' }).click();
    await page.getByRole('dialog', { name: 'Cancel this job?' }).getByRole('button', { name: 'Cancel job' }).click();
    await expect.poll(() => dialog.textContent(), POLL).toContain('Cancelled');
    await dialog.getByRole('button', { name: 'Requeue' }).click();
    await expect.poll(async () => {
      const list = await server.admin.get(`/api/v1/teams/${TEAM}/queues/eval/jobs`);
      return list.body.items.map((job: { state: string }) => job.state).sort();
    }, POLL).toEqual(['cancelled', 'queued']);
  });

  it('redelivers the failed runs of a time window from History', { timeout: STEP_TIMEOUT }, async () => {
    const webhooks = await server.admin.get(`/api/v1/teams/${TEAM}/webhooks`);
    const webhookId = webhooks.body.items.find((w: { name: string }) => w.name === 'slack-alerts')!.id;
    const created = await server.admin.post(`/api/v1/teams/${TEAM}/automations`, {
      name: 'notify-once',
      event: { type: 'LINK_ARTIFACT', model: MODEL },
      action: { type: 'webhook', webhookId, payload: '{"text":"${artifact_version_string}"}' },
    });
    expect(created.status).toBe(201);
    // A 4xx answer fails the run at once (no retries).
    receiver.respondWith(() => ({ status: 400, body: '{"error":"not now"}' }));
    const before = receiver.requests.length;
    await logAndLink(3);
    await receiver.waitFor(before + 1);

    await page.goto(`/t/${TEAM}/history?status=failed`);
    const runs = page.getByRole('table', { name: 'Runs' });
    await expect.poll(() => runs.getByRole('row', { name: /notify-once/ }).textContent(), POLL).toContain('HTTP 400');
    receiver.respondWith(() => ({ status: 200, body: '{"received":true}' }));
    await page.getByRole('button', { name: 'Redeliver failed runs…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Redeliver failed runs' });
    await dialog.getByLabel('Failed runs created in').selectOption({ label: 'the last hour' });
    await dialog.getByRole('button', { name: 'Redeliver' }).click();
    await expect.poll(() => dialog.getByRole('status').textContent(), POLL).toContain('1 failed run is being sent again');
    await receiver.waitFor(before + 2);
    expect(JSON.parse(receiver.requests[before + 1]!.body)).toEqual({ text: `${TEAM}/model-registry/${MODEL}:v3` });
    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'detached' });
  });

  it('creates an API key that is shown once and works until it is revoked', { timeout: STEP_TIMEOUT }, async () => {
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('button', { name: 'New API key' }).click();
    await page.getByRole('dialog', { name: 'New API key' }).getByLabel('Name').fill('eval agent');
    await page.getByRole('button', { name: 'Create key' }).click();
    // The key is read from the dialog that shows it once it exists: before the answer arrives, the label "New API key"
    // also names the creation dialog itself.
    const shown = page.getByRole('dialog', { name: 'API key created' }).getByLabel('New API key');
    await shown.waitFor();
    const key = (await shown.textContent()) ?? '';
    expect(key).toMatch(/^my_/);
    expect((await server.client(key).get('/api/v1/me')).status).toBe(200);
    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.content()).not.toContain(key);

    await page.getByRole('button', { name: 'Actions for API key eval agent' }).click();
    await page.getByRole('menuitem', { name: 'Revoke' }).click();
    await page.getByRole('dialog', { name: /Revoke API key/ }).getByRole('button', { name: 'Revoke' }).click();
    await expect.poll(() => page.getByRole('table', { name: 'API keys' }).getByRole('cell', { name: 'eval agent', exact: true }).count(), POLL).toBe(0);
    expect((await server.client(key).get('/api/v1/me')).status).toBe(401);
  });
  it('runs every page above under its Content-Security-Policy, with no violation, and the policy blocks inline script', { timeout: STEP_TIMEOUT }, async () => {
    // The steps above logged in and opened the registry, a model, Team settings (with the webhook Test), the
    // automation wizard, History, a run, Queues and API keys; the main pages once more, freshly loaded:
    for (const section of ['registry', `registry/${MODEL}`, 'projects', 'automations', 'history', 'queues', 'settings', 'api-keys']) {
      const response = await page.goto(`/t/${TEAM}/${section}`);
      expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
      expect(response?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
      await page.getByRole('button', { name: 'Log out' }).waitFor();
      await page.waitForLoadState('networkidle');
    }
    expect(cspViolations).toEqual([]);

    // The Swagger UI renders under its own policy.
    await page.goto('/api/docs/');
    await page.getByRole('heading', { name: /Modelyard API/ }).waitFor();
    await page.waitForLoadState('networkidle');
    expect(cspViolations).toEqual([]);

    // The check above can fail: inline script is refused, and the refusal is seen.
    await page.goto(`/t/${TEAM}/registry`);
    await page.getByRole('button', { name: 'Log out' }).waitFor();
    await page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'document.body.dataset.inlineRan = "yes"';
      document.body.append(script);
    });
    await expect.poll(() => cspViolations.length, POLL).toBeGreaterThan(0);
    expect(cspViolations.join('\n')).toMatch(/script-src/);
    expect(await page.evaluate(() => document.body.dataset.inlineRan)).toBeUndefined();
  });
});
