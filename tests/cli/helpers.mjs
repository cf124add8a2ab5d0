// Runs the `hf-buckets` command line (js/cli/bin.js) as a user would: a child process with its
// own environment (a fresh HOME, so no token file of this machine is read), optional stdin,
// and a pseudo-terminal through `script` where a test needs one.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = path.join(repoRoot, 'js', 'cli', 'bin.js');

/** A fresh HOME and the Hub from `hub` (endpoint, token), nothing else of this environment. */
export function cliEnv(hub, extra = {}) {
  const env = {
    PATH: process.env.PATH,
    HOME: mkdtempSync(path.join(tmpdir(), 'hf-buckets-cli-home-')),
    HF_ENDPOINT: hub?.hub,
    HF_TOKEN: hub?.token,
    ...extra,
  };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
  return env;
}

/**
 * Runs `hf-buckets ...args`; resolves to `{ code, signal, stdout, stderr, stdoutBytes, ms }`.
 * @param {string[]} args
 * @param {{ env: Record<string,string>, input?: string | Buffer, cwd?: string, timeoutMs?: number, onSpawn?: (child) => void }} opts
 */
export function cli(args, { env, input, cwd, timeoutMs = 120_000, onSpawn } = {}) {
  return run(process.execPath, [BIN, ...args], { env, input, cwd, timeoutMs, onSpawn });
}

/** Runs `command` (a shell line) in a pseudo-terminal (100 columns unless `cols`) via `script`. */
export function inTerminal(command, { env, input, cwd, cols = 100, timeoutMs = 120_000 } = {}) {
  // A terminal's TERM, as a user's shell has it (Node decides on colours from it).
  const termEnv = { TERM: 'xterm-256color', ...env };
  return run('script', ['-qfec', `stty cols ${cols} rows 30 2>/dev/null; ${command}`, '/dev/null'], { env: termEnv, input, cwd, timeoutMs });
}

/** A shell-quoted `node js/cli/bin.js ...args` line. */
export function cliLine(args) {
  return [process.execPath, BIN, ...args].map((a) => `'${String(a).replace(/'/g, `'\\''`)}'`).join(' ');
}

function run(file, args, { env, input, cwd, timeoutMs, onSpawn }) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(file, args, { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => err.push(c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args.join(' ')} did not end within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolve({ code, signal, stdout: stdoutBytes.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), stdoutBytes, ms: Date.now() - started });
    });
    onSpawn?.(child);
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

/** Lines of a text without the final newline. */
export const lines = (text) => text.replace(/\n$/, '').split('\n');
