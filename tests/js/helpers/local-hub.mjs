// Starts local-hub (the local Hugging Face Hub emulator, see local-hub/README.md) for a test.
//
//   const hub = await startLocalHub({ tokens: ['bob:hf_bob:read'] });
//   // hub.hub, hub.cas, hub.token, hub.user, hub.adminToken, hub.dataDir
//   await hub.addFault({ method: 'GET', path: '/v1/fetch_term', action: 'status', status: 503 });
//   await hub.stop();
//
// The binary is $LOCAL_HUB_BIN, else target/debug/local-hub under the repository root.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/**
 * @param {object} [opts]
 * @param {string[]|{user:string,token:string,role?:'read'|'write'}[]} [opts.tokens] extra Hub tokens `USER:TOKEN:ROLE` (passed in `LOCAL_HUB_TOKENS`)
 * @param {string} [opts.dataDir] keep state here (default: a fresh temp dir removed on stop)
 * @param {string} [opts.config] path of a JSON config file (users, orgs, tokens, repos)
 * @param {string} [opts.adminToken] fixed admin token (default: random)
 * @param {number} [opts.casTokenTtl] lifetime of CAS tokens in seconds (default 3600)
 * @param {number} [opts.port] Hub port (default 0 = free port)
 * @param {number} [opts.casPort] CAS front port (default: free port)
 * @param {string[]} [opts.args] more command-line arguments
 * @param {boolean} [opts.verbose] pass local-hub's stderr (and --verbose request logs) through
 * @param {number} [opts.timeoutMs] start-up timeout (default 60000)
 * @param {string} [opts.bin] binary path (default $LOCAL_HUB_BIN or target/debug/local-hub)
 */
export async function startLocalHub(opts = {}) {
  const bin = opts.bin ?? process.env.LOCAL_HUB_BIN ?? path.join(repoRoot, 'target', 'debug', 'local-hub');
  const args = ['--port', String(opts.port ?? 0)];
  if (opts.casPort != null) args.push('--cas-port', String(opts.casPort));
  if (opts.dataDir) args.push('--data-dir', opts.dataDir);
  if (opts.config) args.push('--config', opts.config);
  if (opts.casTokenTtl != null) args.push('--cas-token-ttl', String(opts.casTokenTtl));
  if (opts.verbose) args.push('--verbose');
  args.push(...(opts.args ?? []));
  // Secrets go through the environment, never the command line (which `ps` shows to everyone).
  const env = { ...process.env };
  delete env.LOCAL_HUB_ADMIN_TOKEN;
  delete env.LOCAL_HUB_TOKENS;
  if (opts.adminToken) env.LOCAL_HUB_ADMIN_TOKEN = opts.adminToken;
  const tokens = (opts.tokens ?? []).map((t) => (typeof t === 'string' ? t : `${t.user}:${t.token}:${t.role ?? 'write'}`));
  if (tokens.length) env.LOCAL_HUB_TOKENS = tokens.join(',');

  const child = spawn(bin, args, { env, stdio: ['ignore', 'pipe', opts.verbose ? 'inherit' : 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-8192);
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const info = await new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`local-hub did not start within ${opts.timeoutMs ?? 60000} ms\n${stderr}`));
    }, opts.timeoutMs ?? 60000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot start local-hub at ${bin}: ${err.message} (build it: cargo build -p local-hub)`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`local-hub exited before it was ready (code ${code}, signal ${signal})\n${stderr}`));
    });
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(line));
      } catch (err) {
        reject(new Error(`bad start-up line from local-hub: ${line}`));
      }
      child.stdout.resume();
    });
  });
  child.removeAllListeners('exit');

  const exited = new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });

  async function stop() {
    process.removeListener('exit', killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  /** Calls the admin API: `admin('POST', '/admin/faults', {...})` → parsed JSON. */
  async function admin(method, route, body) {
    const res = await fetch(`${info.hub}${route}`, {
      method,
      headers: { authorization: `Bearer ${info.adminToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`local-hub admin ${method} ${route}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  return {
    ...info,
    process: child,
    stop,
    admin,
    /** Adds one fault rule or an array of them (README "Fault injection"); returns their ids. */
    addFault: (rules) => admin('POST', '/admin/faults', rules),
    /** Lists rules with their `matched`/`fired` counters. */
    faults: () => admin('GET', '/admin/faults'),
    /** Removes every rule and the network setting. */
    clearFaults: () => admin('DELETE', '/admin/faults'),
    /** `{latencyMs, bandwidthBytesPerSec, target}`. */
    setNetwork: (network) => admin('PUT', '/admin/network', network),
    /** Every CAS token issued so far stops working (401) at once. */
    expireTokens: () => admin('POST', '/admin/expire-tokens', {}),
    /** Creates or updates a user: `{name, tokens: [{token, role}]}`. */
    addUser: (user) => admin('POST', '/admin/users', user),
    /** Creates or updates an org: `{name, members: [{user, role}]}`. */
    addOrg: (org) => admin('POST', '/admin/orgs', org),
    /** Creates a repo and adds files: `{type, id, revision?, private?, files: [{path, xetHash}|{path, content}]}`. */
    seedRepo: (seed) => admin('POST', '/admin/repos', seed),
  };
}
