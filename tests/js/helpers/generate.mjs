// The input generators of xet-vectors.json → generators. Pure (no Node APIs), so the browser
// tests can import it too.

const M64 = (1n << 64n) - 1n;

/** splitmix64 stream, little-endian u64 outputs, truncated to `size`. */
function splitmix64(seed, size) {
  const words = new BigUint64Array(Math.ceil(size / 8));
  let state = BigInt(seed) & M64;
  for (let i = 0; i < words.length; i++) {
    state = (state + 0x9e3779b97f4a7c15n) & M64;
    let z = state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
    words[i] = z ^ (z >> 31n);
  }
  // BigUint64Array uses the platform byte order; every supported platform is little-endian.
  return new Uint8Array(words.buffer, 0, size);
}

function textLines(size) {
  const parts = [];
  let total = 0;
  for (let i = 0; total < size; i++) {
    const line = `line ${i}: the quick brown fox ${BigInt(i) * BigInt(i)}\n`;
    parts.push(line);
    total += line.length;
  }
  return new TextEncoder().encode(parts.join('')).subarray(0, size);
}

/** Repeats `unit` (last copy truncated) to `size` bytes. */
function repeatTo(unit, size) {
  const out = new Uint8Array(size);
  if (unit.length === 0) return out;
  for (let at = 0; at < size; at += unit.length) out.set(unit.subarray(0, size - at), at);
  return out;
}

const fromHex = (hex) => Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));

/** Builds the bytes of a generator description. @returns {Uint8Array} */
export function generate(input) {
  switch (input.kind) {
    case 'splitmix64':
      return splitmix64(input.seed, input.size);
    case 'const':
      return new Uint8Array(input.size).fill(input.byte);
    case 'text_lines':
      return textLines(input.size);
    case 'hex':
      return fromHex(input.hex);
    case 'repeat':
      return repeatTo(generate(input.block), input.size);
    case 'pattern_padded_repeat': {
      const pattern = fromHex(input.pattern_hex);
      const unit = new Uint8Array(pattern.length + input.padding);
      unit.set(pattern);
      return repeatTo(unit, input.size);
    }
    case 'concat': {
      const parts = input.parts.map(generate);
      const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) { out.set(p, at); at += p.length; }
      return out;
    }
    case 'xor_byte': {
      const out = generate(input.base).slice();
      out[input.offset] ^= input.xor;
      return out;
    }
    case 'insert': {
      const base = generate(input.base);
      const extra = fromHex(input.hex);
      const out = new Uint8Array(base.length + extra.length);
      out.set(base.subarray(0, input.offset));
      out.set(extra, input.offset);
      out.set(base.subarray(input.offset), input.offset + extra.length);
      return out;
    }
    case 'f32_ramp': {
      const values = new Float32Array(input.count);
      for (let i = 0; i < input.count; i++) values[i] = Math.fround(Math.fround((i % 1000) * Math.fround(0.001)) - 0.5);
      return new Uint8Array(values.buffer);
    }
    default:
      throw new Error(`unknown generator kind ${input.kind}`);
  }
}

export { fromHex };
