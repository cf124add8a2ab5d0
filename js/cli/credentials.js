// Where the Hub token and endpoint come from, like the Python client: `--token`, else
// `HF_TOKEN`, else the token file (`$HF_TOKEN_PATH`, else `$HF_HOME/token`, with `HF_HOME`
// defaulting to `$XDG_CACHE_HOME/huggingface`, then `~/.cache/huggingface`). The token is only
// handed to the client: it is never printed.

import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/**
 * The token file's path.
 * @param {Record<string, string | undefined>} env
 */
export function tokenPath(env) {
  if (env.HF_TOKEN_PATH) return env.HF_TOKEN_PATH;
  const cache = env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  return path.join(env.HF_HOME || path.join(cache, 'huggingface'), 'token');
}

/**
 * The token to use, or undefined (anonymous).
 * @param {string | undefined} flag `--token`
 * @param {Record<string, string | undefined>} env
 * @returns {string | undefined}
 */
export function resolveToken(flag, env) {
  for (const candidate of [flag, env.HF_TOKEN]) {
    const token = candidate?.trim();
    if (token) return token;
  }
  try {
    return readFileSync(tokenPath(env), 'utf8').trim() || undefined;
  } catch {
    return undefined; // no token file: anonymous, as in the Python client
  }
}

/**
 * The Hub endpoint: `HF_ENDPOINT`, else the client's default.
 * @param {Record<string, string | undefined>} env
 */
export function resolveEndpoint(env) {
  return env.HF_ENDPOINT?.trim().replace(/\/+$/, '') || undefined;
}
