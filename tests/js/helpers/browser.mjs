// Shared set-up of the Chromium tests: a loopback static server for parts of this checkout and
// Debian's headless Chromium through playwright-core, with a blank page open at the server.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startDemoServer } from '../../../scripts/demo-server.mjs';
import { startLocalHub } from './local-hub.mjs';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TYPES = {
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.html': 'text/html',
};
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Debian's headless Chromium with the flags this machine needs. */
export function launchChromium() {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

/**
 * local-hub, the demo server in front of it (the widget page, the package, a /hub proxy) and a
 * Chromium: `{ hub, server, browser, close }`.
 */
export async function startDemoStack() {
  const hub = await startLocalHub();
  let server;
  let browser;
  try {
    server = await startDemoServer({ hubUrl: hub.hub, token: hub.token });
    browser = await launchChromium();
  } catch (error) {
    await server?.close();
    await hub.stop();
    throw error;
  }
  const close = async () => {
    await browser.close();
    await server.close();
    await hub.stop();
  };
  return { hub, server, browser, close };
}

/**
 * Serves the repository folders in `served` (e.g. `['js/', 'dist/']`) and a blank page titled
 * `title` at `/`, opens it in a new Chromium; returns `{ base, otherOrigin, page, browser, close,
 * open }`.
 */
export async function openBrowserPage({ served, title }) {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^[/\\]+/, '');
    if (path === '') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>${title}</title>`);
      return;
    }
    if (path.includes(`..${sep}`) || !served.some((p) => path.startsWith(p))) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(ROOT + path);
      // CORS, as a CDN serves packages: a page on another origin (e.g. `localhost` for this
      // server's `127.0.0.1`) may import the files.
      res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream', 'access-control-allow-origin': '*' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}/`;
  let browser;
  const close = async () => {
    await browser?.close();
    await new Promise((resolve) => server.close(resolve));
  };
  try {
    browser = await launchChromium();
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error('[page error]', e));
    // `otherOrigin`: the same server as `localhost`, another origin than `base` for the browser.
    const otherOrigin = base.replace('127.0.0.1', 'localhost');
    return { base, otherOrigin, page, browser, close, open: () => page.goto(base) };
  } catch (e) {
    await close();
    throw e;
  }
}

/**
 * Installs, before any script of `page` runs, the main-thread probes the widget measurements read:
 * `__longTasks` ({ start, duration } of each task of 50 ms or more) and `__gaps` ([tick, gap]
 * between timer ticks every ~4 ms, any length; the last 10,000–20,000 kept). `longTaskStats(page,
 * from, to)` summarises them over a window.
 * @param {import('playwright-core').Page} page
 */
export async function installLongTaskProbe(page) {
  await page.addInitScript(() => {
    const g = /** @type {any} */ (globalThis);
    g.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) g.__longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
    g.__gaps = [];
    let last = performance.now();
    const tick = () => {
      const now = performance.now();
      g.__gaps.push([last, now - last]);
      if (g.__gaps.length > 20000) g.__gaps.splice(0, 10000);
      last = now;
      setTimeout(tick, 4);
    };
    setTimeout(tick, 4);
  });
}

/**
 * The probes of `installLongTaskProbe` over the page-time window [from, to]: the longest long
 * task, their count, each as "start+duration" ms from `from`, and the largest timer gap.
 * @param {import('playwright-core').Page} page
 * @param {number} from
 * @param {number} to
 */
export function longTaskStats(page, from, to) {
  return page.evaluate(([from, to]) => {
    const g = /** @type {any} */ (globalThis);
    const tasks = g.__longTasks.filter((/** @type {any} */ e) => e.start + e.duration >= from && e.start <= to);
    const gaps = g.__gaps.filter((/** @type {any} */ [t]) => t >= from && t <= to).map((/** @type {any} */ [, gap]) => gap);
    return {
      longest: tasks.reduce((/** @type {number} */ m, /** @type {any} */ e) => Math.max(m, e.duration), 0),
      longTasks: tasks.length,
      at: tasks.map((/** @type {any} */ e) => `${Math.round(e.start - from)}+${Math.round(e.duration)}`).join(' '),
      maxGap: gaps.reduce((/** @type {number} */ m, /** @type {number} */ x) => Math.max(m, x), 0),
    };
  }, [from, to]);
}
