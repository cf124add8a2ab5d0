// Human tables (§7.1): padded columns, SCREAMING_SNAKE headers, a dashed rule, single-space
// gaps, numbers right-aligned, cells cut with `...` to fit a terminal width.

/**
 * @typedef {object} Column
 * @property {string} header SCREAMING_SNAKE name
 * @property {boolean} [right] right-align (numbers)
 */

/**
 * Renders rows of cell strings. With `maxWidth`, the widest columns are narrowed (cells cut
 * with `...`) until a line fits; `truncated` says whether any cell was cut.
 * @param {Column[]} columns
 * @param {string[][]} rows
 * @param {number} [maxWidth] no limit when absent
 * @returns {{ lines: string[], truncated: boolean }}
 */
export function renderTable(columns, rows, maxWidth) {
  const widths = columns.map((c, i) => rows.reduce((w, r) => Math.max(w, r[i].length), c.header.length));
  const natural = [...widths];
  const total = () => widths.reduce((a, b) => a + b, 0) + widths.length - 1;
  if (maxWidth) {
    // Narrow the widest column that can still give way (never below its header, nor 4).
    const floors = columns.map((c) => Math.max(c.header.length, 4));
    while (total() > maxWidth) {
      let widest = -1;
      widths.forEach((w, i) => {
        if (w > floors[i] && (widest < 0 || w > widths[widest])) widest = i;
      });
      if (widest < 0) break;
      widths[widest] -= 1;
    }
  }
  const truncated = widths.some((w, i) => w < natural[i]);
  const cut = (/** @type {string} */ text, /** @type {number} */ width) =>
    text.length <= width ? text : `${text.slice(0, Math.max(0, width - 3))}...`;
  const line = (/** @type {string[]} */ cells) =>
    cells
      .map((cell, i) => {
        const text = cut(cell, widths[i]);
        return columns[i].right ? text.padStart(widths[i]) : text.padEnd(widths[i]);
      })
      .join(' ')
      .trimEnd();
  return {
    lines: [line(columns.map((c) => c.header)), widths.map((w) => '-'.repeat(w)).join(' '), ...rows.map(line)],
    truncated,
  };
}

/**
 * A tree of paths (`--tree`): names sorted per level (folders without their `/`, as `hf`
 * sorts them), `├── `/`└── `/`│   ` connectors (ASCII when `ascii`), folders with a trailing
 * `/`. Each line is prefixed by what `prefix(entry)` returns (size and date columns; `undefined`
 * for a folder).
 * @template {{ path: string, type: string }} E
 * @param {E[]} entries files and folders (folders may be absent: they are rebuilt from paths)
 * @param {(entry: E | undefined) => string} prefix
 * @param {boolean} ascii
 * @returns {string[]}
 */
export function renderTree(entries, prefix, ascii) {
  /** @typedef {{ children: Map<string, Node>, dir: boolean, entry?: E }} Node */
  /** @type {Node} */
  const root = { children: new Map(), dir: true };
  for (const entry of entries) {
    let node = root;
    const parts = entry.path.split('/');
    parts.forEach((part, i) => {
      let child = node.children.get(part);
      if (!child) node.children.set(part, (child = { children: new Map(), dir: false }));
      if (i < parts.length - 1 || entry.type !== 'file') child.dir = true;
      else child.entry = entry;
      node = child;
    });
  }
  const [tee, elbow, bar, space] = ascii ? ['|-- ', '`-- ', '|   ', '    '] : ['├── ', '└── ', '│   ', '    '];
  /** @type {string[]} */
  const lines = [];
  const walk = (/** @type {Node} */ node, /** @type {string} */ indent) => {
    const names = [...node.children.keys()].sort();
    names.forEach((name, i) => {
      const child = /** @type {Node} */ (node.children.get(name));
      const last = i === names.length - 1;
      lines.push(`${prefix(child.dir ? undefined : child.entry)}${indent}${last ? elbow : tee}${name}${child.dir ? '/' : ''}`);
      walk(child, indent + (last ? space : bar));
    });
  };
  walk(root, '');
  return lines;
}
