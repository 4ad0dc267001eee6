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

/** A decoded PNG: `rgba` holds 4 bytes per pixel, row by row. */
export interface PngImage {
  width: number;
  height: number;
  rgba: Uint8Array;
}

/**
 * Decodes an 8-bit, non-interlaced RGB or RGBA PNG (what Chromium's screenshots are): its IDAT
 * chunks inflated, then each row unfiltered (PNG's five filter types).
 */
export async function decodePng(path: string): Promise<PngImage> {
  const bytes = await Deno.readFile(path);
  const { width, height } = await pngSize(path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [bitDepth, colourType, , , interlace] = bytes.subarray(24, 29);
  assert.ok(
    bitDepth === 8 && (colourType === 2 || colourType === 6) && interlace === 0,
    `${path}: bit depth ${bitDepth}, colour type ${colourType}, interlace ${interlace}`,
  );
  const idat: Uint8Array[] = [];
  for (let at = 8; at < bytes.length;) {
    const length = view.getUint32(at);
    const type = new TextDecoder().decode(bytes.subarray(at + 4, at + 8));
    if (type === "IDAT") idat.push(bytes.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  const inflated = new Uint8Array(
    await new Response(
      new Blob(idat as BlobPart[]).stream().pipeThrough(new DecompressionStream("deflate")),
    ).arrayBuffer(),
  );
  const channels = colourType === 6 ? 4 : 3;
  const stride = width * channels;
  assert.equal(inflated.length, height * (stride + 1), `${path}: image data of the wrong size`);
  const raw = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = inflated[y * (stride + 1)];
    const line = inflated.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = raw.subarray(y * stride, (y + 1) * stride);
    const above = y > 0 ? raw.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? row[x - channels] : 0;
      const b = above[x];
      const c = x >= channels ? above[x - channels] : 0;
      let predicted: number;
      if (filter === 0) predicted = 0;
      else if (filter === 1) predicted = a;
      else if (filter === 2) predicted = b;
      else if (filter === 3) predicted = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
        predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else throw new Error(`${path}: unknown PNG filter ${filter} on row ${y}`);
      row[x] = (line[x] + predicted) & 0xff;
    }
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba.set(raw.subarray(i * channels, i * channels + 3), i * 4);
    rgba[i * 4 + 3] = channels === 4 ? raw[i * channels + 3] : 255;
  }
  return { width, height, rgba };
}

/** A region of a page or an image, in CSS pixels (what playwright's `boundingBox()` gives). */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * How many pixels of each colour `image` has inside `box` (default: all of it), by colour as
 * `0xRRGGBBAA` (see `rgbaKey`).
 */
export function colourCounts(image: PngImage, box?: Box): Map<number, number> {
  const { x, y, width, height } = box ?? { x: 0, y: 0, width: image.width, height: image.height };
  const counts = new Map<number, number>();
  const view = new DataView(image.rgba.buffer, image.rgba.byteOffset, image.rgba.byteLength);
  const right = Math.min(image.width, Math.ceil(x + width));
  const bottom = Math.min(image.height, Math.ceil(y + height));
  for (let row = Math.max(0, Math.floor(y)); row < bottom; row++) {
    for (let column = Math.max(0, Math.floor(x)); column < right; column++) {
      const colour = view.getUint32((row * image.width + column) * 4);
      counts.set(colour, (counts.get(colour) ?? 0) + 1);
    }
  }
  return counts;
}

/** The `colourCounts` key of an opaque CSS colour as `getComputedStyle` gives it: `rgb(r, g, b)`. */
export function rgbaKey(css: string): number {
  const match = css.match(/^rgb\((\d+), (\d+), (\d+)\)$/);
  assert.ok(match, `not an opaque rgb() colour: ${css}`);
  const [r, g, b] = match.slice(1).map(Number);
  return ((r << 24) | (g << 16) | (b << 8) | 0xff) >>> 0;
}
