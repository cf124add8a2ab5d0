//! Segments chunked on their own and stitched (`xet::segment`) give exactly the chunks of one
//! whole-file pass: seeded random property runs over random, text and mixed data with random
//! segment edges, and the adversarial cases (no hash match for a long stretch, an edge on a
//! boundary, tiny segments, an edge inside the minimum-chunk skip).

mod common;

use common::{splitmix64, text_lines, Rng};
use xet::chunker::{MAX_CHUNK_SIZE, MIN_CHUNK_SIZE};
use xet::segment::{chunk_segment, SegmentBytes, SegmentReport, StitchError, Stitcher};
use xet::{chunk_all, Chunk};

/// Chunks `data` in the segments cut at `edges` (increasing, within the data) and stitches them.
fn stitched(data: &[u8], edges: &[usize]) -> (Vec<Chunk>, Vec<SegmentReport>) {
    let mut stitcher = Stitcher::new();
    let mut out = Vec::new();
    let mut reports = Vec::new();
    let mut from = 0;
    for &to in edges.iter().chain([&data.len()]) {
        let segment = &data[from..to];
        let found = chunk_segment(segment, from as u64);
        reports.push(stitcher.push_segment(segment, &found, &mut out).unwrap());
        assert_eq!(stitcher.next_offset(), to as u64);
        from = to;
    }
    stitcher.finish(&mut out);
    (out, reports)
}

fn assert_same(data: &[u8], edges: &[usize], what: &str) -> Vec<SegmentReport> {
    let (out, reports) = stitched(data, edges);
    let expected = chunk_all(data);
    assert_eq!(
        out.len(),
        expected.len(),
        "{what}: chunk count, edges {edges:?}"
    );
    for (i, (a, b)) in out.iter().zip(&expected).enumerate() {
        assert_eq!(a, b, "{what}: chunk {i}, edges {edges:?}");
    }
    reports
}

/// Random edges: mostly large segments, some tiny and empty ones.
fn random_edges(rng: &mut Rng, len: usize) -> Vec<usize> {
    let mut edges = Vec::new();
    let mut at = 0usize;
    loop {
        let step = match rng.below(6) {
            0 => rng.below(16) as usize,
            1 => rng.below(MIN_CHUNK_SIZE as u64 + 200) as usize,
            2 => rng.below(MAX_CHUNK_SIZE as u64 * 2) as usize,
            _ => 200_000 + rng.below(800_000) as usize,
        };
        at += step;
        if at >= len {
            return edges;
        }
        edges.push(at);
    }
}

/// Mixed textures: random, constant, text and float-like runs.
fn mixed(rng: &mut Rng, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        let run = 1 + rng.below(300_000) as usize;
        match rng.below(4) {
            0 => out.extend(splitmix64(rng.next(), run)),
            1 => out.extend(std::iter::repeat_n(rng.next() as u8, run)),
            2 => out.extend(text_lines(run)),
            _ => out.extend((0..run).map(|i| if i % 4 == 3 { 0x3f } else { (i / 4) as u8 })),
        }
    }
    out.truncate(len);
    out
}

#[test]
fn one_segment_is_chunk_all() {
    let data = splitmix64(1, 700_000);
    let (out, reports) = stitched(&data, &[]);
    assert_eq!(out, chunk_all(&data));
    // Only the bytes after the last cut are chunked by the stitcher.
    let last = out.last().unwrap();
    assert_eq!(reports[0].rechunked_bytes, u64::from(last.len));
}

#[test]
fn property_random_data_random_edges() {
    let mut rng = Rng(1);
    for case in 0..12 {
        let len = rng.below(3 << 20) as usize;
        let data = splitmix64(rng.next(), len);
        let edges = random_edges(&mut rng, len);
        assert_same(&data, &edges, &format!("random case {case}"));
    }
}

#[test]
fn property_text_data_random_edges() {
    let mut rng = Rng(2);
    let text = text_lines(4 << 20);
    for case in 0..10 {
        let start = rng.below(1 << 20) as usize;
        let len = rng.below(3 << 20) as usize;
        let data = &text[start..start + len];
        let edges = random_edges(&mut rng, len);
        assert_same(data, &edges, &format!("text case {case}"));
    }
}

