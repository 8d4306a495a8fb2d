// Debian's Chromium driven by playwright-core (no browser download). A missing /usr/bin/chromium makes the browser
// tests fail loudly rather than skip: .ci/run installs the `chromium` package.
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.MODELYARD_CHROMIUM ?? '/usr/bin/chromium';
// The README's pictures are refreshed on purpose (`MODELYARD_SCREENSHOTS=1 npx vitest run --project sqlite test/e2e`);
// ordinary runs still take them, into an ignored folder, so a test run leaves the work tree clean.
export const SCREENSHOT_DIR = path.resolve(process.env.MODELYARD_SCREENSHOTS === '1' ? 'docs/screenshots' : 'test/.tmp/screenshots');
export const VIEWPORT = { width: 1280, height: 800 };

export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(`no Chromium at ${CHROMIUM_PATH}: install Debian's package (apt-get install -y chromium) to run the browser tests`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/**
 * A page in a context of its own. `cspViolations` collects every Content-Security-Policy violation any page of the
 * context reports, both as the browser's own console error and from a `securitypolicyviolation` listener (the
 * listener is installed by the browser driver, outside the page's policy), so a test can assert there were none.
 */
export async function newPage(browser: Browser, baseURL: string): Promise<{ context: BrowserContext; page: Page; cspViolations: string[] }> {
  const context = await browser.newContext({ baseURL, viewport: VIEWPORT, acceptDownloads: true });
  // Generous: the suite runs beside other test files on two cores.
  context.setDefaultTimeout(15_000);
  const cspViolations: string[] = [];
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`CSP violation: ${event.effectiveDirective} blocked ${event.blockedURI || 'inline code'} in ${event.sourceFile || event.documentURI}`);
    });
  });
  context.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|CSP violation/.test(message.text())) cspViolations.push(message.text());
  });
  const page = await context.newPage();
  return { context, page, cspViolations };
}

/** Logs in through the login form and waits for the app shell. */
export async function logIn(page: Page, name: string, password: string): Promise<void> {
  await page.goto('/');
  await page.getByLabel('User name').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('button', { name: 'Log out' }).or(page.getByRole('heading', { name: 'Create your first team' })).waitFor();
}

/** A screenshot of the viewport (for the README: docs/screenshots/NAME.png, see SCREENSHOT_DIR). */
export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  // Let relative times and late requests settle so the picture shows the finished page.
  await page.waitForLoadState('networkidle');
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`) });
}
