// Confirmations (§4, §7.1): a `[y/N]` prompt in human mode on a terminal; anywhere else the
// command refuses to run without `--yes`, so nothing destructive runs unattended.

import { createInterface } from 'node:readline/promises';
import { CliError } from './errors.js';

/**
 * Resolves when the user confirmed (or `yes`); throws a `CliError` otherwise.
 * @param {string} question
 * @param {object} context
 * @param {boolean} context.yes `-y/--yes`
 * @param {import('./output.js').Mode} context.mode
 * @param {NodeJS.ReadableStream & { isTTY?: boolean }} context.stdin
 * @param {NodeJS.WritableStream} context.stderr the prompt goes here, so stdout holds results only
 * @param {AbortSignal} context.signal
 */
export async function confirm(question, { yes, mode, stdin, stderr, signal }) {
  if (yes) return;
  if (mode !== 'human' || !stdin.isTTY) throw new CliError(`${question} Use --yes to skip confirmation.`);
  const rl = createInterface({ input: stdin, output: stderr });
  try {
    const answer = await rl.question(`${question} [y/N]: `, { signal });
    if (!/^y(es)?$/i.test(answer.trim())) throw new CliError('Aborted.');
  } finally {
    rl.close();
  }
}
