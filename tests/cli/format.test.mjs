// The pure helpers of the command line (js/cli/format.js, table.js): terminal-safe names,
// Python-style dates and JSON, table narrowing, tree rendering.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeControl, listingDate, pythonDate, pythonJson } from '../../js/cli/format.js';
import { renderTable, renderTree } from '../../js/cli/table.js';

test('escapeControl: control characters cannot reach the terminal', () => {
  assert.equal(escapeControl('a\x1b[31mred\x07\x7f\x9b\nz'), 'a\\x1b[31mred\\x07\\x7f\\x9b\\x0az');
  assert.equal(escapeControl('ünïcode/ok file.txt'), 'ünïcode/ok file.txt');
});

test('dates and JSON as Python prints them', () => {
  const d = new Date(Date.UTC(2026, 1, 12, 17, 42, 12, 773));
  assert.equal(pythonDate(d, 'T'), '2026-02-12T17:42:12.773000+00:00');
  assert.equal(pythonDate(new Date(Date.UTC(2026, 1, 12, 17, 42, 12)), ' '), '2026-02-12 17:42:12+00:00');
  assert.equal(listingDate(d, false), '2026-02-12 17:42:12');
  assert.equal(listingDate(d, true), 'Feb 12 17:42');
  assert.equal(pythonJson({ a: 1, b: [true, null], c: 'x"y', u: undefined }), '{"a": 1, "b": [true, null], "c": "x\\"y"}');
  assert.equal(pythonJson([{ a: 1 }], 2), '[\n  {\n    "a": 1\n  }\n]');
  assert.equal(pythonJson([], 2), '[]');
});

test('renderTable: padded columns, numbers right, narrowed to a width with ...', () => {
  const cols = [{ header: 'ID' }, { header: 'SIZE', right: true }];
  const rows = [['alice/a-very-long-bucket-name', '5'], ['b/c', '12345']];
  assert.deepEqual(renderTable(cols, rows).lines, [
    'ID                             SIZE',
    '----------------------------- -----',
    'alice/a-very-long-bucket-name     5',
    'b/c                           12345',
  ]);
  const { lines, truncated } = renderTable(cols, rows, 20);
  assert.ok(truncated);
  assert.ok(lines.every((l) => l.length <= 20), lines.join('\n'));
  assert.equal(lines[2], 'alice/a-ver...     5');
  assert.ok(!renderTable(cols, rows, 200).truncated);
});

test('renderTree: per-level name order, folders rebuilt from paths, connectors', () => {
  const files = ['b.txt', 'a/x.bin', 'a.txt', 'a/sub/y.bin'].map((p) => ({ type: 'file', path: p }));
  assert.deepEqual(renderTree(files, (e) => (e ? '* ' : '  '), false), [
    '  ├── a/',
    '  │   ├── sub/',
    '* │   │   └── y.bin',
    '* │   └── x.bin',
    '* ├── a.txt',
    '* └── b.txt',
  ]);
  assert.deepEqual(renderTree([{ type: 'directory', path: 'd' }], () => '', true), ['`-- d/']);
});
