// The `hf-buckets` command line (issue 14): finds the command, parses its arguments, sets up
// output, credentials and cancellation, runs it, and turns any failure into one `Error: …` line
// on stderr with its exit code (errors.js). `bin.js` runs this with the process's streams.

import { commandHelp, mainHelp, parseCommand } from './args.js';
import { resolveEndpoint, resolveToken } from './credentials.js';
import { EXIT_OK, UsageError, describeError } from './errors.js';
import { Output } from './output.js';
import { progressEnabled } from './progress.js';
import { webUrlsToHf } from './targets.js';
import list from './commands/list.js';
import info from './commands/info.js';
import create from './commands/create.js';
import del from './commands/delete.js';
import move from './commands/move.js';
import settings from './commands/settings.js';
import cp from './commands/cp.js';
import rm from './commands/rm.js';
import sync from './commands/sync.js';
import localHub from './commands/local-hub.js';

/** @type {import('./args.js').Command[]} */
export const COMMANDS = [cp, create, del, info, list, move, rm, settings, sync, localHub];

/**
 * @typedef {object} Io
 * @property {NodeJS.ReadableStream & { isTTY?: boolean }} stdin
 * @property {NodeJS.WritableStream & { isTTY?: boolean, columns?: number }} stdout
 * @property {NodeJS.WritableStream & { isTTY?: boolean, columns?: number }} stderr
 * @property {Record<string, string | undefined>} env
 * @property {AbortSignal} signal fires on Ctrl-C
 */

/**
 * Runs one command line; resolves to the exit code.
 * @param {string[]} argv arguments after `hf-buckets`
 * @param {Io} io
 * @returns {Promise<number>}
 */
export async function run(argv, io) {
  /** @type {{ bucketId?: string }} */
  const about = {};
  try {
    const [name, ...rest] = argv;
    if (name === undefined || name === '--help' || name === '-h') {
      io.stdout.write(mainHelp(COMMANDS));
      return EXIT_OK;
    }
    if (name === '--version') {
      const { createRequire } = await import('node:module');
      io.stdout.write(`${createRequire(import.meta.url)('../../package.json').version}\n`);
      return EXIT_OK;
    }
    const command = COMMANDS.find((c) => c.name === name || c.aliases?.includes(name));
    if (!command) throw new UsageError(name.startsWith('-') ? `No such option '${name}'.` : `No such command '${name}'.`);
    const { values, positionals, mode } = parseCommand(command, rest);
    if (values.help) {
      io.stdout.write(commandHelp(command));
      return EXIT_OK;
    }
    const clientOptions = () => ({
      accessToken: resolveToken(/** @type {string | undefined} */ (values.token), io.env),
      endpoint: resolveEndpoint(io.env),
    });
    const out = new Output({ mode, streams: io, env: io.env, noTruncate: Boolean(values['no-truncate']) });
    /** @type {Promise<typeof import('../node/index.js')> | undefined} */
    let hf;
    const loadPackage = () => (hf ??= import('../node/index.js'));
    await command.run({
      values,
      positionals: await webUrlsToHf(positionals, resolveEndpoint(io.env), loadPackage, command.name),
      out,
      hf: loadPackage,
      client: async () => {
        const { BucketClient } = await loadPackage();
        return new BucketClient(clientOptions());
      },
      clientOptions,
      signal: io.signal,
      progress: progressEnabled(mode, io, io.env),
      about,
      io,
    });
    return EXIT_OK;
  } catch (error) {
    const { message, exitCode } = describeError(error, about);
    io.stderr.write(`${message}\n`);
    return exitCode;
  }
}
