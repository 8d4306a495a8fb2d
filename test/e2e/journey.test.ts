// The web UI from an empty instance, in Chromium, with no API call made outside the browser: the instance admin
// creates a user (generated password shown once); that user logs in, creates a team, a project, uploads files and a
// folder by drag and drop and the pickers, creates a registered model, a webhook (to a receiver on 127.0.0.1) and an
// automation, links the upload to the model from the artifact's page, and sees the notice and the delivery in
// History. Then: editing the automation through the wizard, linking with the searchable picker, confirming a
// disable, and the admin deactivating the user. Every page passes axe-core without serious or critical violations.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Receiver, startTestServer, type TestServer } from '../helpers/index.js';
import { launchBrowser, logIn, screenshot, VIEWPORT } from './browser.js';
import { seriousA11yViolations } from './axe.js';

const STEP_TIMEOUT = 90_000;
const POLL = { timeout: 15_000 };
const USER = 'ana';
const TEAM = 'vision';

describe('web UI from an empty instance', () => {
  let server: TestServer;
  let receiver: Receiver;
  let browser: Browser;
  let adminContext: BrowserContext;
  let admin: Page;
  let userContext: BrowserContext;
  let page: Page;
  let userPassword = '';
  let folder = '';
  let browserError: unknown;

  beforeAll(async () => {
    server = await startTestServer({ ui: true });
    receiver = await new Receiver(() => ({ status: 200, body: '{"ok":true}' })).start();
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'modelyard-upload-'));
    fs.mkdirSync(path.join(folder, 'ckpt', 'tokenizer'), { recursive: true });
    fs.writeFileSync(path.join(folder, 'ckpt', 'config.json'), '{"layers": 12}');
    fs.writeFileSync(path.join(folder, 'ckpt', 'tokenizer', 'vocab.txt'), 'a\nb\nc\n');
    try {
      browser = await launchBrowser();
      // axe-core is injected as a script: these contexts let it past the page's Content-Security-Policy (web.test.ts
      // checks the policy itself).
      const open = async () => {
        const context = await browser.newContext({ baseURL: server.url, viewport: VIEWPORT, bypassCSP: true });
        context.setDefaultTimeout(15_000);
        return { context, page: await context.newPage() };
      };
      ({ context: adminContext, page: admin } = await open());
      ({ context: userContext, page } = await open());
    } catch (error) {
      browserError = error;
    }
  });

  beforeEach(() => {
    if (browserError) throw browserError;
  });

  afterAll(async () => {
    await adminContext?.close();
    await userContext?.close();
    await browser?.close();
    await receiver?.close();
    await server?.close();
    if (folder) fs.rmSync(folder, { recursive: true, force: true });
  });

  const expectAccessible = async (on: Page) => {
    await on.waitForLoadState('networkidle');
    expect(await seriousA11yViolations(on)).toEqual([]);
  };
  const notices = (on: Page) => on.getByRole('status', { name: 'Notices' });
  /** The newest notice (older ones stay until dismissed). */
  const lastNotice = (on: Page) => notices(on).locator('.notice').last();
  const nav = (name: string) => page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name, exact: true });

  it('the instance admin creates a user whose generated password is shown once', { timeout: STEP_TIMEOUT }, async () => {
    await logIn(admin, 'admin', server.adminPassword);
    await admin.getByRole('link', { name: 'manage the users of this instance' }).click();
    await admin.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    await expectAccessible(admin);
    await admin.getByRole('button', { name: 'New user' }).click();
    const dialog = admin.getByRole('dialog', { name: 'New user' });
    await dialog.getByLabel('User name').fill('not a name!');
    await dialog.getByRole('button', { name: 'Create user' }).click();
    // The server's refusal reads as a sentence beside the field, without the API's "name:" prefix.
    const error = dialog.locator('.field-error');
    await error.waitFor();
    expect(await error.textContent()).not.toMatch(/^name:/);
    await dialog.getByLabel('User name').fill(USER);
    await dialog.getByRole('button', { name: 'Create user' }).click();
    const shown = admin.getByRole('dialog', { name: `User ${USER} created` });
    userPassword = (await shown.getByLabel('Generated password').textContent()) ?? '';
    expect(userPassword.length).toBeGreaterThanOrEqual(20);
    await expectAccessible(admin);
    await shown.getByRole('button', { name: 'Done' }).click();
    await admin.getByRole('table', { name: 'Users' }).getByRole('cell', { name: USER, exact: true }).waitFor();
    expect(await admin.content()).not.toContain(userPassword);
  });

  it('the new user creates a team and a project, and uploads files and a folder with a progress bar per file', { timeout: STEP_TIMEOUT }, async () => {
    await logIn(page, USER, userPassword);
    await page.getByLabel('Team name').fill(TEAM);
    await page.getByRole('button', { name: 'Create team' }).click();
    await page.getByRole('heading', { name: 'Model registry' }).waitFor();
    await expectAccessible(page);

    await nav('Artifacts').click();
    // Every team has the registry's own project; the user's are created here.
    await page.getByRole('link', { name: 'model-registry' }).waitFor();
    await expectAccessible(page);
    await page.getByRole('button', { name: 'New project' }).click();
    await page.getByRole('dialog', { name: 'New project' }).getByLabel('Name').fill('training');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.getByRole('link', { name: 'training', exact: true }).click();
    await page.getByText('No artifacts in this project yet.').waitFor();
    await expectAccessible(page);

    await page.getByRole('button', { name: 'Upload' }).click();
    const dialog = page.getByRole('dialog', { name: 'Upload to training' });
    await dialog.getByLabel('Artifact name').fill('classifier');
    // A file dropped on the drop zone, a folder through the folder picker (its sub-directories kept).
    const dropped = await page.evaluateHandle(() => {
      const transfer = new DataTransfer();
      transfer.items.add(new File(['weights-v0'], 'model.bin'));
      return transfer;
    });
    await dialog.getByTestId('dropzone').dispatchEvent('drop', { dataTransfer: dropped });
    await dialog.getByLabel('Choose a folder').setInputFiles(path.join(folder, 'ckpt'));
    const files = dialog.getByRole('list', { name: 'Files to upload' });
    await expect.poll(() => files.getByRole('listitem').allTextContents(), POLL).toEqual([
      expect.stringContaining('model.bin'),
      expect.stringContaining('ckpt/config.json'),
      expect.stringContaining('ckpt/tokenizer/vocab.txt'),
    ]);
    expect(await files.getByRole('progressbar').count()).toBe(3);
    // Metadata is checked while it is typed; Upload waits for valid JSON.
    await dialog.getByLabel('Metadata').fill('{"accuracy": 0.91,');
    await dialog.getByText(/Not valid JSON/).waitFor();
    expect(await dialog.getByRole('button', { name: 'Upload' }).isDisabled()).toBe(true);
    await dialog.getByLabel('Metadata').fill('{"accuracy": 0.91, "framework": "pytorch"}');
    await dialog.getByLabel('Aliases').fill('candidate');
    await expectAccessible(page);
    await dialog.evaluate((element) => element.scrollTo(0, 0));
    await screenshot(page, 'upload');
    // The bars follow XMLHttpRequest's upload progress; the dialog closes once the server has the version.
    await page.evaluate(() => {
      (window as unknown as { progressSeen: Record<string, string> }).progressSeen = {};
      new MutationObserver((records) => {
        for (const record of records) {
          const bar = record.target as HTMLProgressElement;
          (window as unknown as { progressSeen: Record<string, string> }).progressSeen[bar.getAttribute('aria-label') ?? ''] = bar.getAttribute('value') ?? '';
        }
      }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['value'] });
    });
    await dialog.getByRole('button', { name: 'Upload' }).click();
    await dialog.waitFor({ state: 'detached' });
    const progress = await page.evaluate(() => (window as unknown as { progressSeen: Record<string, string> }).progressSeen);
    expect(progress).toEqual({
      'Upload progress of model.bin': '100',
      'Upload progress of ckpt/config.json': '100',
      'Upload progress of ckpt/tokenizer/vocab.txt': '100',
    });
    await expect.poll(() => lastNotice(page).textContent(), POLL).toContain('Uploaded training/classifier:v0 (3 files)');
    await page.getByRole('heading', { name: 'classifier', level: 1 }).waitFor();
    const version = page.getByRole('region', { name: 'Version v0' });
    await version.getByRole('link', { name: 'ckpt/tokenizer/vocab.txt' }).waitFor();
    await expect.poll(() => version.getByLabel('Metadata').textContent(), POLL).toContain('pytorch');
    await expectAccessible(page);
  });

  it('creates a registered model, a webhook and an automation that lands on its own page', { timeout: STEP_TIMEOUT }, async () => {
    await nav('Registry').click();
    await page.getByRole('button', { name: 'New registered model' }).click();
    await page.getByRole('dialog', { name: 'New registered model' }).getByLabel('Name').fill('classifier');
    await page.getByRole('button', { name: 'Create model' }).click();
    await page.getByRole('heading', { name: 'classifier', level: 1 }).waitFor();
    await expectAccessible(page);

    await nav('Team settings').click();
    await page.getByRole('button', { name: 'New webhook' }).click();
    const webhookDialog = page.getByRole('dialog', { name: 'New webhook' });
    await webhookDialog.getByLabel('Name', { exact: true }).fill('ci');
    await webhookDialog.getByLabel('URL', { exact: true }).fill(receiver.url('/deploy'));
    await webhookDialog.getByRole('button', { name: 'Create webhook' }).click();
    await webhookDialog.waitFor({ state: 'detached' });
    await expectAccessible(page);

    await nav('Automations').click();
    await page.getByRole('link', { name: 'New automation' }).click();
    await page.getByLabel('Registered model').selectOption('classifier');
    await expectAccessible(page);
    await page.getByRole('button', { name: 'Next step' }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('step'), POLL).toBe('2');
    await page.getByLabel('Webhook', { exact: true }).selectOption({ label: `ci — ${receiver.url('/deploy')}` });
    await page.getByText('Valid template.').waitFor();
    await expectAccessible(page);
    // Back is the browser's Back: the steps are in the URL.
    await page.goBack();
    await page.getByLabel('Event type').waitFor();
    await page.goForward();
    await page.getByText('Valid template.').waitFor();
    await page.getByRole('button', { name: 'Next step' }).click();
    await page.getByLabel('Automation name').fill('deploy-on-link');
    await page.getByRole('button', { name: 'Create automation' }).click();
    await page.getByRole('heading', { name: /deploy-on-link/, level: 1 }).waitFor();
    await expect.poll(() => lastNotice(page).textContent(), POLL).toContain('Created automation “deploy-on-link”');
    await expectAccessible(page);
  });

  it('links the uploaded version from its artifact page; the notice counts the automation and History shows the delivery', { timeout: STEP_TIMEOUT }, async () => {
    await nav('Artifacts').click();
    await page.getByRole('link', { name: 'training', exact: true }).click();
    await page.getByRole('link', { name: 'classifier', exact: true }).click();
    await page.getByRole('button', { name: 'Link to registered model' }).click();
    const dialog = page.getByRole('dialog', { name: 'Link training/classifier:v0 to a registered model' });
    await dialog.getByLabel('Registered model').selectOption('classifier');
    await dialog.getByLabel('Aliases').fill('staging');
    await expectAccessible(page);
    await dialog.getByRole('button', { name: 'Link' }).click();
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => lastNotice(page).textContent(), POLL).toContain('Linked training/classifier:v0 to classifier as v0. 1 automation triggered');
    await receiver.waitFor(1);
    expect(JSON.parse(receiver.requests[0]!.body)).toMatchObject({ event_type: 'LINK_ARTIFACT', artifact_version_string: `${TEAM}/model-registry/classifier:v0` });

    await notices(page).getByRole('link', { name: 'History' }).click();
    const runs = page.getByRole('table', { name: 'Runs' });
    await expect.poll(() => runs.getByRole('row', { name: /deploy-on-link/ }).textContent(), POLL).toContain('Succeeded');
    await expectAccessible(page);
    await screenshot(page, 'history-delivered');
    await runs.getByRole('row', { name: /deploy-on-link/ }).getByRole('link').first().click();
    await page.getByRole('heading', { name: /Run of deploy-on-link/ }).waitFor();
    // A run's page belongs to History in the navigation.
    expect(await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'History' }).getAttribute('class')).toContain('active');
    await expectAccessible(page);
  });

  it('edits the automation through the same wizard, with the preview, and saves it', { timeout: STEP_TIMEOUT }, async () => {
    await nav('Automations').click();
    await page.getByRole('link', { name: 'deploy-on-link' }).click();
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByRole('heading', { name: 'Edit automation deploy-on-link' }).waitFor();
    // Filled in with the automation as it is (the model list loads beside it).
    await expect.poll(() => page.getByLabel('Registered model').inputValue(), POLL).toBe('classifier');
    await page.getByLabel('Event type').selectOption('ADD_ARTIFACT_ALIAS');
    // The pattern is checked by the server's RE2 rules where it is typed, and a refused one keeps step 1.
    const pattern = page.getByLabel('Alias pattern');
    await pattern.fill('(production');
    await expect.poll(() => pattern.getAttribute('aria-invalid'), POLL).toBe('true');
    const patternError = await page.locator('.field-error').textContent();
    expect(patternError).toMatch(/^Not a valid regular expression/);
    await page.getByRole('button', { name: 'Next step' }).click();
    await page.getByRole('alert').filter({ hasText: 'Fix the alias pattern first.' }).waitFor();
    await pattern.fill('^production$');
    await page.getByText(/Valid pattern\. Matches e\.g\. production\./).waitFor();
    await expectAccessible(page);
    await page.getByRole('button', { name: 'Next step' }).click();
    await page.getByText('Valid template.').waitFor();
    // An unknown variable blocks Next; the metadata variable is inserted with its KEY selected, to be typed over.
    const editor = page.getByLabel('Payload');
    await editor.fill('{"v": "${no_such_variable}"}');
    await page.getByText(/Line 1, column/).waitFor();
    await page.getByRole('button', { name: 'Next step' }).click();
    await page.getByRole('alert').filter({ hasText: 'Fix the problems in the template first' }).waitFor();
    await editor.fill('{"v": ""}');
    await editor.evaluate((element: HTMLTextAreaElement) => element.setSelectionRange(7, 7));
    await page.getByRole('group', { name: 'Insert a variable' }).getByRole('button', { name: '${artifact_metadata.KEY}' }).click();
    expect(await editor.evaluate((element: HTMLTextAreaElement) => element.value.slice(element.selectionStart, element.selectionEnd))).toBe('KEY');
    await editor.fill('{"version": "${artifact_version_string}", "alias": "${alias}"}');
    await page.getByText('Valid template.').waitFor();
    // The preview's alias is one the pattern matches (v0 holds only "staging").
    await expect.poll(() => page.getByLabel('Preview').textContent(), POLL).toContain('"alias": "production"');
    await screenshot(page, 'automation-edit');
    await expectAccessible(page);
    await page.getByRole('button', { name: 'Next step' }).click();
    await expect.poll(() => page.getByLabel('Automation name').inputValue(), POLL).toBe('deploy-on-link');
    await page.getByRole('button', { name: 'Save automation' }).click();
    await page.getByRole('heading', { name: /deploy-on-link/, level: 1 }).waitFor();
    await expect.poll(() => lastNotice(page).textContent(), POLL).toContain('Saved automation “deploy-on-link”');
    await expect.poll(() => page.locator('dl.props').textContent(), POLL).toContain('An alias is added');
    expect(await page.getByLabel('Template').textContent()).toContain('${alias}');

    // Disabling asks first.
    await page.getByRole('button', { name: 'Disable' }).click();
    const confirm = page.getByRole('dialog', { name: 'Disable automation “deploy-on-link”?' });
    await expectAccessible(page);
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('button', { name: 'Disable' }).click();
    await confirm.getByRole('button', { name: 'Disable' }).click();
    await page.getByRole('button', { name: 'Enable' }).waitFor();
    await expect.poll(() => lastNotice(page).textContent(), POLL).toContain('Disabled automation “deploy-on-link”');
    await page.getByRole('button', { name: 'Enable' }).click();
    await page.getByRole('button', { name: 'Disable' }).waitFor();
  });

  it('links a new version from the model page with the searchable artifact-version picker; an alias notice counts its automation', { timeout: STEP_TIMEOUT }, async () => {
    await nav('Artifacts').click();
    await page.getByRole('link', { name: 'training', exact: true }).click();
    await page.getByRole('link', { name: 'classifier', exact: true }).click();
    await page.getByRole('button', { name: 'Upload new version' }).click();
    const upload = page.getByRole('dialog', { name: 'Upload a new version of classifier' });
    await upload.getByLabel('Choose files').setInputFiles({ name: 'model.bin', mimeType: 'application/octet-stream', buffer: Buffer.from('weights-v1') });
    await upload.getByRole('button', { name: 'Upload' }).click();
    await expect.poll(() => lastNotice(page).textContent(), POLL).toContain('Uploaded training/classifier:v1 (1 file)');

    await nav('Registry').click();
    await page.getByRole('link', { name: 'classifier', exact: true }).click();
    await page.getByRole('button', { name: 'Link version' }).click();
    const dialog = page.getByRole('dialog', { name: 'Link version' });
    await dialog.getByLabel('Find an artifact').fill('train class');
    await dialog.getByRole('group', { name: 'Artifacts' }).getByRole('button', { name: /training\/classifier/ }).click();
    await dialog.getByRole('group', { name: 'Versions of training/classifier' }).getByRole('button', { name: /^v1/ }).click();
    expect(await dialog.getByLabel('Source artifact version').inputValue()).toBe('training/classifier:v1');
    await dialog.getByLabel('Find an artifact').fill('nothing-like-this');
    await dialog.getByText('No artifact matches.').waitFor();
    await expectAccessible(page);
    await dialog.getByRole('button', { name: 'Link', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    // The automation now fires on the alias "production" only: linking triggers none.
    await expect.poll(() => lastNotice(page).textContent(), POLL).toContain('Linked training/classifier:v1 to classifier as v1. No automation was triggered.');

    const versions = page.getByRole('table', { name: 'Versions' });
    await versions.getByRole('button', { name: 'Actions for v1' }).click();
    await page.getByRole('menuitem', { name: 'Add or move alias' }).click();
    const alias = page.getByRole('dialog', { name: 'Alias for v1' });
    await alias.getByLabel('Alias').fill('production');
    await alias.getByRole('button', { name: 'Set alias' }).click();
    await expect.poll(() => lastNotice(page).textContent(), POLL).toContain('classifier:v1 is now “production”. 1 automation triggered');
    await receiver.waitFor(2);
    expect(JSON.parse(receiver.requests[1]!.body)).toEqual({ version: `${TEAM}/model-registry/classifier:production`, alias: 'production' });
    await expectAccessible(page);
    await screenshot(page, 'model-page-notice');
  });

  it('the admin deactivates the user: logged out at once, and no longer able to log in', { timeout: STEP_TIMEOUT }, async () => {
    await admin.reload();
    const users = admin.getByRole('table', { name: 'Users' });
    await users.getByRole('button', { name: `Actions for user ${USER}` }).click();
    await admin.getByRole('menuitem', { name: 'Deactivate' }).click();
    const confirm = admin.getByRole('dialog', { name: `Deactivate ${USER}?` });
    await expect.poll(() => confirm.textContent(), POLL).toContain('can no longer log in');
    await confirm.getByRole('button', { name: 'Deactivate' }).click();
    await expect.poll(() => users.getByRole('row', { name: new RegExp(`^${USER} `) }).textContent(), POLL).toContain('Deactivated');
    await expectAccessible(admin);

    await page.reload();
    await page.getByLabel('User name').waitFor();
    await page.getByLabel('User name').fill(USER);
    await page.getByLabel('Password').fill(userPassword);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText(/wrong user name or password/i).waitFor();
    await expectAccessible(page);

    // A reset password is shown once; the user can log in again after reactivation.
    await users.getByRole('button', { name: `Actions for user ${USER}` }).click();
    await admin.getByRole('menuitem', { name: 'Reactivate' }).click();
    await expect.poll(() => users.getByRole('row', { name: new RegExp(`^${USER} `) }).textContent(), POLL).toContain('Active');
    await users.getByRole('button', { name: `Actions for user ${USER}` }).click();
    await admin.getByRole('menuitem', { name: 'Reset password' }).click();
    await admin.getByRole('dialog', { name: `Reset the password of ${USER}?` }).getByRole('button', { name: 'Reset password' }).click();
    const fresh = (await admin.getByRole('dialog', { name: `New password for ${USER}` }).getByLabel('Generated password').textContent()) ?? '';
    expect(fresh).not.toBe(userPassword);
    await logIn(page, USER, fresh);
    await page.getByRole('heading', { name: 'Model registry' }).waitFor();
  });
});
