//! `hf-buckets/xet`: the JS face of the Xet core (spec `xet-protocol.md` §1.1, §2, §3).
//!
//! Thin by design: every JS value is checked and converted here, at one edge, into the Rust types
//! of the `xet` crate, and every failure becomes a `XetError` (built by `js/xet/errors.js`) with a
//! `code` — never a panic, never a thrown string. No chunking or hashing logic lives here.
//!
//! Input bytes are copied into wasm memory through a fixed 1 MiB window (the one copy the
//! boundary forces), so memory stays bounded however large a slice JS passes in.
//!
//! ```js
//! import { Chunker, fileHashFromChunks } from 'hf-buckets/xet';
//! using chunker = new Chunker();
//! const chunks = [...chunker.push(bytes), ...chunker.finish()];
//! fileHashFromChunks(chunks); // xet hex
//! ```

// `#[wasm_bindgen]` exports must be `pub` although the module is private.
#![allow(unreachable_pub)]

use core::fmt;

use js_sys::{Array, ArrayBuffer, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use xet::segment::{SegmentBytes, StitchError, Stitcher};
use xet::{Chunk, ChunkHasher, Hash, HashParseError};

/// Bytes copied from JS into wasm memory at a time.
const WINDOW_BYTES: u32 = 1 << 20;
/// Largest integer a JS number holds exactly (`Number.MAX_SAFE_INTEGER`).
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** One chunk of a file: where it starts, its length and its chunk hash (xet hex). */
export interface ChunkInfo { offset: number; length: number; hash: string; }
/** What the Merkle hashes need of a chunk. */
export interface ChunkRef { hash: string; length: number; }
"#;

#[wasm_bindgen(module = "/js/xet/errors.js")]
extern "C" {
    #[wasm_bindgen(js_name = makeXetError)]
    fn make_xet_error(code: &str, message: &str) -> JsValue;
}

/// Why a JS argument was rejected. Converted to a JS `XetError` by `From<ArgError> for JsValue`.
#[derive(Debug)]
enum ArgError {
    /// Expected a `Uint8Array`.
    NotBytes { arg: &'static str },
    /// A `Uint8Array` longer than one call takes (4 GiB - 1); `len` is its length.
    TooLong { arg: &'static str, len: u64 },
    /// Expected an array.
    NotArray { arg: &'static str },
    /// Element `index` of an array is not an object with the expected fields.
    NotChunk { arg: &'static str, index: u32 },
    /// A hash is not a string.
    NotString {
        arg: &'static str,
        index: Option<u32>,
    },
    /// A chunk length is not a non-negative safe integer.
    BadLength { arg: &'static str, index: u32 },
    /// A hash string is not 64 hex digits.
    Hash {
        arg: &'static str,
        index: Option<u32>,
        source: HashParseError,
    },
    /// Raw hash bytes are not exactly 32 bytes.
    HashBytes { len: u32 },
    /// Packed segment chunks are not whole records, or do not fit the segment.
    Segment { reason: &'static str },
}

impl ArgError {
    /// The stable `code` of the JS error.
    fn code(&self) -> &'static str {
        match self {
            ArgError::Hash { .. } | ArgError::HashBytes { .. } => "INVALID_HASH",
            _ => "INVALID_ARGUMENT",
        }
    }
}

/// `arg` or `arg[index]`, for messages.
struct Place(&'static str, Option<u32>);

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.1 {
            Some(i) => write!(f, "{}[{}]", self.0, i),
            None => f.write_str(self.0),
        }
    }
}

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ArgError::NotBytes { arg } => write!(f, "{arg} must be a Uint8Array"),
            ArgError::TooLong { arg, len } => write!(
                f,
                "{arg} has {len} bytes, more than one call takes (4 GiB - 1); push it to a Chunker in slices"
            ),
            ArgError::NotArray { arg } => write!(f, "{arg} must be an array"),
            ArgError::NotChunk { arg, index } => {
                write!(f, "{} must be an object {{ hash, length }}", Place(arg, Some(index)))
            }
            ArgError::NotString { arg, index } => {
                write!(f, "{} must be a xet hex string", Place(arg, index))
            }
            ArgError::BadLength { arg, index } => write!(
                f,
                "{}.length must be a non-negative safe integer",
                Place(arg, Some(index))
            ),
            ArgError::Hash { arg, index, source } => write!(f, "{}: {source}", Place(arg, index)),
            ArgError::HashBytes { len } => write!(f, "a raw hash is 32 bytes, got {len}"),
            ArgError::Segment { reason } => write!(f, "segment chunks: {reason}"),
        }
    }
}

impl From<ArgError> for JsValue {
    fn from(e: ArgError) -> JsValue {
        make_xet_error(e.code(), &e.to_string())
    }
}

/// Checks that `value` is a real `Uint8Array` (or subclass, e.g. `Buffer`) whose length fits
/// the `u32` offsets of the js-sys typed-array API.
fn as_bytes<'a>(value: &'a JsValue, arg: &'static str) -> Result<&'a Uint8Array, ArgError> {
    let bytes = value
        .dyn_ref::<Uint8Array>()
        .filter(|_| ArrayBuffer::is_view(value))
        .ok_or(ArgError::NotBytes { arg })?;
    // `length()` is truncated to u32 by the glue; read the exact number to reject larger arrays.
    let len = Reflect::get(value, &JsValue::from_str("length"))
        .ok()
        .and_then(|v| v.as_f64())
        .unwrap_or(0.0);
    if len > f64::from(u32::MAX) {
        // A JS array length is an integer below 2^53: exact as u64 (and no float formatting,
        // which would add ~20 KB to the wasm).
        return Err(ArgError::TooLong {
            arg,
            len: len as u64,
        });
    }
    Ok(bytes)
}

/// Checks that `value` is an array.
fn as_array<'a>(value: &'a JsValue, arg: &'static str) -> Result<&'a Array, ArgError> {
    if Array::is_array(value) {
        Ok(value.unchecked_ref::<Array>())
    } else {
        Err(ArgError::NotArray { arg })
    }
}

/// Parses a xet hex string.
fn parse_hash(value: &JsValue, arg: &'static str, index: Option<u32>) -> Result<Hash, ArgError> {
    let text = value
        .as_string()
        .ok_or(ArgError::NotString { arg, index })?;
    Hash::from_hex(&text).map_err(|source| ArgError::Hash { arg, index, source })
}

/// The xet hex form as a JS string.
fn hash_to_js(hash: &Hash) -> JsValue {
    let hex = hash.to_hex_bytes();
    JsValue::from_str(core::str::from_utf8(&hex).unwrap_or_default())
}

/// Converts `[{ hash, length }, ...]` into the `(hash, size)` leaves of the Merkle hashes.
fn parse_chunk_refs(value: &JsValue, arg: &'static str) -> Result<Vec<(Hash, u64)>, ArgError> {
    let array = as_array(value, arg)?;
    let hash_key = JsValue::from_str("hash");
    let length_key = JsValue::from_str("length");
    let mut leaves = Vec::with_capacity(array.length() as usize);
    for index in 0..array.length() {
        let item = array.get(index);
        if !item.is_object() {
            return Err(ArgError::NotChunk { arg, index });
        }
        let field =
            |key: &JsValue| Reflect::get(&item, key).map_err(|_| ArgError::NotChunk { arg, index });
        let hash = parse_hash(&field(&hash_key)?, arg, Some(index))?;
        let length = field(&length_key)?
            .as_f64()
            .filter(|n| n.fract() == 0.0 && (0.0..=MAX_SAFE_INTEGER).contains(n))
            .ok_or(ArgError::BadLength { arg, index })?;
        // Checked above: a non-negative integer no larger than 2^53 - 1.
        leaves.push((hash, length as u64));
    }
    Ok(leaves)
}

/// Feeds `bytes` to `sink` through the bounded copy window `scratch`.
fn for_each_window(bytes: &Uint8Array, scratch: &mut Vec<u8>, mut sink: impl FnMut(&[u8])) {
    let total = bytes.length();
    let mut start = 0u32;
    while start < total {
        let view = bytes.subarray(start, total.min(start.saturating_add(WINDOW_BYTES)));
        // The view's own length (at most WINDOW_BYTES) sizes the copy, as `copy_to` requires.
        let len = view.length();
        if len == 0 {
            break;
        }
        if scratch.len() < len as usize {
            scratch.resize(len as usize, 0);
        }
        let Some(window) = scratch.get_mut(..len as usize) else {
            break;
        };
        view.copy_to(window);
        sink(window);
        start = start.saturating_add(len);
    }
}

/// Chunks and hashes `bytes` from a boundary at their first byte; with `finish`, the bytes after
/// the last cut make the last chunk (a whole file), else they are left out (a segment).
fn chunk_bytes(bytes: &Uint8Array, finish: bool) -> Vec<Chunk> {
    let mut hasher = ChunkHasher::new();
    let mut chunks = Vec::new();
    let mut scratch = Vec::new();
    for_each_window(bytes, &mut scratch, |window| {
        hasher.push(window, &mut chunks)
    });
    if finish {
        hasher.finish(&mut chunks);
    }
    chunks
}

/// `{ offset, length, hash }` for JS.
fn chunk_to_js(chunk: &Chunk, keys: &ChunkKeys) -> JsValue {
    let object = Object::new();
    // Setting a data property on a fresh plain object cannot fail.
    let _ = Reflect::set(
        &object,
        &keys.offset,
        &JsValue::from_f64(chunk.offset as f64),
    );
    let _ = Reflect::set(
        &object,
        &keys.length,
        &JsValue::from_f64(f64::from(chunk.len)),
    );
    let _ = Reflect::set(&object, &keys.hash, &hash_to_js(&chunk.hash));
    object.into()
}

/// Property names of a chunk object, created once per call.
struct ChunkKeys {
    offset: JsValue,
    length: JsValue,
    hash: JsValue,
}

impl ChunkKeys {
    fn new() -> ChunkKeys {
        ChunkKeys {
            offset: JsValue::from_str("offset"),
            length: JsValue::from_str("length"),
            hash: JsValue::from_str("hash"),
        }
    }
}

/// Moves the chunks collected in `out` into a JS array.
fn drain_chunks(out: &mut Vec<Chunk>) -> Array {
    let keys = ChunkKeys::new();
    let array = Array::new_with_length(out.len() as u32);
    for (i, chunk) in out.iter().enumerate() {
        array.set(i as u32, chunk_to_js(chunk, &keys));
    }
    out.clear();
    array
}

/// Chunks `bytes` as one whole file and returns its file hash.
#[wasm_bindgen(js_name = fileHash)]
pub fn file_hash(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: &JsValue,
) -> Result<String, JsValue> {
    let chunks = chunk_bytes(as_bytes(bytes, "bytes")?, true);
    let leaves: Vec<(Hash, u64)> = chunks.iter().map(|c| (c.hash, u64::from(c.len))).collect();
    Ok(xet::file_hash(&leaves).to_hex())
}

/// File hash of a file made of `chunks` (`{ hash, length }` in file order).
#[wasm_bindgen(js_name = fileHashFromChunks)]
pub fn file_hash_from_chunks(
    #[wasm_bindgen(unchecked_param_type = "readonly ChunkRef[]")] chunks: &JsValue,
) -> Result<String, JsValue> {
    Ok(xet::file_hash(&parse_chunk_refs(chunks, "chunks")?).to_hex())
}

/// Xorb hash of a xorb holding `chunks` (`{ hash, length }` in xorb order).
#[wasm_bindgen(js_name = xorbHash)]
pub fn xorb_hash(
    #[wasm_bindgen(unchecked_param_type = "readonly ChunkRef[]")] chunks: &JsValue,
) -> Result<String, JsValue> {
    Ok(xet::xorb_hash(&parse_chunk_refs(chunks, "chunks")?).to_hex())
}

/// Chunk hash of `bytes` (one chunk's content).
#[wasm_bindgen(js_name = chunkHash)]
pub fn chunk_hash(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: &JsValue,
) -> Result<String, JsValue> {
    Ok(xet::chunk_hash(&as_bytes(bytes, "bytes")?.to_vec()).to_hex())
}

/// Verification (range) hash of a term's chunk hashes, in order.
#[wasm_bindgen(js_name = verificationHash)]
pub fn verification_hash(
    #[wasm_bindgen(unchecked_param_type = "readonly string[]")] hashes: &JsValue,
) -> Result<String, JsValue> {
    let array = as_array(hashes, "hashes")?;
    let mut parsed = Vec::with_capacity(array.length() as usize);
    for index in 0..array.length() {
        parsed.push(parse_hash(&array.get(index), "hashes", Some(index))?);
    }
    Ok(xet::verification_hash(&parsed).to_hex())
}

/// The 32 raw bytes of a xet hex hash.
#[wasm_bindgen(js_name = hashToBytes)]
pub fn hash_to_bytes(
    #[wasm_bindgen(unchecked_param_type = "string")] hash: &JsValue,
) -> Result<Uint8Array, JsValue> {
    Ok(Uint8Array::from(
        &parse_hash(hash, "hash", None)?.as_bytes()[..],
    ))
}

/// The xet hex form of 32 raw hash bytes.
#[wasm_bindgen(js_name = bytesToHash)]
pub fn bytes_to_hash(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: &JsValue,
) -> Result<String, JsValue> {
    let bytes = as_bytes(bytes, "bytes")?;
    let mut raw = [0u8; 32];
    if bytes.length() != 32 {
        return Err(ArgError::HashBytes {
            len: bytes.length(),
        }
        .into());
    }
    bytes.copy_to(&mut raw);
    Ok(Hash::from_bytes(raw).to_hex())
}

/// Whether a chunk hash is eligible for the global-dedup index.
#[wasm_bindgen(js_name = isGlobalDedupEligible)]
pub fn is_global_dedup_eligible(
    #[wasm_bindgen(unchecked_param_type = "string")] hash: &JsValue,
) -> Result<bool, JsValue> {
    Ok(xet::is_global_dedup_eligible(&parse_hash(
        hash, "hash", None,
    )?))
}

/// Chunks one segment of a file as if a chunk started at its first byte (`xet::chunk_segment`),
/// for a worker. Returns the complete chunks packed as 36-byte records (length `u32` LE, hash),
/// which `Chunker.pushSegment` takes; the bytes after the last chunk are not in it.
#[cfg(not(feature = "client"))]
#[wasm_bindgen(js_name = chunkSegment)]
pub fn chunk_segment_js(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: &JsValue,
) -> Result<Uint8Array, JsValue> {
    let chunks = chunk_bytes(as_bytes(bytes, "bytes")?, false);
    Ok(Uint8Array::from(&xet::pack_chunks(&chunks)[..]))
}

/// A JS slice read by the chunker through the bounded copy window.
struct JsSegment<'a> {
    bytes: &'a Uint8Array,
    scratch: &'a mut Vec<u8>,
    /// Bytes to copy at the next read: small at first, since a segment from `chunkSegment` is
    /// usually re-chunked for a chunk or two only; then the full window.
    next_window: u32,
}

impl<'a> JsSegment<'a> {
    fn new(bytes: &'a Uint8Array, scratch: &'a mut Vec<u8>) -> JsSegment<'a> {
        JsSegment {
            bytes,
            scratch,
            next_window: WINDOW_BYTES / 8,
        }
    }
}

