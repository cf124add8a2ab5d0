// Loads the shared test vectors (tests/vectors/*.json, never edited); the inputs they describe
// are rebuilt by ./generate.mjs.
import { readFileSync } from 'node:fs';

export { fromHex, generate } from './generate.mjs';

const dir = new URL('../../vectors/', import.meta.url);
/** @param {string} name */
export const loadVectors = (name) => JSON.parse(readFileSync(new URL(name, dir), 'utf8'));
