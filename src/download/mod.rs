//! Downloads (xet spec §9, buckets flow 3): reconstruction → ranged fetch → verify → byte stream.
//!
//! * [`plan`] plans the fetches of a reconstruction, decodes and checks every chunk, and yields
//!   the bytes in file order, without I/O.

// pub mod plan; (waits for xet::reconstruction)