impl SegmentBytes for JsSegment<'_> {
    fn bytes_at(&mut self, at: usize) -> &[u8] {
        let total = self.bytes.length();
        let start = u32::try_from(at).unwrap_or(total).min(total);
        let window = self.next_window;
        self.next_window = WINDOW_BYTES;
        let view = self
            .bytes
            .subarray(start, total.min(start.saturating_add(window)));
        let len = view.length() as usize;
        if self.scratch.len() < len {
            self.scratch.resize(len, 0);
        }
        match self.scratch.get_mut(..len) {
            Some(window) => {
                view.copy_to(window);
                window
            }
            None => &[],
        }
    }
}

/// Streaming chunker of one file: `push` slices in order, then `finish`.
///
/// It can also take segments already chunked elsewhere (`chunkSegment`, in workers) with
/// `pushSegment`: it then chunks only the bytes near the segment's edges itself and yields the
/// same chunks as `push` would (`xet::segment`).
#[wasm_bindgen(js_name = Chunker)]
pub struct JsChunker {
    inner: Stitcher,
    out: Vec<Chunk>,
    parsed: Vec<Chunk>,
    scratch: Vec<u8>,
}

#[wasm_bindgen(js_class = Chunker)]
impl JsChunker {
    /// A chunker at the start of a file.
    #[wasm_bindgen(constructor)]
    pub fn new() -> JsChunker {
        JsChunker {
            inner: Stitcher::new(),
            out: Vec::new(),
            parsed: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// Consumes the next slice of the file; returns the chunks it completed.
    #[wasm_bindgen(unchecked_return_type = "ChunkInfo[]")]
    pub fn push(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: &JsValue,
    ) -> Result<Array, JsValue> {
        self.push_segment(bytes, None)
    }

    /// Consumes the next slice of the file together with its `chunkSegment` result (the slice
    /// chunked on its own); returns the chunks it completed, as `push` would. Reads only the
    /// bytes it re-chunks (near the slice's edges).
    // Only in the `hf-buckets/xet` build: the client's JS never stitches (its wasm stays smaller).
    #[cfg(not(feature = "client"))]
    #[wasm_bindgen(js_name = pushSegment, unchecked_return_type = "ChunkInfo[]")]
    pub fn push_segment_js(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] bytes: &JsValue,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] chunks: &JsValue,
    ) -> Result<Array, JsValue> {
        self.push_segment(bytes, Some(chunks))
    }

