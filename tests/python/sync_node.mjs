// Node side of tests/python/test_sync_parity.py. Prints one plan file (JSON Lines), or
// `{"error": name, "message": …}` as one JSON line when the call throws.
//   node sync_node.mjs plan <hub> <token> '{"source": "./loc", "destination": "hf://buckets/u/b", "delete": true}'
//       plans a sync with hf-buckets and prints `plan.toJSONL()`
//   node sync_node.mjs reformat <plan file>
//       reads a plan file with `parseSyncPlan` and prints it again with `toJSONL()`
//   node sync_node.mjs sync <hub> <token> '{"source": …, "destination": …, …}'
//       runs `syncBucket` and prints its report as one JSON line (the plan as its summary); with
//       SYNC_PROGRESS=1 in the environment, each progress event first, as `{"progress": {…}}` lines
//   node sync_node.mjs apply <hub> <token> <plan file>
//       applies a plan file (`applySyncPlan(parseSyncPlan(text))`) and prints the report likewise
// Also the child process of the interruption test (tests/js/sync-apply.test.mjs).
import { readFile } from 'node:fs/promises';
import { applySyncPlan, parseSyncPlan, planSync, syncBucket } from 'hf-buckets';

/** A report as one JSON line: the plan as its summary, errors as `{ name, message }`. */
function printReport(report) {
  const failed = report.failed.map((f) => ({ ...f, error: f.error instanceof Error ? `${f.error.name}: ${f.error.message}` : f.error }));
  process.stdout.write(`${JSON.stringify({ ...report, plan: report.plan.summary, failed })}\n`);
}

const [cmd, ...args] = process.argv.slice(2);
try {
  if (cmd === 'plan') {
    const [endpoint, accessToken, arg] = args;
    const plan = await planSync({ endpoint, accessToken, ...JSON.parse(arg) });
    process.stdout.write(plan.toJSONL());
  } else if (cmd === 'sync') {
    const [endpoint, accessToken, arg] = args;
    const onProgress = process.env.SYNC_PROGRESS === '1' ? (e) => process.stdout.write(`${JSON.stringify({ progress: e })}\n`) : undefined;
    printReport(await syncBucket({ endpoint, accessToken, onProgress, ...JSON.parse(arg) }));
  } else if (cmd === 'apply') {
    const [endpoint, accessToken, file] = args;
    printReport(await applySyncPlan(parseSyncPlan(await readFile(file, 'utf8')), { endpoint, accessToken }));
  } else if (cmd === 'reformat') {
    process.stdout.write(parseSyncPlan(await readFile(args[0], 'utf8')).toJSONL());
  } else {
    throw new TypeError(`unknown command ${cmd}`);
  }
} catch (e) {
  process.stdout.write(`${JSON.stringify({ error: e.name, message: e.message })}\n`);
}
