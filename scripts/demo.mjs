// `npm start` after set-up and build (scripts/start.sh): local-hub with a demo user, the widget's web
// server on loopback, and the quickstart example against them; then serves until Ctrl-C.
//
//   node scripts/demo.mjs [--port N] [--data-dir DIR | --temp] [--once] [--no-quickstart]
//
// --port      port of the web page (default 8080, or a free port when that one is taken)
// --data-dir  local-hub state, kept between runs (default .local/demo-hub, git-ignored); --temp: a
//             fresh temporary directory, deleted on exit
// --once      exit after the quickstart instead of serving (also the default when $CI is set)
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalHub } from '../tests/js/helpers/local-hub.mjs';
import { startDemoServer } from './demo-server.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEMO_USER = 'demo';

function parseArgs(argv) {
  const args = { port: 8080, dataDir: path.join(REPO, '.local', 'demo-hub'), once: Boolean(process.env.CI), quickstart: true };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === '--port') args.port = Number(value());
    else if (flag === '--data-dir') args.dataDir = path.resolve(value());
    else if (flag === '--temp') args.dataDir = null;
    else if (flag === '--once') args.once = true;
    else if (flag === '--serve') args.once = false;
    else if (flag === '--no-quickstart') args.quickstart = false;
    else throw new Error(`unknown flag ${flag}`);
  }
  if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) throw new Error('--port must be 0..65535');
  return args;
}

/** The demo user's Hub token: made once per data dir and kept there, so restarts keep working. */
async function demoToken(dataDir) {
  if (!dataDir) return `hf_demo_${randomBytes(12).toString('hex')}`;
  const file = path.join(dataDir, '..', `${path.basename(dataDir)}.token`);
  try {
    const token = (await readFile(file, 'utf8')).trim();
    if (/^hf_[A-Za-z0-9_]{8,}$/.test(token)) return token;
  } catch {
    // first run
  }
  const token = `hf_demo_${randomBytes(12).toString('hex')}`;
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  return token;
}

async function listen(hubInfo, port) {
  try {
    return await startDemoServer({ hubUrl: hubInfo.hub, token: hubInfo.demoToken, port });
  } catch (error) {
    if (error?.code !== 'EADDRINUSE' || port === 0) throw error;
    console.log(`[start] port ${port} is taken; using a free one`);
    return startDemoServer({ hubUrl: hubInfo.hub, token: hubInfo.demoToken, port: 0 });
  }
}

function runQuickstart(env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(REPO, 'examples', 'quickstart.mjs')], {
      cwd: REPO,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), 10 * 60_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? (signal ? 1 : 0));
    });
    child.on('error', () => resolve(1));
  });
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.dataDir) await mkdir(args.dataDir, { recursive: true });
  const token = await demoToken(args.dataDir);
  const targetDir = process.env.CARGO_TARGET_DIR ? path.resolve(REPO, process.env.CARGO_TARGET_DIR) : path.join(REPO, 'target');
  const bin = path.resolve(REPO, process.env.LOCAL_HUB_BIN ?? path.join(targetDir, 'debug', 'local-hub'));
  if (!existsSync(bin)) throw new Error(`local-hub is not built at ${bin} (npm start builds it: cargo build -p local-hub)`);

  const hub = await startLocalHub({ bin, tokens: [`${DEMO_USER}:${token}:write`], ...(args.dataDir ? { dataDir: args.dataDir } : {}) });
  let server;
  const shutdown = async (code) => {
    await server?.close().catch(() => {});
    await hub.stop().catch(() => {});
    process.exit(code);
  };
  process.once('SIGINT', () => shutdown(0));
  process.once('SIGTERM', () => shutdown(0));
  try {
    server = await listen({ ...hub, demoToken: token }, args.port);
  } catch (error) {
    console.error(`[start] ${error.message}`);
    return shutdown(1);
  }

  console.log('');
  console.log(`[start] local-hub   ${hub.hub}  (CAS ${hub.cas})`);
  const shown = args.dataDir && path.relative(process.cwd(), args.dataDir);
  console.log(`[start] data dir    ${args.dataDir ? (shown && !shown.startsWith('..') ? shown : args.dataDir) : `${hub.dataDir} (temporary)`}`);
  console.log(`[start] demo user   ${DEMO_USER}, token ${token} (local-hub only; stays in the server)`);
  console.log('');

  let code = 0;
  if (args.quickstart) {
    console.log(`[start] examples/quickstart.mjs with HF_ENDPOINT=${hub.hub}`);
    code = await runQuickstart({ HF_ENDPOINT: hub.hub, HF_TOKEN: token });
    console.log(code === 0 ? '' : `[start] the quickstart failed (exit ${code})`);
  }

  console.log(`[start] the upload widget: ${server.url}`);
  if (args.once) return shutdown(code);
  console.log('[start] serving; Ctrl-C to stop');
}

main().catch((error) => {
  console.error(`[start] ${error.message}`);
  process.exit(1);
});
