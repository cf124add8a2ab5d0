//! `upload::commit` against a real local-hub (with the official Xet CAS server embedded), over
//! the native transport: new data, dedup, copies from a bucket and from a repo with the re-upload
//! policy, and an abort that commits nothing.
//!
//! The binary is `$LOCAL_HUB_BIN`, else `target/debug/local-hub` (built by
//! `cargo test --workspace` or `cargo build -p local-hub`).
#![cfg(all(feature = "client", not(target_arch = "wasm32")))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::rc::Rc;

use hf_buckets::cas::token::{HubTokens, TokenCache, TokenScope};
use hf_buckets::cas::CasClient;
use hf_buckets::error::{Error, ErrorKind};
use hf_buckets::hub::{Api, BatchLine, BucketId, HfUri, HubClient};
use hf_buckets::transport::native::NativeClient;
use hf_buckets::transport::retry::RetryPolicy;
use hf_buckets::transport::{Bytes, Cancel, HttpClient, Method, Request};
use hf_buckets::upload::commit::{
    copy_files, upload_and_commit, CommitOptions, NewFile, ReuploadLimits,
};
use hf_buckets::upload::{BytesSource, Source};

/// A running local-hub, killed on drop.
struct LocalHub {
    child: Child,
    hub: String,
    token: String,
    admin_token: String,
    user: String,
    data_dir: PathBuf,
}

