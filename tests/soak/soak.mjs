// `npm run soak -- --runs N --seed S`: the randomized fault campaign (campaign.mjs) against one
// local-hub ($LOCAL_HUB_BIN, else target/debug/local-hub). Prints runs, faults fired by kind,
// outcomes and the seed of every failing run; exits 1 on any failure.
//   --runs N          runs (default 100)
//   --seed S          campaign seed (default: from the clock; printed)
//   --run-seed X      replay one run by its seed (repeatable; --runs is then ignored)
//   --no-flip-ranges  no flipped bytes on the CAS reads of ranges and streams (on by default:
//                     those reads are verified through the xorb footer, so a flip must be an
//                     IntegrityError)
//   --max-rss-mb M    peak RSS above M MB is a failure (default 1536)
//   --trace           log every call: its fault rules (and how often each fired) and its outcome
//   --verbose         local-hub's stderr passed through
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { startLocalHub } from '../js/helpers/local-hub.mjs';
import { campaign, formatReport } from './campaign.mjs';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '100' },
    seed: { type: 'string' },
    'run-seed': { type: 'string', multiple: true },
    'no-flip-ranges': { type: 'boolean', default: false },
    'max-rss-mb': { type: 'string', default: '1536' },
    trace: { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
  },
});

const int = (name, text) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    console.error(`soak: --${name} must be an integer from 0 to 2^32 - 1, not ${text}`);
    process.exit(2);
  }
  return n;
};
const seed = values.seed !== undefined ? int('seed', values.seed) : Date.now() % 0xffffffff;
const runSeeds = values['run-seed']?.map((s) => int('run-seed', s));
const runs = runSeeds ? runSeeds.length : int('runs', values.runs);

const local = await startLocalHub({ verbose: values.verbose });
const t0 = Date.now();
let report;
let hubPeak;
try {
  console.log(`soak: seed ${seed}, ${runs} runs, flipped bytes on ranges and streams ${values['no-flip-ranges'] ? 'off' : 'on'}`);
  report = await campaign({
    local,
    runs,
    seed,
    runSeeds,
    flipRanges: !values['no-flip-ranges'],
    maxRssMb: int('max-rss-mb', values['max-rss-mb']),
    trace: values.trace,
    log: (line) => console.log(line),
  });
} finally {
  // local-hub's peak RSS (Linux), read before it stops.
  const status = await readFile(`/proc/${local.process.pid}/status`, 'utf8').catch(() => '');
  hubPeak = status.match(/VmHWM:\s+(\d+) kB/)?.[1];
  await local.stop();
}
console.log(formatReport(report, Date.now() - t0));
if (hubPeak) console.log(`  local-hub peak RSS: ${Math.round(Number(hubPeak) / 1024)} MB`);
process.exitCode = report.failures.length ? 1 : 0;
