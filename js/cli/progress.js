// A live progress bar per operation (§7.5, issue 14): bytes, rate and ETA, redrawn in place on
// stderr with Node's own cursor functions. Only in human mode with stdout and stderr both
// terminals (and not HF_HUB_DISABLE_PROGRESS_BARS): piped output holds results only.

import { clearLine, cursorTo } from 'node:readline';
import { humanSize } from './format.js';

const REDRAW_MS = 100;
const BAR = 20;

/**
 * Whether bars are drawn.
 * @param {import('./output.js').Mode} mode
 * @param {{ stdout: { isTTY?: boolean }, stderr: { isTTY?: boolean } }} streams
 * @param {Record<string, string | undefined>} env
 */
export function progressEnabled(mode, streams, env) {
  const off = env.HF_HUB_DISABLE_PROGRESS_BARS;
  if (off && !/^(0|false|no|off)$/i.test(off)) return false;
  return mode === 'human' && Boolean(streams.stdout.isTTY) && Boolean(streams.stderr.isTTY);
}

/**
 * @typedef {object} Progress
 * @property {(done: number, total?: number) => void} update bytes done (and the total, once known)
 * @property {() => void} finish draws the last state (100 % when complete) and ends the line
 */

/** @type {Progress} */
const NONE = { update() {}, finish() {} };

/**
 * @param {boolean} enabled
 * @param {NodeJS.WritableStream & { columns?: number }} stream
 * @param {string} label
 * @param {number} [total] bytes, when known up front
 * @returns {Progress}
 */
export function createProgress(enabled, stream, label, total) {
  if (!enabled) return NONE;
  const started = Date.now();
  let done = 0;
  let lastDraw = 0;
  let finished = false;

  const draw = () => {
    lastDraw = Date.now();
    const seconds = (lastDraw - started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    /** @type {string[]} */
    const parts = [];
    if (total) {
      const ratio = Math.min(1, done / total);
      const filled = Math.round(ratio * BAR);
      parts.push(`${String(Math.floor(ratio * 100)).padStart(3)}%`, `|${'█'.repeat(filled)}${' '.repeat(BAR - filled)}|`);
      parts.push(`${humanSize(done)}/${humanSize(total)}`);
    } else {
      parts.push(humanSize(done));
    }
    parts.push(`${humanSize(Math.round(rate))}/s`);
    if (total && rate > 0 && done < total) parts.push(`ETA ${clock((total - done) / rate)}`);
    const stats = parts.join(' ');
    // The label gives way first, so the numbers stay readable on a narrow terminal.
    const room = Math.max(0, (stream.columns ?? 80) - 1 - stats.length - 1);
    const name = label.length <= room ? label : `${label.slice(0, Math.max(0, room - 1))}…`;
    const text = `${name} ${stats}`.slice(0, Math.max(1, (stream.columns ?? 80) - 1));
    cursorTo(stream, 0);
    stream.write(text);
    clearLine(stream, 1);
  };

  return {
    update(bytes, newTotal) {
      if (finished) return;
      done = bytes;
      if (newTotal) total = newTotal;
      if (Date.now() - lastDraw >= REDRAW_MS) draw();
    },
    finish() {
      if (finished) return;
      finished = true;
      if (lastDraw === 0) return; // nothing started (e.g. a missing bucket): no bar at all
      draw();
      stream.write('\n');
    },
  };
}

/** @param {number} seconds as `M:SS` or `H:MM:SS` */
function clock(seconds) {
  const s = Math.ceil(seconds);
  const [h, m] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60)];
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
