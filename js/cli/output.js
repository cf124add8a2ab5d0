// Output modes (§7.1): `human` (✓ results, tables, hints, colours unless NO_COLOR, progress on
// a terminal), `json` (compact JSON of the fields) and `quiet` (the first value only). Results
// and tables go to stdout; hints and errors to stderr.

import { styleText } from 'node:util';
import { pythonJson } from './format.js';
import { renderTable } from './table.js';

/** @typedef {'human' | 'json' | 'quiet'} Mode */
export const MODES = /** @type {const} */ (['human', 'json', 'quiet']);

/**
 * @typedef {object} Streams
 * @property {NodeJS.WritableStream & { isTTY?: boolean, columns?: number }} stdout
 * @property {NodeJS.WritableStream & { isTTY?: boolean, columns?: number }} stderr
 */

export class Output {
  /**
   * @param {object} options
   * @param {Mode} options.mode
   * @param {Streams} options.streams
   * @param {Record<string, string | undefined>} options.env
   * @param {boolean} [options.noTruncate]
   */
  constructor({ mode, streams, env, noTruncate = false }) {
    this.mode = mode;
    this.stdout = streams.stdout;
    this.stderr = streams.stderr;
    this.noTruncate = noTruncate;
    this.colors = mode === 'human' && Boolean(streams.stdout.isTTY) && !('NO_COLOR' in env) && env.TERM !== 'dumb';
  }

  /** @param {string} text one line to stdout */
  line(text) {
    this.stdout.write(`${text}\n`);
  }

  /**
   * Writes to stdout and waits while its buffer is full, so a long listing streams in bounded
   * memory.
   * @param {string} text
   */
  async write(text) {
    if (!this.stdout.write(text)) await new Promise((resolve) => this.stdout.once('drain', resolve));
  }

  /** @param {string} text a hint to stderr (not in quiet mode) */
  hint(text) {
    if (this.mode !== 'quiet') this.stderr.write(`Hint: ${text}\n`);
  }

  /**
   * A result: human `✓ message` + `  key: value` lines; json the fields; quiet the first value.
   * @param {string} message
   * @param {Record<string, unknown>} fields
   */
  result(message, fields) {
    if (this.mode === 'json') return this.line(pythonJson(fields));
    if (this.mode === 'quiet') return this.line(String(Object.values(fields)[0]));
    this.line(`${this.colors ? styleText('green', '✓') : '✓'} ${message}`);
    for (const [key, value] of Object.entries(fields)) this.line(`  ${key}: ${value}`);
  }

  /**
   * A table: human padded columns (cut to the terminal width unless `--no-truncate`); json
   * the `json` objects; quiet the first cell of each row.
   * @param {import('./table.js').Column[]} columns
   * @param {string[][]} cells human cells, one array per row
   * @param {object[]} json one object per row
   */
  table(columns, cells, json) {
    if (this.mode === 'json') return this.line(pythonJson(json));
    if (this.mode === 'quiet') return cells.forEach((row) => this.line(row[0]));
    if (cells.length === 0) return this.line('No results found.');
    const width = this.stdout.isTTY && !this.noTruncate ? this.stdout.columns : undefined;
    const { lines, truncated } = renderTable(columns, cells, width);
    lines.forEach((l) => this.line(this.colors && l === lines[0] ? styleText('bold', l) : l));
    if (truncated) this.hint('Use --no-truncate to show full values.');
  }

  /**
   * A dict (`info`): JSON indented by 2 in human mode, compact in json mode, `id` in quiet.
   * @param {Record<string, unknown>} fields
   */
  dict(fields) {
    if (this.mode === 'quiet') return this.line(String(Object.values(fields)[0]));
    this.line(pythonJson(fields, this.mode === 'human' ? 2 : 0));
  }
}
