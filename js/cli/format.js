// Sizes, dates and JSON text as the official CLI prints them (buckets-workflows.md §7.1–7.3).

/**
 * A decimal human size, as `hf` writes it: `< 1000` → `N B`, then one decimal in KB, MB, GB,
 * TB (a unit is left only once the value reaches 1000 of it: `999999` → `1000.0 KB`), then PB.
 * @param {number} bytes
 * @returns {string}
 */
export function humanSize(bytes) {
  if (bytes < 1000) return `${bytes} B`;
  let value = bytes;
  for (const unit of ['KB', 'MB', 'GB', 'TB']) {
    value /= 1000;
    if (value < 1000) return `${pythonFixed1(value)} ${unit}`;
  }
  return `${pythonFixed1(value / 1000)} PB`;
}

/**
 * `f"{x:.1f}"`: the nearest one-decimal number, with exact ties (`1.25`) going to the even
 * digit as Python does (`toFixed` would round them up).
 * @param {number} value
 */
function pythonFixed1(value) {
  const exact = value.toFixed(60); // the double's exact decimal expansion
  const tie = /^(\d+)\.(\d)50*$/.exec(exact);
  if (!tie) return value.toFixed(1);
  const [whole, digit] = [tie[1], Number(tie[2])];
  return digit % 2 === 0 ? `${whole}.${digit}` : value.toFixed(1);
}

/**
 * A file name or path made safe for a terminal: control characters (C0, DEL, C1) are shown as
 * `\xNN` escapes, so a name cannot move the cursor or recolour the screen.
 * @param {string} text
 * @returns {string}
 */
export function escapeControl(text) {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

const pad2 = (/** @type {number} */ n) => String(n).padStart(2, '0');

/**
 * Python's `str(datetime)` / `isoformat()` of a UTC time: `2026-02-12 17:42:12.773000+00:00`
 * (fraction omitted when zero).
 * @param {Date} date
 * @param {' ' | 'T'} separator
 * @returns {string}
 */
export function pythonDate(date, separator) {
  const ms = date.getUTCMilliseconds();
  const fraction = ms ? `.${String(ms).padStart(3, '0')}000` : '';
  return `${ymd(date)}${separator}${hms(date)}${fraction}+00:00`;
}

/** @param {Date} date `YYYY-MM-DD` (UTC). */
export function ymd(date) {
  return `${date.getUTCFullYear()}-${pad2(date.getUTCMonth() + 1)}-${pad2(date.getUTCDate())}`;
}

/** @param {Date} date `HH:MM:SS` (UTC). */
export function hms(date) {
  return `${pad2(date.getUTCHours())}:${pad2(date.getUTCMinutes())}:${pad2(date.getUTCSeconds())}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * A listing date: `YYYY-MM-DD HH:MM:SS`, or `Mon DD HH:MM` when `human`.
 * @param {Date | undefined} date
 * @param {boolean} human
 */
export function listingDate(date, human) {
  if (!date) return '';
  if (!human) return `${ymd(date)} ${hms(date)}`;
  return `${MONTHS[date.getUTCMonth()]} ${pad2(date.getUTCDate())} ${pad2(date.getUTCHours())}:${pad2(date.getUTCMinutes())}`;
}

/**
 * JSON text as Python's `json.dumps` writes it: `, ` and `: ` separators when compact, else
 * `indent` spaces per level.
 * @param {unknown} value
 * @param {number} [indent] 0 = one line
 * @returns {string}
 */
export function pythonJson(value, indent = 0, depth = 0) {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  const items = Array.isArray(value)
    ? value.map((v) => pythonJson(v, indent, depth + 1))
    : Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${JSON.stringify(k)}: ${pythonJson(v, indent, depth + 1)}`);
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  if (items.length === 0) return open + close;
  if (!indent) return open + items.join(', ') + close;
  const inner = ' '.repeat(indent * (depth + 1));
  return `${open}\n${inner}${items.join(`,\n${inner}`)}\n${' '.repeat(indent * depth)}${close}`;
}
