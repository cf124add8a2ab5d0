// What the command line reports when it fails, and with which exit code (§7.1): a usage
// error exits 2, any other failure 1, an interrupted command 130 (128 + SIGINT).

/** Bad command-line input (unknown command or flag, a malformed argument): exit code 2. */
export class UsageError extends Error {
  name = 'UsageError';
  /**
   * @param {string} message
   * @param {string} [command] the command whose `--help` to point at
   */
  constructor(message, command) {
    super(message);
    this.command = command;
  }
}

/** A failure the command detected itself (not a Hub error): exit code 1. */
export class CliError extends Error {
  name = 'CliError';
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

/**
 * The one line printed for a failure and its exit code. Hub errors keep their message (which
 * never holds the token); a missing bucket reads as the official CLI says it.
 * @param {unknown} error
 * @param {{ bucketId?: string }} context the bucket the command was about, if any
 * @returns {{ message: string, exitCode: number }}
 */
export function describeError(error, context = {}) {
  const e = /** @type {{ name?: string, message?: string, code?: string, command?: string }} */ (error ?? {});
  switch (e.name) {
    case 'UsageError': {
      const help = e.command ? `hf-buckets ${e.command} --help` : 'hf-buckets --help';
      return { message: `Error: ${e.message} (see '${help}')`, exitCode: EXIT_USAGE };
    }
    case 'AbortError':
      return { message: 'Error: Interrupted.', exitCode: EXIT_INTERRUPTED };
    case 'ValidationError':
      return { message: `Error: Invalid value. ${e.message}`, exitCode: EXIT_FAILURE };
    case 'NotFoundError':
      if (context.bucketId && e.code === 'RepoNotFound') {
        return { message: `Error: Bucket '${context.bucketId}' not found.`, exitCode: EXIT_FAILURE };
      }
      break;
    default:
  }
  const message = typeof e.message === 'string' && e.message ? e.message : String(error);
  return { message: `Error: ${oneLine(message)}`, exitCode: EXIT_FAILURE };
}

/** @param {string} text */
function oneLine(text) {
  return text.replace(/\s*\n\s*/g, ' ');
}
