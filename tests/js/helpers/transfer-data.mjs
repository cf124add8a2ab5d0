// Deterministic test data for the transfer tests: seeded pseudo-random bytes (incompressible,
// like model weights) produced in pieces, so big streams never sit in memory.
import { createHash, randomFillSync } from 'node:crypto';

/** A seeded generator of pseudo-random bytes (xorshift32 over 32-bit words). */
export class ByteGen {
  constructor(seed) {
    this.x = (seed * 2654435761) >>> 0 || 1;
  }

  /** The next `n` bytes. */
  next(n) {
    const words = new Uint32Array(Math.ceil(n / 4));
    let x = this.x;
    for (let i = 0; i < words.length; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      words[i] = x;
    }
    this.x = x;
    return new Uint8Array(words.buffer, 0, n);
  }
}

/** `n` seeded bytes. */
export function bytes(seed, n) {
  return new ByteGen(seed).next(n);
}

/** A ReadableStream of `total` seeded bytes in pieces of `piece` bytes (unknown length to readers). */
export function byteStream(seed, total, piece = 1 << 20) {
  const gen = new ByteGen(seed);
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= total) {
        controller.close();
        return;
      }
      const n = Math.min(piece, total - sent);
      controller.enqueue(gen.next(n).slice());
      sent += n;
    },
  });
}

/** SHA-256 (hex) of `total` seeded bytes, computed in pieces. */
export function seededSha256(seed, total, piece = 1 << 20) {
  const gen = new ByteGen(seed);
  const h = createHash('sha256');
  for (let sent = 0; sent < total; sent += piece) h.update(gen.next(Math.min(piece, total - sent)));
  return h.digest('hex');
}

/** SHA-256 (hex) and length of everything a ReadableStream yields. */
export async function streamSha256(stream) {
  const h = createHash('sha256');
  let length = 0;
  for await (const piece of stream) {
    h.update(piece);
    length += piece.length;
  }
  return { sha256: h.digest('hex'), length };
}

export const sha256 = (data) => createHash('sha256').update(data).digest('hex');
export const MiB = 1 << 20;

/** `size` fresh random bytes (not seeded; filled 64 KiB at a time, the most one call gives). */
export function randomBytes(size) {
  const out = new Uint8Array(size);
  for (let at = 0; at < size; at += 65536) randomFillSync(out, at, Math.min(65536, size - at));
  return out;
}

/** `size` bytes of numbered text lines (many hash matches, unlike random data). */
export function textBytes(size) {
  const out = Buffer.allocUnsafe(size + 64);
  let at = 0;
  for (let i = 0; at < size; i++) at += out.write(`line ${i}: the quick brown fox ${i * i}\n`, at, 'latin1');
  return new Uint8Array(out.buffer, out.byteOffset, size);
}
