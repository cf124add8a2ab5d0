// Command-line parsing with Node's `util.parseArgs`: the options every command takes, each
// command's own, help texts, and bad input turned into a `UsageError` (exit code 2).

import { parseArgs } from 'node:util';
import { UsageError } from './errors.js';
import { MODES } from './output.js';

/**
 * @typedef {object} OptionSpec
 * @property {'boolean' | 'string'} type
 * @property {string} [short]
 * @property {boolean} [multiple]
 * @property {string} description
 * @property {string} [value] the value's name in help (string options)
 */

/**
 * @typedef {object} Context
 * @property {Record<string, string | boolean | string[] | undefined>} values
 * @property {string[]} positionals
 * @property {import('./output.js').Output} out
 * @property {() => Promise<import('../index.js').BucketClient>} client the Hub client (token and endpoint resolved)
 * @property {() => { accessToken?: string, endpoint?: string }} clientOptions the resolved token and endpoint (for calls that build their own client)
 * @property {() => Promise<typeof import('../node/index.js')>} hf the package (Node entry)
 * @property {AbortSignal} signal fires on Ctrl-C
 * @property {boolean} progress whether progress bars are drawn
 * @property {{ bucketId?: string }} about what the command works on (for error messages)
 * @property {import('./main.js').Io} io
 */

/**
 * @typedef {object} Command
 * @property {string} name
 * @property {string[]} [aliases]
 * @property {string} summary one line
 * @property {string} usage arguments after the command name, e.g. `SRC [DST]`
 * @property {[number, number]} positionals minimum and maximum count
 * @property {Record<string, OptionSpec>} options the command's own options
 * @property {string[]} [examples]
 * @property {boolean} [noCommonOptions] only `--help` (local-hub)
 * @property {(ctx: Context) => Promise<void>} run
 */

/** @type {Record<string, OptionSpec>} */
export const COMMON_OPTIONS = {
  format: { type: 'string', value: 'human|json|quiet', description: 'Output format (default: human).' },
  json: { type: 'boolean', description: 'Same as --format json.' },
  quiet: { type: 'boolean', short: 'q', description: 'Same as --format quiet: print only the essential value.' },
  'no-truncate': { type: 'boolean', description: 'Do not cut table cells to the terminal width.' },
  token: { type: 'string', value: 'TOKEN', description: 'Hub token (default: HF_TOKEN, else the token file).' },
};

/** @type {Record<string, OptionSpec>} */
const HELP = { help: { type: 'boolean', description: 'Show this message and exit.' } };

/**
 * Parses a command's arguments (after its name).
 * @param {Command} command
 * @param {string[]} argv
 * @returns {{ values: Record<string, string | boolean | string[] | undefined>, positionals: string[], mode: import('./output.js').Mode }}
 */
export function parseCommand(command, argv) {
  const specs = { ...(command.noCommonOptions ? {} : COMMON_OPTIONS), ...command.options, ...HELP };
  /** @type {Record<string, { type: 'boolean' | 'string', short?: string, multiple?: boolean }>} */
  const options = {};
  for (const [name, spec] of Object.entries(specs)) {
    options[name] = { type: spec.type, ...(spec.short ? { short: spec.short } : {}), ...(spec.multiple ? { multiple: true } : {}) };
  }
  /** @type {{ values: Record<string, string | boolean | string[] | undefined>, positionals: string[] }} */
  let parsed;
  try {
    parsed = /** @type {any} */ (parseArgs({ args: argv, options, allowPositionals: true, strict: true }));
  } catch (error) {
    throw new UsageError(parseErrorMessage(/** @type {Error & { code?: string }} */ (error)), command.name);
  }
  const { values, positionals } = parsed;
  if (values.help) return { values, positionals, mode: 'human' };
  const [min, max] = command.positionals;
  if (positionals.length < min) {
    throw new UsageError(`Missing argument: ${command.usage.split(' ')[positionals.length]}.`, command.name);
  }
  if (positionals.length > max) throw new UsageError(`Got unexpected extra argument (${positionals[max]}).`, command.name);
  return { values, positionals, mode: outputMode(values, command.name) };
}

/**
 * @param {Record<string, string | boolean | string[] | undefined>} values
 * @param {string} command
 * @returns {import('./output.js').Mode}
 */
function outputMode(values, command) {
  const chosen = [values.json && 'json', values.quiet && 'quiet', values.format].filter(Boolean);
  const format = /** @type {string | undefined} */ (values.format);
  if (format !== undefined && !MODES.includes(/** @type {any} */ (format))) {
    throw new UsageError(`Invalid value for '--format': '${format}' is not one of ${MODES.map((m) => `'${m}'`).join(', ')}.`, command);
  }
  if (new Set(chosen).size > 1) throw new UsageError('Choose one output format: --format, --json or --quiet.', command);
  return /** @type {import('./output.js').Mode} */ (chosen[0] ?? 'human');
}

/** @param {Error & { code?: string }} error */
function parseErrorMessage(error) {
  const quoted = /'([^']+)'/.exec(error.message)?.[1];
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `No such option '${quoted}'.`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return error.message.split('.')[0].replace(/ argument missing$/, ' requires a value') + '.';
    default:
      return error.message.split('\n')[0];
  }
}

/**
 * A command's `--help` text.
 * @param {Command} command
 */
export function commandHelp(command) {
  const specs = { ...command.options, ...(command.noCommonOptions ? {} : COMMON_OPTIONS), ...HELP };
  const rows = Object.entries(specs).map(([name, spec]) => [
    `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.type === 'string' ? ` ${spec.value ?? 'TEXT'}` : ''}`,
    spec.description,
  ]);
  const width = Math.max(...rows.map(([flag]) => flag.length));
  const lines = [`Usage: hf-buckets ${command.name} [OPTIONS] ${command.usage}`.trimEnd(), '', `  ${command.summary}`];
  if (command.aliases?.length) lines.push('', `  Alias: ${command.aliases.join(', ')}`);
  lines.push('', 'Options:', ...rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`));
  if (command.examples?.length) lines.push('', 'Examples:', ...command.examples.map((e) => `  $ ${e}`));
  return `${lines.join('\n')}\n`;
}

/**
 * The top-level `--help` text.
 * @param {Command[]} commands
 */
export function mainHelp(commands) {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: hf-buckets COMMAND [OPTIONS] [ARGS]...',
    '',
    '  Hugging Face Storage Buckets from the command line (HF_ENDPOINT, HF_TOKEN as for `hf`).',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}${c.aliases?.length ? ` [alias: ${c.aliases.join(', ')}]` : ''}`),
    '',
    "Run 'hf-buckets COMMAND --help' for a command's options.",
    '',
  ].join('\n');
}
