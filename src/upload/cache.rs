//! The local shard cache (xet spec §8.1 step 2, "two sessions sharing the local shard cache"):
//! the shards of recent upload sessions, kept where the platform can (Node: a folder under the
//! user's cache directory, see `js/node/shard-cache.js`), so that uploading recent content again
//! finds its chunks without asking the CAS's global-dedup index, as the official client does.
//!
//! Only shards the CAS accepted are kept, under the chunk hashes a later upload would query
//! ([`cache_keys`]). A cached shard is used exactly like a global-dedup answer (its xorb listings
//! prove their xorbs, see `plan::listing_proves_xorb`); an entry that cannot be read or parsed is
//! skipped and the query goes to the CAS. The store decides where entries live, how many it
//! keeps and when it forgets them; it must be safe to delete at any time.

use xet::shard::Shard;
use xet::Hash;

/// Where shards of earlier sessions are kept, per CAS.
pub trait ShardCache {
    /// A kept shard that lists `chunk`, for the CAS at `cas_url`, if there is one.
    fn lookup(&self, cas_url: &str, chunk: &Hash) -> Option<Vec<u8>>;

    /// Keeps `shard` (a session shard the CAS at `cas_url` accepted) under `keys`.
    fn store(&self, cas_url: &str, shard: &[u8], keys: &[Hash]);
}

/// The chunk hashes under which `shard` answers a later upload's dedup queries (§8.1 step 3):
/// the first chunk of each of its files and every chunk eligible by its hash, among the chunks
/// its own xorb listings hold (a file's first chunk stored in an older xorb is not in them).
pub fn cache_keys(shard: &Shard) -> Vec<Hash> {
    let mut keys: Vec<Hash> = Vec::new();
    for xorb in &shard.xorbs {
        keys.extend(
            xorb.chunks
                .iter()
                .map(|c| c.hash)
                .filter(xet::is_global_dedup_eligible),
        );
    }
    for file in &shard.files {
        let Some(term) = file.terms.first() else {
            continue;
        };
        let first = shard
            .xorbs
            .iter()
            .find(|x| x.xorb_hash == term.xorb_hash)
            .and_then(|x| x.chunks.get(term.chunk_start as usize));
        if let Some(c) = first {
            keys.push(c.hash);
        }
    }
    keys.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    keys.dedup();
    keys
}
