// The short fault campaign in `npm test`: 50 seeded runs (tests/soak/campaign.mjs) against one
// local-hub. Every run must end with no wrong byte, no partial commit, no untyped error and no
// unhandled rejection. The seed is fixed so a failure here replays with
// `npm run soak -- --run-seed <seed printed>`; SOAK_SEED / SOAK_RUNS override it, and
// SOAK_FLIP_RANGES=0 keeps flipped bytes off the CAS reads of ranges and streams (soak.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startLocalHub } from '../js/helpers/local-hub.mjs';
import { campaign, formatReport } from './campaign.mjs';

const SEED = Number(process.env.SOAK_SEED ?? 20261207);
const RUNS = Number(process.env.SOAK_RUNS ?? 50);

let local;

before(async () => {
  local = await startLocalHub();
});

after(async () => {
  await local?.stop();
});

test(`fault campaign: ${RUNS} runs, seed ${SEED}`, async (t) => {
  const t0 = Date.now();
  const report = await campaign({ local, runs: RUNS, seed: SEED, flipRanges: process.env.SOAK_FLIP_RANGES !== '0', log: (text) => text.split('\n').forEach((line) => t.diagnostic(line)) });
  const text = formatReport(report, Date.now() - t0);
  for (const line of text.split('\n')) t.diagnostic(line);
  assert.equal(report.runs, RUNS);
  // The faults really fired: every kind at least once over the campaign.
  const fired = Object.keys(report.faultsFired).join(' ');
  for (const kind of ['status 429', 'hang', 'close', 'flipByte', 'expireToken']) assert.match(fired, new RegExp(kind), `${kind} never fired`);
  assert.ok(report.networkShaped > 0 && report.tokenExpiries > 0);
  assert.equal(report.wrongBytes, 0, text);
  assert.equal(report.partialCommits, 0, text);
  assert.equal(report.untypedErrors, 0, text);
  assert.equal(report.unhandledRejections, 0, text);
  assert.deepEqual(report.failures, [], text);
});
