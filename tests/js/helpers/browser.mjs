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
 * `title` at `/`, opens it in a new Chromium; returns `{ base, page, browser, close }`.
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
      res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' }).end(body);
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
    return { base, page, browser, close, open: () => page.goto(base) };
  } catch (e) {
    await close();
    throw e;
  }
}