#[test]
fn property_mixed_data_random_edges() {
    let mut rng = Rng(3);
    for case in 0..10 {
        let len = rng.below(3 << 20) as usize;
        let data = mixed(&mut rng, len);
        let edges = random_edges(&mut rng, len);
        assert_same(&data, &edges, &format!("mixed case {case}"));
    }
}

#[test]
fn resynchronises_within_a_few_chunks_on_random_and_text_data() {
    for (name, data) in [
        ("random", splitmix64(7, 24 << 20)),
        ("text", text_lines(24 << 20)),
    ] {
        let edges: Vec<usize> = (1..12).map(|i| i * (2 << 20) + 12_345 * i).collect();
        let reports = assert_same(&data, &edges, name);
        for (i, r) in reports.iter().enumerate().skip(1) {
            // The head up to the first shared cut plus the tail after the segment's last cut.
            assert!(
                r.rechunked_bytes <= 5 * MAX_CHUNK_SIZE as u64,
                "{name} segment {i}: re-chunked {} bytes",
                r.rechunked_bytes
            );
            assert!(r.reused_chunks > 0, "{name} segment {i}");
        }
    }
}

#[test]
fn no_hash_match_for_a_long_stretch() {
    // Constant bytes never match: only maximum-size cuts, which do not line up across an edge.
    let mut data = vec![0u8; 3 << 20];
    data.extend(splitmix64(9, 1 << 20));
    let edges = [
        100_000,
        MAX_CHUNK_SIZE * 5,
        MAX_CHUNK_SIZE * 5 + 1,
        2_000_001,
        (3 << 20) - 10,
        (3 << 20) + 5000,
    ];
    let reports = assert_same(&data, &edges, "zeros then random");
    // Inside the constant run, the stitcher chunks the whole segment itself.
    assert_eq!(reports[2].rechunked_bytes, 1);
    assert_eq!(
        reports[3].rechunked_bytes,
        (2_000_001 - MAX_CHUNK_SIZE * 5 - 1) as u64
    );
    assert_eq!(reports[3].reused_chunks, 0);
}

#[test]
fn edge_exactly_on_a_boundary() {
    for data in [splitmix64(11, 3 << 20), text_lines(3 << 20)] {
        let ends: Vec<usize> = chunk_all(&data)
            .iter()
            .map(|c| (c.offset + u64::from(c.len)) as usize)
            .collect();
        // Every other true boundary is an edge: each segment is synchronised at its first byte,
        // so the stitcher chunks only the bytes after the segment's last cut (none here).
        let edges: Vec<usize> = ends[..ends.len() - 1].iter().copied().step_by(2).collect();
        let reports = assert_same(&data, &edges, "edges on boundaries");
        for r in &reports[..reports.len() - 1] {
            assert_eq!(r.rechunked_bytes, 0);
        }
        // Just before and after a boundary.
        for d in [-1i64, 1] {
            let near: Vec<usize> = edges.iter().map(|&e| (e as i64 + d) as usize).collect();
            assert_same(&data, &near, "edges next to boundaries");
        }
    }
}

#[test]
fn edge_inside_the_minimum_chunk_skip() {
    let data = splitmix64(13, 2 << 20);
    let ends: Vec<usize> = chunk_all(&data)
        .iter()
        .map(|c| (c.offset + u64::from(c.len)) as usize)
        .collect();
    for k in [1usize, 63, 64, 65, 8063, 8064, 8127, 8128, 8191, 8192, 8193] {
        let edges: Vec<usize> = ends[..ends.len() - 1]
            .iter()
            .map(|&e| e + k)
            .filter(|&e| e < data.len())
            .collect();
        // Edges closer than a chunk apart are fine too: deduplicate and keep them increasing.
        let mut edges = edges;
        edges.dedup();
        assert_same(&data, &edges, &format!("edge {k} bytes after boundaries"));
    }
}

