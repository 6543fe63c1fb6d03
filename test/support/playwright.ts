import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/**
 * Real-browser tests: a Chromium installed by the system package manager, driven by
 * playwright-core (which downloads nothing). `npx playwright install` is not used: the
 * tests run where only the distribution's chromium can be installed (.ci/run does it).
 */
/** A browser test's time limit: a page takes a while to draw on a busy two-core CI machine. */
export const BROWSER_TEST_MS = 60_000;

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM_PATH);

/**
 * `describe` when Chromium is there. Without it the suite is registered as skipped with a
 * name that says why, except in CI (CI=true), where a missing browser is a failure.
 */
export function describeInBrowser(name: string, body: () => void): void {
  if (available || process.env.CI === 'true') describe(name, body);
  else describe.skip(`${name} — SKIPPED: no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium, or set CHROMIUM_PATH)`, body);
}

export async function launchBrowser(): Promise<Browser> {
  if (!available) throw new Error(`no Chromium at ${CHROMIUM_PATH}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`);
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    // --no-sandbox: CI runs as root in a container, where Chromium's sandbox cannot start.
    // The test seed's apps live under .example (RFC 2606): their names never go to DNS.
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--host-resolver-rules=MAP *.example ~NOTFOUND'],
  });
}

/** A fresh browser profile: no cookies, a desktop-sized window, English. */
export function newContext(browser: Browser, options: Parameters<Browser['newContext']>[0] = {}): Promise<BrowserContext> {
  return browser.newContext({ viewport: { width: 800, height: 600 }, locale: 'en-US', ...options });
}

/**
 * The URL the browser is redirected to when `action` ends at an app's redirect URI. The
 * test seed's apps (app.example and the like) do not exist and the browser never
 * resolves their names (launchBrowser): the request is made and fails, and its URL is
 * what the app would have received. Playwright cannot stub a redirected request.
 */
export async function redirectTo(page: Page, prefix: string, action: () => Promise<unknown>): Promise<URL> {
  const failed = page.waitForEvent('requestfailed', (r) => r.url().startsWith(prefix));
  await action();
  const request = await failed;
  // Chromium then shows its own error page; wait for it so that it cannot interrupt the next navigation.
  await page.waitForURL('chrome-error://chromewebdata/');
  return new URL(request.url());
}

export const SCREENSHOTS = fileURLToPath(new URL('../e2e/screenshots/', import.meta.url));

/**
 * Saves what the page shows under test/e2e/screenshots/ (git-ignored), for a person to
 * look at: the whole page, or the card with a little of the background around it (the
 * README's pictures in docs/images/ are copies of login.png and consent.png).
 */
export async function screenshot(page: Page, name: string, what: 'page' | 'card' = 'page'): Promise<string> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const path = `${SCREENSHOTS}${name}.png`;
  const box = what === 'card' ? await page.locator('.card').boundingBox() : null;
  if (box) {
    const margin = 16;
    const x = Math.max(0, box.x - margin);
    const y = Math.max(0, box.y - margin);
    await page.screenshot({ path, fullPage: true, clip: { x, y, width: box.width + 2 * margin, height: box.y + box.height + margin - y } });
  } else {
    await page.screenshot({ path, fullPage: true });
  }
  return path;
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
}

let axeSource: Promise<string> | undefined;

/**
 * Runs axe-core on the page as it is and throws, listing them, if it finds a `serious` or
 * `critical` violation. The script is evaluated through the DevTools protocol, which the
 * page's CSP (script-src 'self') does not govern, so the page is checked under its real
 * policy. Returns the minor and moderate findings, for a test to look at if it wants.
 */
export async function expectAccessible(page: Page, label: string): Promise<AxeViolation[]> {
  axeSource ??= readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(await axeSource);
  const violations = await page.evaluate(
    "axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations)",
  ) as AxeViolation[];
  const blocking = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (blocking.length) {
    const list = blocking.map((v) => `  ${v.impact} ${v.id}: ${v.help}\n${v.nodes.map((n) => `    element ${JSON.stringify(n.target)}: ${n.failureSummary ?? ''}`.replace(/\n/g, ' ')).join('\n')}`);
    throw new Error(`accessibility (axe-core) on ${label} (${page.url()}):\n${list.join('\n')}`);
  }
  return violations;
}

/** Evaluates an expression in the page (a string: the project's type check has no DOM library). */
export function inPage<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate(expression) as Promise<T>;
}
