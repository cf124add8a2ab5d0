// Node side of tests/python/test_sync_parity.py. Prints one plan file (JSON Lines), or
// `{"error": name, "message": …}` as one JSON line when the call throws.
//   node sync_node.mjs plan <hub> <token> '{"source": "./loc", "destination": "hf://buckets/u/b", "delete": true}'
//       plans a sync with hf-buckets and prints `plan.toJSONL()`
//   node sync_node.mjs reformat <plan file>
//       reads a plan file with `parseSyncPlan` and prints it again with `toJSONL()`
import { readFile } from 'node:fs/promises';
import { parseSyncPlan, planSync } from 'hf-buckets';

const [cmd, ...args] = process.argv.slice(2);
try {
  if (cmd === 'plan') {
    const [endpoint, accessToken, arg] = args;
    const plan = await planSync({ endpoint, accessToken, ...JSON.parse(arg) });
    process.stdout.write(plan.toJSONL());
  } else if (cmd === 'reformat') {
    process.stdout.write(parseSyncPlan(await readFile(args[0], 'utf8')).toJSONL());
  } else {
    throw new TypeError(`unknown command ${cmd}`);
  }
} catch (e) {
  process.stdout.write(`${JSON.stringify({ error: e.name, message: e.message })}\n`);
}