    /// Ends the file: returns the last chunk (if any) and resets for a new file.
    #[wasm_bindgen(unchecked_return_type = "ChunkInfo[]")]
    pub fn finish(&mut self) -> Array {
        self.inner.finish(&mut self.out);
        drain_chunks(&mut self.out)
    }
}

impl JsChunker {
    /// A slice with no segment chunks is chunked whole by the stitcher.
    fn push_segment(
        &mut self,
        bytes: &JsValue,
        chunks: Option<&JsValue>,
    ) -> Result<Array, JsValue> {
        let bytes = as_bytes(bytes, "bytes")?;
        self.parsed.clear();
        if let Some(chunks) = chunks {
            let packed = as_bytes(chunks, "chunks")?.to_vec();
            xet::unpack_chunks(&packed, self.inner.next_offset(), &mut self.parsed).map_err(
                |_| ArgError::Segment {
                    reason: "not whole 36-byte records from chunkSegment",
                },
            )?;
        }
        let mut segment = JsSegment::new(bytes, &mut self.scratch);
        self.inner
            .push_segment_from(
                bytes.length() as usize,
                &mut segment,
                &self.parsed,
                &mut self.out,
            )
            .map_err(|e| ArgError::Segment {
                // Static reasons: formatting the numbers in `StitchError` costs wasm bytes.
                reason: match e {
                    StitchError::ShortRead { .. } => "the segment's bytes changed while stitching",
                    _ => "they do not tile this segment from where the previous one ended",
                },
            })?;
        Ok(drain_chunks(&mut self.out))
    }
}

impl Default for JsChunker {
    fn default() -> Self {
        JsChunker::new()
    }
}
