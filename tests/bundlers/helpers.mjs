// Shared set-up of the bundler and runtime tests: the package packed with `npm pack` and installed
// from the tarball into a fresh app folder (the tools themselves are linked from this checkout's
// node_modules, so nothing is downloaded), a static server for built pages, and child processes.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const APP = fileURLToPath(new URL('./app/', import.meta.url));
const BIN = join(REPO, 'node_modules', '.bin');
/** The build tools the app uses, linked (not installed) into its node_modules. */
const TOOLS = ['vite', 'webpack', 'webpack-cli', 'esbuild', 'rollup', '@rollup/plugin-node-resolve'];

const run = promisify(execFile);
/** A command: a path, a tool in this checkout's node_modules/.bin, or one on PATH (npm). */
const tool = (cmd) => (cmd.includes('/') || !existsSync(join(BIN, cmd)) ? cmd : join(BIN, cmd));

/**
 * Runs `cmd args` in `cwd` (a tool from node_modules/.bin when not a path) → stdout.
 * Fails with the output in the message.
 */
export async function sh(cmd, args, { cwd, env, timeoutMs = 180_000 } = {}) {
  const file = tool(cmd);
  try {
    const { stdout } = await run(file, args, {
      cwd,
      env: { ...process.env, ...env },
      timeout: timeoutMs,
      maxBuffer: 64 << 20,
    });
    return stdout;
  } catch (e) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${e.code ?? e.signal}):\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

/** A recipe command as the README shows it (one line: `npx tool args…` or `tool args…`) → [tool, args]. */
export async function recipeCommand(file) {
  const text = (await readFile(join(APP, file), 'utf8')).trim();
  if (text.includes('\n')) throw new Error(`${file}: expected one command line`);
  const words = text.split(/\s+/);
  const [tool, ...args] = words[0] === 'npx' ? words.slice(1) : words;
  return [tool, args];
}

/**
 * Packs this checkout (`npm pack`), installs the tarball into a new app folder with the test
 * app's files, and links the build tools → `{ dir, tarball, tarballBytes, remove }`.
 */
export async function installPackedApp() {
  const root = await mkdtemp(join(tmpdir(), 'hfb-bundlers-'));
  const packed = JSON.parse(await sh('npm', ['pack', '--json', '--pack-destination', root], { cwd: REPO }));
  const tarball = join(root, packed[0].filename);
  const dir = join(root, 'app');
  await cp(APP, dir, { recursive: true });
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'hfb-test-app', private: true, type: 'module' }));
  await sh('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], { cwd: dir });
  for (const tool of TOOLS) {
    const link = join(dir, 'node_modules', tool);
    await mkdir(join(link, '..'), { recursive: true });
    await symlink(join(REPO, 'node_modules', tool), link, 'dir');
  }
  return { dir, tarball, tarballBytes: packed[0].size, files: packed[0].files.map((f) => f.path), remove: () => rm(root, { recursive: true, force: true }) };
}

const TYPES = { '.js': 'text/javascript', '.html': 'text/html', '.wasm': 'application/wasm', '.css': 'text/css' };
/** No `eval`/`new Function`: wasm compilation is the only exception the pages need. */
const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self' http://127.0.0.1:*";

/**
 * Serves the built folder `dir` on a loopback port, with a CSP; `/` is its index.html or a page
 * loading `/${entry}` → `{ url, close }`.
 */
export async function serveBuild(dir, entry) {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^[/\\]+/, '');
    const headers = { 'content-security-policy': CSP };
    if (path.includes(`..${sep}`)) return res.writeHead(404, headers).end();
    try {
      const file = path || 'index.html';
      const body = await readFile(join(dir, file));
      res.writeHead(200, { ...headers, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      if (path === '' && entry) {
        res.writeHead(200, { ...headers, 'content-type': 'text/html' });
        res.end(`<!doctype html><title>app</title><script type="module" src="/${entry}"></script>`);
      } else res.writeHead(404, headers).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((r) => server.close(r)) };
}

/**
 * Opens `url` (with the round trip's parameters as the query) in a new page of `browser` and
 * waits for the app's `__result`; page errors and console errors are added to a failure.
 */
export async function runPage(browser, url, params, timeoutMs = 90_000) {
  const page = await browser.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  // (Chromium logs every HTTP error status, e.g. the 404 of a dedup lookup: not a problem)
  const expected = /^Failed to load resource: the server responded with a status of (404|409)\b/;
  page.on('console', (m) => m.type() === 'error' && !expected.test(m.text()) && problems.push(`console: ${m.text()}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  try {
    await page.goto(`${url}?${new URLSearchParams(params)}`);
    const handle = await page.waitForFunction(() => globalThis.__result, null, { timeout: timeoutMs }).catch((e) => {
      throw new Error(`no result from the page: ${e.message}\n${problems.join('\n')}`);
    });
    const result = await handle.jsonValue();
    return { ...result, problems };
  } finally {
    await page.close();
  }
}

/** A loopback port that was free a moment ago. */
export async function freePort() {
  const srv = createNetServer();
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** Starts a long-running child (a server) → `{ child, output, stop }`; `output()` is its last 8 KiB. */
export function startChild(cmd, args, { cwd, env } = {}) {
  const file = tool(cmd);
  const child = spawn(file, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (chunk) => (out = (out + chunk).slice(-8192));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  return {
    child,
    output: () => out,
    async stop() {
      process.removeListener('exit', kill);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(kill, 5000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/** Polls `url` until it answers (any status) or `timeoutMs` passes. */
export async function waitForHttp(url, timeoutMs, describe) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await fetch(url);
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms\n${describe?.() ?? ''}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
