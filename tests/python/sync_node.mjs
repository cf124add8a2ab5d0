// Node side of tests/python/test_sync_parity.py: plans a sync with hf-buckets and prints the
// plan file (`plan.toJSONL()`), or `{"error": name, "message": …}` as one JSON line when the
// call throws.
//   node sync_node.mjs <hub> <token> '{"source": "./loc", "destination": "hf://buckets/u/b", "delete": true}'
import { planSync } from 'hf-buckets';

const [endpoint, accessToken, arg] = process.argv.slice(2);
try {
  const plan = await planSync({ endpoint, accessToken, ...JSON.parse(arg) });
  process.stdout.write(plan.toJSONL());
} catch (e) {
  process.stdout.write(`${JSON.stringify({ error: e.name, message: e.message })}\n`);
}
