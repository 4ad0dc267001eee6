/**
 * Browser tests drive Debian's Chromium (`/usr/bin/chromium`, or `QUEUECTL_CHROMIUM`) with
 * playwright-core (from npm; it downloads no browser of its own).
 *
 * When Chromium is missing, `inBrowser.test` registers the test as ignored (it shows as ignored,
 * never as passed), or, with `QUEUECTL_REQUIRE_BROWSER=1` (set by `.ci/run`), as a test that
 * fails and says why. Like `onEveryStore.test`, it also ignores the test when the store under
 * test is missing.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Browser, BrowserContext, ConsoleMessage, Page } from "npm:playwright-core@1.65.1";
import { STORE_AVAILABLE } from "./cli.ts";

export type { Browser, Page };

/** The Chromium the tests drive. */
export const CHROMIUM = Deno.env.get("QUEUECTL_CHROMIUM") || "/usr/bin/chromium";

/** Whether a missing Chromium fails the browser tests instead of ignoring them. */
export const REQUIRE_BROWSER = Deno.env.get("QUEUECTL_REQUIRE_BROWSER") === "1";

/** Whether Chromium is there to be driven. */
export const BROWSER_AVAILABLE = isExecutable(CHROMIUM);

function isExecutable(path: string): boolean {
  try {
    const info = Deno.statSync(path);
    return info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** Flags for a headless Chromium that contacts nothing but the pages it is sent to. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

/** The window size of every page (and so of the screenshots). */
export const VIEWPORT = { width: 1280, height: 800 };

type TestFn = (t: Deno.TestContext) => Promise<void>;

/** Registers a browser test (see the module's description for when it is ignored or fails). */
export const inBrowser = {
  test(name: string, fn: TestFn): void {
    // playwright keeps its connection to the browser in timers and sockets the sanitizers
    // would count; every test closes its browser in `finally`.
    const options = { sanitizeOps: false, sanitizeResources: false };
    if (!STORE_AVAILABLE) {
      Deno.test.ignore({ name, fn, ...options });
    } else if (BROWSER_AVAILABLE) {
      Deno.test({ name, fn, ...options });
    } else if (REQUIRE_BROWSER) {
      Deno.test({
        name,
        fn() {
          throw new Error(
            `QUEUECTL_REQUIRE_BROWSER=1 but there is no Chromium at ${CHROMIUM} ` +
              "(apt-get install chromium, or set QUEUECTL_CHROMIUM)",
          );
        },
        ...options,
      });
    } else {
      Deno.test.ignore({ name, fn, ...options });
    }
  },
};

/** Launches headless Chromium; close it in `finally`. */
export async function launchBrowser(): Promise<Browser> {
  const { chromium } = await import("npm:playwright-core@1.65.1");
  return await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
}

/** A page and what it reported: uncaught errors, console errors (CSP violations among them). */
export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Uncaught exceptions and console errors, as text. */
  errors: string[];
  /** Messages of the dialogs (alert, confirm, prompt) the page opened; each was dismissed. */
  dialogs: string[];
}

/**
 * Runs `fn` with a fresh browser and one page (1280×800, UTC, en-US) that records errors and
 * dialogs; closes the browser afterwards. Fails when the page threw or logged an error (a CSP
 * violation, a failed request), except errors matching one of `expectedErrors`.
 */
export async function withPage<T>(
  fn: (watched: WatchedPage) => Promise<T>,
  options: { expectedErrors?: RegExp[] } = {},
): Promise<T> {
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext({
      viewport: VIEWPORT,
      timezoneId: "UTC",
      locale: "en-US",
      colorScheme: "light",
    });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const watched: WatchedPage = { page, context, errors: [], dialogs: [] };
    page.on("pageerror", (error: Error) => watched.errors.push(`uncaught: ${error.message}`));
    page.on("console", (message: ConsoleMessage) => {
      if (message.type() === "error") watched.errors.push(`console: ${message.text()}`);
    });
    page.on("dialog", (dialog) => {
      watched.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      dialog.dismiss().catch(() => {});
    });
    const result = await fn(watched);
    const unexpected = watched.errors.filter((error) =>
      !(options.expectedErrors ?? []).some((pattern) => pattern.test(error))
    );
    assert.deepEqual(unexpected, [], "the page logged errors");
    return result;
  } finally {
    await browser.close();
  }
}

/** The text of the first element matching `selector`, or null when there is none. */
export async function textOf(page: Page, selector: string): Promise<string | null> {
  const locator = page.locator(selector).first();
  return await locator.count() === 0 ? null : await locator.textContent();
}

/** Width and height of a PNG file, from its IHDR chunk. */
export async function pngSize(path: string): Promise<{ width: number; height: number }> {
  const bytes = await Deno.readFile(path);
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  assert.deepEqual([...bytes.subarray(0, 8)], signature, `${path} is not a PNG`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}
