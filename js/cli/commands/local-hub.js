// `hf-buckets local-hub`: starts the local Hub emulator (local-hub/) so every command can be
// tried offline. The binary is not in the npm package: `$LOCAL_HUB_BIN`, else the repository's
// build (`cargo build -p local-hub`). Prints how to point the CLI at it, then runs until Ctrl-C.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CliError } from '../errors.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Where the binary is, or undefined.
 * @param {Record<string, string | undefined>} env
 */
export function findLocalHub(env) {
  if (env.LOCAL_HUB_BIN) return existsSync(env.LOCAL_HUB_BIN) ? env.LOCAL_HUB_BIN : undefined;
  const candidates = [
    env.CARGO_TARGET_DIR && `${env.CARGO_TARGET_DIR}/debug/local-hub`,
    `${repoRoot}target/release/local-hub`,
    `${repoRoot}target/debug/local-hub`,
  ];
  return candidates.find((c) => c && existsSync(c));
}

/** @type {import('../args.js').Command} */
export default {
  name: 'local-hub',
  summary: 'Start a local Hub (emulator) to try every command offline.',
  usage: '',
  positionals: [0, 0],
  options: {
    port: { type: 'string', value: 'PORT', description: 'Hub port (default: a free port).' },
    'data-dir': { type: 'string', value: 'DIR', description: 'Keep the buckets in DIR (default: a temporary folder removed on exit).' },
    format: { type: 'string', value: 'human|json', description: 'human: how to use it; json: the ready line only.' },
  },
  noCommonOptions: true,
  examples: ['hf-buckets local-hub --port 7860', 'hf-buckets local-hub --data-dir ./hub-data --format json'],
  async run({ values, io, signal }) {
    const bin = findLocalHub(io.env);
    if (!bin) {
      throw new CliError(
        'local-hub is not built (it is not part of the npm package): run `cargo build -p local-hub` in a clone of the hf-buckets repository, or set LOCAL_HUB_BIN to its path' +
          (io.env.LOCAL_HUB_BIN ? ` (LOCAL_HUB_BIN=${io.env.LOCAL_HUB_BIN} does not exist).` : '.'),
      );
    }
    const args = ['--port', String(values.port ?? 0)];
    if (values['data-dir']) args.push('--data-dir', String(values['data-dir']));
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => child.once('exit', (code, sig) => resolve({ code, sig })));
    const onAbort = () => child.kill('SIGTERM');
    signal.addEventListener('abort', onAbort, { once: true });
    const lines = createInterface({ input: /** @type {NodeJS.ReadableStream} */ (child.stdout) });
    lines.once('line', (line) => {
      if (values.format === 'json') return void io.stdout.write(`${line}\n`);
      const ready = JSON.parse(line);
      io.stdout.write(
        [
          `local-hub is running at ${ready.hub} (user '${ready.user}', data in ${ready.dataDir}).`,
          'In another terminal:',
          `  export HF_ENDPOINT=${ready.hub} HF_TOKEN=${ready.token}`,
          '  npx hf-buckets create demo && npx hf-buckets ls',
          'Press Ctrl-C to stop it.',
          '',
        ].join('\n'),
      );
    });
    const { code, sig } = /** @type {{ code: number | null, sig: string | null }} */ (await exited);
    signal.removeEventListener('abort', onAbort);
    if (signal.aborted) return; // stopped with Ctrl-C: a normal end
    throw new CliError(`local-hub exited (${sig ? `signal ${sig}` : `code ${code}`}).`);
  },
};
