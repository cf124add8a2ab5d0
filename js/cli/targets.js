// Bucket arguments: `ns/name[/path]` or `hf://buckets/ns/name[/path]` (§7.2, §7.4). Malformed
// ones are usage errors; names themselves are checked by the client (a `ValidationError`).

import { UsageError } from './errors.js';

/**
 * @typedef {object} BucketTarget
 * @property {string} bucketId `ns/name`
 * @property {string} path path inside, without leading or trailing `/` (`''` for the root)
 * @property {boolean} trailingSlash whether the argument ended with `/`
 */

/**
 * @param {string} arg
 * @param {string} command for the usage error
 * @param {{ path?: boolean }} [accept] whether a path after `ns/name` is allowed
 * @returns {BucketTarget}
 */
export function bucketTarget(arg, command, accept = {}) {
  let rest = arg;
  if (/^hf:\/\//i.test(arg)) {
    if (!arg.startsWith('hf://buckets/')) throw new UsageError(`'${arg}' is not a bucket (hf://buckets/NAMESPACE/NAME).`, command);
    rest = arg.slice('hf://buckets/'.length);
  }
  const parts = rest.split('/');
  const [namespace, name] = parts;
  if (!namespace || !name) throw new UsageError(`'${arg}' is not a bucket id (NAMESPACE/NAME).`, command);
  const path = parts.slice(2).filter(Boolean).join('/');
  if (path && !accept.path) throw new UsageError(`'${arg}' must be a bucket id (NAMESPACE/NAME) without a path.`, command);
  return { bucketId: `${namespace}/${name}`, path, trailingSlash: rest.endsWith('/') };
}

const isWebUrl = (/** @type {string} */ arg) => /^https?:\/\//i.test(arg);

/**
 * Hub web URLs among the arguments (`https://huggingface.co/buckets/ns/name/tree/dir`, or on
 * `HF_ENDPOINT`) become `hf://` URIs, through the package's parser (API §13); a trailing `/`
 * is kept (it means "into this folder" / "the folder's contents"). Other arguments pass as is.
 * @param {string[]} args
 * @param {string | undefined} endpoint
 * @param {() => Promise<typeof import('../node/index.js')>} loadPackage
 * @param {string} command
 * @returns {Promise<string[]>}
 */
export async function webUrlsToHf(args, endpoint, loadPackage, command) {
  if (!args.some(isWebUrl)) return args;
  const { parseHfUri, formatHfUri } = await loadPackage();
  return args.map((arg) => {
    if (!isWebUrl(arg)) return arg;
    try {
      const parts = parseHfUri(arg, endpoint ? { endpoint } : {});
      const trailingSlash = parts.trailingSlash || /\/([?#].*)?$/.test(arg);
      return formatHfUri({ ...parts, trailingSlash: trailingSlash && parts.path !== '' }) + (trailingSlash && parts.path === '' ? '/' : '');
    } catch (error) {
      throw new UsageError(/** @type {Error} */ (error).message, command);
    }
  });
}