#[test]
fn tiny_segments() {
    let mut rng = Rng(5);
    for data in [
        splitmix64(17, 400_000),
        text_lines(400_000),
        vec![7u8; 400_000],
    ] {
        for size in [1usize, 2, 7, 64, 100, 8191, 8192] {
            let edges: Vec<usize> = (1..data.len() / size)
                .map(|i| i * size)
                .take(6000)
                .collect();
            assert_same(&data, &edges, &format!("segments of {size} bytes"));
        }
        // Empty segments and random tiny ones between large ones.
        let mut edges = vec![0, 0, 1, 1, 5];
        let mut at = 5;
        while at < data.len() {
            at += 1 + rng.below(50_000) as usize;
            if at < data.len() {
                edges.push(at);
                edges.push(at);
            }
        }
        assert_same(&data, &edges, "empty and random segments");
    }
}

#[test]
fn small_files() {
    for len in [
        0usize,
        1,
        MIN_CHUNK_SIZE - 1,
        MIN_CHUNK_SIZE,
        MAX_CHUNK_SIZE,
        MAX_CHUNK_SIZE + 1,
    ] {
        let data = splitmix64(19, len);
        assert_same(&data, &[], &format!("{len} bytes, one segment"));
        if len > 1 {
            assert_same(&data, &[len / 2], &format!("{len} bytes, two segments"));
        }
    }
}

#[test]
fn bad_segment_chunks_are_typed_errors() {
    let mut rng = Rng(23);
    let data = splitmix64(29, 1 << 20);
    let good = chunk_segment(&data, 0);
    for _ in 0..200 {
        let mut bad = good.clone();
        let i = rng.below(bad.len() as u64) as usize;
        match rng.below(3) {
            0 => bad[i].offset = bad[i].offset.wrapping_add(1 + rng.below(100)),
            1 => bad[i].len = rng.next() as u32 | (1 << 20),
            _ => {
                bad.remove(i);
            }
        }
        let mut stitcher = Stitcher::new();
        let mut out = Vec::new();
        let err = stitcher.push_segment(&data, &bad, &mut out);
        // Removing the last chunk leaves a valid (shorter) list: still the true chunks.
        if err.is_ok() {
            stitcher.finish(&mut out);
            assert_eq!(out, chunk_all(&data));
        } else {
            assert!(matches!(
                err,
                Err(StitchError::Misplaced { .. })
                    | Err(StitchError::Length { .. })
                    | Err(StitchError::PastEnd { .. })
            ));
            assert!(out.is_empty());
            assert_eq!(stitcher.next_offset(), 0);
        }
    }
}

/// A segment read through a copy window of at most `window` bytes, as the wasm binding reads a
/// JS buffer.
struct Windowed<'a> {
    data: &'a [u8],
    window: usize,
    scratch: Vec<u8>,
    reads: usize,
}

impl SegmentBytes for Windowed<'_> {
    fn bytes_at(&mut self, at: usize) -> &[u8] {
        self.reads += 1;
        let rest = self.data.get(at..).unwrap_or_default();
        self.scratch.clear();
        self.scratch
            .extend_from_slice(&rest[..rest.len().min(self.window)]);
        &self.scratch
    }
}

#[test]
fn segments_read_through_small_windows() {
    let mut rng = Rng(31);
    for window in [1usize, 1000, 65_536, 1 << 20] {
        let len = 1_500_000 + rng.below(500_000) as usize;
        let data = if window % 2 == 0 {
            splitmix64(rng.next(), len)
        } else {
            text_lines(len)
        };
        let edges = random_edges(&mut rng, len);
        let mut stitcher = Stitcher::new();
        let mut out = Vec::new();
        let mut from = 0;
        for &to in edges.iter().chain([&len]) {
            let segment = &data[from..to];
            let found = chunk_segment(segment, from as u64);
            let mut reader = Windowed {
                data: segment,
                window,
                scratch: Vec::new(),
                reads: 0,
            };
            let report = stitcher
                .push_segment_from(segment.len(), &mut reader, &found, &mut out)
                .unwrap();
            // Each window is read once: no re-reads of bytes already handed out.
            let expected_reads = (report.rechunked_bytes as usize).div_ceil(window);
            assert!(
                reader.reads <= expected_reads + 2,
                "window {window}: {} reads for {} bytes",
                reader.reads,
                report.rechunked_bytes
            );
            from = to;
        }
        stitcher.finish(&mut out);
        assert_eq!(out, chunk_all(&data), "window {window}");
    }
}
