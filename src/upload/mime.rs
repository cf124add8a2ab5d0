//! Content types guessed from file names, for the batch `addFile.contentType` field (buckets spec
//! §9.2: the Python client guesses from the source name, else from the destination).
//!
//! ```
//! use hf_buckets::upload::mime::guess;
//! assert_eq!(guess("run1/config.json"), Some("application/json"));
//! assert_eq!(guess("weights.SAFETENSORS"), Some("application/octet-stream"));
//! assert_eq!(guess("README"), None);
//! ```

/// Extension (lower case) → MIME type.
const TABLE: &[(&str, &str)] = &[
    ("aac", "audio/aac"),
    ("arrow", "application/vnd.apache.arrow.file"),
    ("avif", "image/avif"),
    ("bin", "application/octet-stream"),
    ("bmp", "image/bmp"),
    ("bz2", "application/x-bzip2"),
    ("c", "text/x-c"),
    ("css", "text/css"),
    ("csv", "text/csv"),
    ("flac", "audio/flac"),
    ("gguf", "application/octet-stream"),
    ("gif", "image/gif"),
    ("gz", "application/gzip"),
    ("h5", "application/x-hdf5"),
    ("htm", "text/html"),
    ("html", "text/html"),
    ("ico", "image/vnd.microsoft.icon"),
    ("ipynb", "application/x-ipynb+json"),
    ("jpeg", "image/jpeg"),
    ("jpg", "image/jpeg"),
    ("js", "text/javascript"),
    ("json", "application/json"),
    ("jsonl", "application/jsonl"),
    ("md", "text/markdown"),
    ("mjs", "text/javascript"),
    ("mp3", "audio/mpeg"),
    ("mp4", "video/mp4"),
    ("npy", "application/octet-stream"),
    ("npz", "application/octet-stream"),
    ("ogg", "audio/ogg"),
    ("onnx", "application/octet-stream"),
    ("parquet", "application/vnd.apache.parquet"),
    ("pdf", "application/pdf"),
    ("pickle", "application/octet-stream"),
    ("pkl", "application/octet-stream"),
    ("png", "image/png"),
    ("pt", "application/octet-stream"),
    ("pth", "application/octet-stream"),
    ("py", "text/x-python"),
    ("rs", "text/x-rust"),
    ("safetensors", "application/octet-stream"),
    ("svg", "image/svg+xml"),
    ("tar", "application/x-tar"),
    ("tif", "image/tiff"),
    ("tiff", "image/tiff"),
    ("toml", "application/toml"),
    ("ts", "text/x-typescript"),
    ("tsv", "text/tab-separated-values"),
    ("txt", "text/plain"),
    ("wasm", "application/wasm"),
    ("wav", "audio/wav"),
    ("webm", "video/webm"),
    ("webp", "image/webp"),
    ("xml", "application/xml"),
    ("yaml", "application/yaml"),
    ("yml", "application/yaml"),
    ("zip", "application/zip"),
    ("zst", "application/zstd"),
];

/// The MIME type for a file name or path, from its extension; `None` when unknown.
pub fn guess(name: &str) -> Option<&'static str> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let (stem, ext) = base.rsplit_once('.')?;
    if stem.is_empty() && !base.get(1..).unwrap_or_default().contains('.') {
        // A dot file such as `.gitignore` has no extension.
        return None;
    }
    let ext = ext.to_ascii_lowercase();
    TABLE
        .binary_search_by(|(e, _)| e.cmp(&ext.as_str()))
        .ok()
        .and_then(|i| TABLE.get(i))
        .map(|(_, m)| *m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_guesses() {
        assert!(
            TABLE.windows(2).all(|w| w[0].0 < w[1].0),
            "binary search needs a sorted table"
        );
        assert_eq!(guess("a/b/c.PNG"), Some("image/png"));
        assert_eq!(guess("c:\\x\\notes.txt"), Some("text/plain"));
        assert_eq!(guess(".gitignore"), None);
        assert_eq!(guess("archive.tar.gz"), Some("application/gzip"));
        assert_eq!(guess("noext"), None);
        assert_eq!(guess("trailing."), None);
        assert_eq!(guess(""), None);
    }
}
