#!/usr/bin/env node
// `hf-buckets` (package.json "bin"): runs the command line with this process's streams. The
// first Ctrl-C aborts the running command through its AbortSignal (so nothing is committed
// after it); if the command has not ended 1.5 s later, or on a second Ctrl-C, the process
// exits at once with 130.

import { run } from './main.js';
import { EXIT_INTERRUPTED } from './errors.js';

const controller = new AbortController();
process.on('SIGINT', () => {
  if (controller.signal.aborted) process.exit(EXIT_INTERRUPTED);
  controller.abort();
  setTimeout(() => process.exit(EXIT_INTERRUPTED), 1500).unref();
});
// A reader that went away (`hf-buckets ls | head`) ends the command quietly.
process.stdout.on('error', (error) => {
  if (/** @type {NodeJS.ErrnoException} */ (error).code === 'EPIPE') process.exit(0);
  throw error;
});

process.exitCode = await run(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: controller.signal,
});