impl LocalHub {
    fn start() -> LocalHub {
        let bin = std::env::var_os("LOCAL_HUB_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                let target = std::env::var_os("CARGO_TARGET_DIR")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
                target.join("debug").join("local-hub")
            });
        assert!(
            bin.exists(),
            "{} not found: run `cargo build -p local-hub` or set LOCAL_HUB_BIN",
            bin.display()
        );
        let data_dir = std::env::temp_dir().join(format!(
            "hf-buckets-commit-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        let mut child = Command::new(&bin)
            .args(["--port", "0", "--data-dir"])
            .arg(&data_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let line = lines
            .next()
            .expect("local-hub exited before its start-up line")
            .unwrap();
        // Keep draining its output so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let info: serde_json::Value = serde_json::from_str(&line).unwrap();
        let s = |k: &str| info[k].as_str().unwrap().to_string();
        LocalHub {
            child,
            hub: s("hub"),
            token: s("token"),
            admin_token: s("adminToken"),
            user: s("user"),
            data_dir,
        }
    }

    fn client(&self) -> Rc<HubClient> {
        let api = Api::new(&self.hub, Some(self.token.clone())).unwrap();
        Rc::new(HubClient::new(
            Rc::new(NativeClient::new()),
            api,
            RetryPolicy::default(),
        ))
    }

    /// `POST /admin/repos` (seeds a repo with files).
    async fn seed_repo(&self, seed: serde_json::Value) {
        let req = Request::new(Method::Post, format!("{}/admin/repos", self.hub))
            .header("authorization", format!("Bearer {}", self.admin_token))
            .body("application/json", seed.to_string().into_bytes());
        let resp = NativeClient::new().send(req, &Cancel::new()).await.unwrap();
        assert_eq!(resp.status, 200, "seeding {seed}");
    }
}

impl Drop for LocalHub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

fn cas_for(hub: &Rc<HubClient>) -> impl Fn(&BucketId) -> Rc<CasClient> {
    let hub = hub.clone();
    move |id: &BucketId| {
        Rc::new(CasClient::new(
            hub.http().clone(),
            *hub.retry_policy(),
            TokenCache::new(Rc::new(HubTokens::new(
                hub.clone(),
                id.clone(),
                TokenScope::Write,
            ))),
            "native-commit-test".into(),
        ))
    }
}

/// Deterministic, incompressible-looking bytes.
fn data(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn file(path: &str, bytes: &[u8], mtime: Option<i64>) -> NewFile {
    NewFile {
        path: path.into(),
        source: Box::new(BytesSource::new(bytes.to_vec(), 64 * 1024)),
        mtime,
        content_type: None,
    }
}

async fn bucket(hub: &HubClient, user: &str, name: &str) -> BucketId {
    let made = hub
        .create_bucket(name, None, &Default::default(), false, &Cancel::new())
        .await
        .unwrap();
    let id: BucketId = made.bucket_id.parse().unwrap();
    assert_eq!(id.to_string(), format!("{user}/{name}"));
    id
}

#[tokio::test(flavor = "current_thread")]
async fn upload_dedup_and_copies_against_local_hub() {
    let local = LocalHub::start();
    let hub = local.client();
    let cas_for = cas_for(&hub);
    let cancel = Cancel::new();
    let src = bucket(&hub, &local.user, "commit-src").await;
    let a = data(1, 300_000);
    let b = data(2, 150_000);

    // New data: two files, one mtime given; content types guessed from the paths.
    let report = upload_and_commit(
        &hub,
        &cas_for(&src),
        &src,
        Vec::new(),
        vec![
            file("dir/a.json", &a, Some(1_700_000_000_000)),
            file("dir/b.bin", &b, None),
        ],
        CommitOptions::default(),
        &cancel,
    )
    .await
    .unwrap();
    let batch = report.batch.clone().unwrap();
    assert!(batch.success, "{batch:?}");
    assert_eq!(batch.succeeded, 2);
    let upload = report.upload.clone().unwrap();
    assert_eq!(upload.bytes, (a.len() + b.len()) as u64);
    assert_eq!(upload.new_bytes, upload.bytes);
    assert_eq!(upload.dedup_bytes, 0);
    let paths = ["dir/a.json".to_string(), "dir/b.bin".to_string()];
    let entries = hub.paths_info(&src, &paths, &cancel).await.unwrap();
    assert_eq!(entries.len(), 2);
    for (e, f) in entries.iter().zip(&upload.files) {
        assert_eq!(e.path, f.path);
        assert_eq!(e.xet_hash, f.xet_hash);
        assert_eq!(e.size, f.size);
    }
    let a_entry = entries.iter().find(|e| e.path == "dir/a.json").unwrap();
    assert_eq!(a_entry.content_type.as_deref(), Some("application/json"));
    assert_eq!(a_entry.mtime, Some(1_700_000_000_000));

    // Dedup: the same bytes again under another name store nothing new; the batch also carries
    // a delete line, applied after the add.
    let again = upload_and_commit(
        &hub,
        &cas_for(&src),
        &src,
        vec![BatchLine::Delete {
            path: "dir/b.bin".into(),
        }],
        vec![file("other/a-again.json", &a, None)],
        CommitOptions::default(),
        &cancel,
    )
    .await
    .unwrap();
    let upload = again.upload.unwrap();
    assert_eq!(upload.new_bytes, 0, "{upload:?}");
    assert_eq!(upload.dedup_bytes, a.len() as u64);
    assert_eq!(upload.files[0].xet_hash, a_entry.xet_hash);
    assert!(again.batch.unwrap().success);
    assert!(hub
        .paths_info(&src, &["dir/b.bin".to_string()], &cancel)
        .await
        .unwrap()
        .is_empty());

    // Copy from a bucket: server-side by hash, nothing uploaded.
    let dst = bucket(&hub, &local.user, "commit-dst").await;
    let uri = |s: String| HfUri::parse(&s, Some(&local.hub)).unwrap();
    let copied = copy_files(
        &hub,
        &cas_for,
        &uri(format!("hf://buckets/{src}/dir/")),
        &uri(format!("hf://buckets/{dst}/from-bucket/")),
        CommitOptions::default(),
        &cancel,
    )
    .await
    .unwrap();
    assert!(copied.batch.unwrap().success);
    assert!(copied.upload.is_none());
    let got = hub
        .paths_info(&dst, &["from-bucket/a.json".to_string()], &cancel)
        .await
        .unwrap();
    assert_eq!(got[0].xet_hash, a_entry.xet_hash);

    // Copy from a repo: one Xet file (by hash), two git-stored ones re-uploaded, and one git
    // file over the per-call total, skipped.
    local
        .seed_repo(serde_json::json!({
            "type": "model", "id": format!("{}/m", local.user), "files": [
                {"path": "weights.bin", "xetHash": a_entry.xet_hash},
                {"path": "README.md", "content": "# model\n"},
                {"path": "config.json", "content": "{\"layers\": 2}"},
                {"path": "big.txt", "content": "x".repeat(4000)},
                {"path": ".gitattributes", "content": "*.bin filter=lfs\n"},
            ]
        }))
        .await;
    let options = CommitOptions {
        reupload: ReuploadLimits {
            per_file: 10_000,
            total: 100,
        },
        ..CommitOptions::default()
    };
    let copied = copy_files(
        &hub,
        &cas_for,
        &uri(format!("hf://models/{}/m/", local.user)),
        &uri(format!("hf://buckets/{dst}/from-repo/")),
        options,
        &cancel,
    )
    .await
    .unwrap();
    let batch = copied.batch.unwrap();
    assert!(!batch.success, "a file was skipped");
    assert_eq!(batch.skipped.len(), 1, "{batch:?}");
    assert_eq!(batch.skipped[0].path, "from-repo/big.txt");
    assert!(batch.skipped[0].error.contains("too large to re-upload"));
    assert!(batch.failed.is_empty(), "{batch:?}");
    let upload = copied.upload.unwrap();
    let mut uploaded: Vec<_> = upload.files.iter().map(|f| f.path.as_str()).collect();
    uploaded.sort();
    assert_eq!(uploaded, ["from-repo/README.md", "from-repo/config.json"]);
    let mut tree = hub.list_tree(&dst, "from-repo", true, None).unwrap();
    let mut listed = Vec::new();
    while let Some(page) = tree.next_page(&hub, &cancel).await.unwrap() {
        listed.extend(page.into_iter().map(|e| e.path().to_string()));
    }
    listed.sort();
    assert_eq!(
        listed,
        [
            "from-repo/README.md",
            "from-repo/config.json",
            "from-repo/weights.bin"
        ]
    );
    let cfg = hub
        .paths_info(&dst, &["from-repo/config.json".to_string()], &cancel)
        .await
        .unwrap();
    assert_eq!(cfg[0].content_type.as_deref(), Some("application/json"));
    assert_eq!(cfg[0].size, 13);
}

/// A source that triggers `cancel` after its first piece, as an `AbortSignal` would mid-upload.
struct AbortsAfterFirstPiece {
    inner: BytesSource,
    cancel: Cancel,
    reads: usize,
}

#[async_trait::async_trait(?Send)]
impl Source for AbortsAfterFirstPiece {
    async fn read(&mut self) -> Result<Option<Bytes>, Error> {
        self.reads += 1;
        if self.reads == 2 {
            self.cancel.cancel();
        }
        self.inner.read().await
    }
}

#[tokio::test(flavor = "current_thread")]
async fn abort_commits_nothing() {
    let local = LocalHub::start();
    let hub = local.client();
    let cas_for = cas_for(&hub);
    let id = bucket(&hub, &local.user, "commit-abort").await;
    let cancel = Cancel::new();
    let files = vec![
        file("kept-out/first.bin", &data(3, 100_000), None),
        NewFile {
            path: "kept-out/second.bin".into(),
            source: Box::new(AbortsAfterFirstPiece {
                inner: BytesSource::new(data(4, 2_000_000), 64 * 1024),
                cancel: cancel.clone(),
                reads: 0,
            }),
            mtime: None,
            content_type: None,
        },
    ];
    let err = upload_and_commit(
        &hub,
        &cas_for(&id),
        &id,
        vec![BatchLine::Delete {
            path: "nothing".into(),
        }],
        files,
        CommitOptions::default(),
        &cancel,
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Aborted, "{err}");
    let info = hub.bucket_info(&id, &Cancel::new()).await.unwrap();
    let mut tree = hub.list_tree(&id, "", true, None).unwrap();
    let page = tree.next_page(&hub, &Cancel::new()).await.unwrap();
    assert!(
        page.unwrap_or_default().is_empty(),
        "nothing committed ({info:?})"
    );
}
