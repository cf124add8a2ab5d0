//! [`Watcher`]: follows a bucket's change feed over [`HubClient`] (buckets-workflows §6).
//!
//! Each [`Watcher::next_batch`] call returns the next non-empty batch of [`WatchEvent`]s (the
//! changes of one or more committed batches, the synthesized changes of a reconcile, or a
//! `ready`), reconnecting between sessions as [`Policy`] says, or ends with an error. The
//! response body is read as it streams, one chunk at a time, through [`SseParser`]; a chunk
//! that takes longer than [`Timing::read_timeout_ms`] ends the session.
//!
//! Cancellation: the watcher owns a [`Cancel`] (from the caller's signal); each session runs
//! under a child of it, cancelled when the session ends or the watcher is dropped, which
//! aborts the HTTP request (the fetch transport releases the connection).

use std::rc::Rc;

use super::feed::{parse as parse_event, Change, FeedEvent};
use super::policy::{Next, Policy, Resume, SessionEnd, Timing};
use super::sse::{SseEvent, SseParser};
use super::view::View;
use crate::error::{Error, ErrorKind};
use crate::hub::{
    in_prefix, normalize_prefix, parse_timestamp, BucketId, HubClient, TreeEntry, ValidationError,
};
use crate::transport::{race, with_cancel, Cancel, Either, Response, TransportError};

/// Largest bucket-info answer read (for `updatedAt`).
const MAX_INFO_BYTES: usize = 1024 * 1024;

/// How a watch starts.
#[derive(Debug, Clone, Default)]
pub struct WatchOptions {
    /// Only changes at or below this folder (folder-boundary rule); `""` = the whole bucket.
    pub prefix: String,
    /// Resume strictly after this cursor (from an earlier event).
    pub cursor: Option<String>,
    /// Replay the changes committed after this ISO-8601 instant.
    pub since: Option<String>,
    /// List the prefix first and emit its files as `add` events (before the first `ready`).
    pub initial: bool,
    /// Timing constants.
    pub timing: Timing,
}

/// One event handed to the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchEvent {
    /// A file change. `cursor` is that of its batch (absent on changes made up from a listing:
    /// the `initial` files and a reconcile after `reset`).
    Change {
        /// The change.
        change: Change,
        /// Resume point after its batch.
        cursor: Option<String>,
    },
    /// The replay of a session is done; what follows is live.
    Ready {
        /// The resume point, when one is known.
        cursor: Option<String>,
    },
}

struct Session {
    response: Response,
    parser: SseParser,
    ready: bool,
    url: String,
    cancel: Cancel,
}

impl Drop for Session {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// See the module docs.
pub struct Watcher {
    hub: Rc<HubClient>,
    id: BucketId,
    prefix: String,
    policy: Policy,
    view: View,
    cancel: Cancel,
    session: Option<Session>,
    wait_ms: Option<u64>,
    done: bool,
}

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watcher")
            .field("id", &self.id)
            .field("prefix", &self.prefix)
            .field("policy", &self.policy)
            .field("view_files", &self.view.len())
            .field("connected", &self.session.is_some())
            .finish_non_exhaustive()
    }
}

impl Watcher {
    /// A watcher of `id`; nothing is sent before the first [`Watcher::next_batch`].
    ///
    /// # Errors
    /// A [`ValidationError`] for a bad prefix or `since`, or `cursor`/`since`/`initial` combined.
    pub fn new(
        hub: Rc<HubClient>,
        id: BucketId,
        options: WatchOptions,
        cancel: Cancel,
    ) -> Result<Watcher, Error> {
        let prefix = normalize_prefix("prefix", &options.prefix)?.to_string();
        let given = [
            options.cursor.is_some(),
            options.since.is_some(),
            options.initial,
        ];
        if given.iter().filter(|g| **g).count() > 1 {
            return Err(ValidationError::new(
                "options",
                "",
                "give at most one of `cursor`, `since` and `initial`",
            )
            .into());
        }
        if let Some(s) = &options.since {
            if parse_timestamp(s).is_none() {
                return Err(ValidationError::new(
                    "since",
                    s,
                    "must be an ISO-8601 UTC time (YYYY-MM-DDTHH:MM:SS[.fff]Z)",
                )
                .into());
            }
        }
        if options.cursor.as_deref() == Some("") {
            return Err(ValidationError::new("cursor", "", "must not be empty").into());
        }
        let resume = match (options.cursor, options.since, options.initial) {
            (Some(c), _, _) => Resume::Cursor(c),
            (_, Some(s), _) => Resume::Since(s),
            (_, _, true) => Resume::Reconcile,
            _ => Resume::Live,
        };
        Ok(Watcher {
            hub,
            id,
            prefix,
            policy: Policy::new(options.timing, resume),
            view: View::new(),
            cancel,
            session: None,
            wait_ms: None,
            done: false,
        })
    }

    /// Files in the watcher's view of the prefix (see [`View`]).
    pub fn view_len(&self) -> usize {
        self.view.len()
    }

    /// The next non-empty batch of events; `Ok(None)` only after the watch ended with an error
    /// that was already returned. Runs until there is something to return: reconnects are
    /// internal.
    ///
    /// # Errors
    /// [`Error::Aborted`] when the cancel fires; the typed error of a bucket that cannot be
    /// followed (401, 403, 404, 501, not an event stream); a retryable network error after
    /// [`Timing::max_unhealthy`] broken sessions in a row; a 400 with no resume point left.
    /// The watch is over after any error.
    pub async fn next_batch(&mut self) -> Result<Option<Vec<WatchEvent>>, Error> {
        if self.done {
            return Ok(None);
        }
        let result = self.step().await;
        if result.is_err() {
            self.done = true;
            self.session = None;
        }
        result
    }

    async fn step(&mut self) -> Result<Option<Vec<WatchEvent>>, Error> {
        let http = self.hub.http().clone();
        loop {
            if let Some(ms) = self.wait_ms.take() {
                crate::transport::sleep(&*http, ms, &self.cancel)
                    .await
                    .map_err(|_| Error::Aborted)?;
            }
            let mut out = Vec::new();
            let Some(session) = self.session.as_mut() else {
                if let Some(end) = self.open(&mut out).await? {
                    self.after(end)?;
                }
                if !out.is_empty() {
                    return Ok(Some(out));
                }
                continue;
            };
            let timeout = self.policy.timing().read_timeout_ms;
            let read = with_cancel(
                race(session.response.chunk(), http.sleep(timeout)),
                &self.cancel,
            )
            .await;
            let read = match read {
                Err(_) | Ok(Either::Left(Err(TransportError::Aborted))) => {
                    return Err(Error::Aborted)
                }
                Ok(Either::Right(())) => Err(Error::Transport(TransportError::Timeout {
                    url: session.url.clone(),
                    ms: timeout,
                })),
                Ok(Either::Left(Err(e))) => Err(Error::Transport(e)),
                Ok(Either::Left(Ok(None))) => Err(Error::Transport(TransportError::Body {
                    url: session.url.clone(),
                    message: "the change feed ended".into(),
                })),
                Ok(Either::Left(Ok(Some(bytes)))) => Ok(bytes),
            };
            let end = match read {
                Ok(bytes) => self.consume(&bytes, &mut out),
                Err(e) => Some(self.broken(e)),
            };
            if let Some(end) = end {
                self.session = None;
                self.after(end)?;
            }
            if !out.is_empty() {
                return Ok(Some(out));
            }
        }
    }

    /// How a session that broke with `e` ended: healthy if it had reached `ready`.
    fn broken(&self, e: Error) -> SessionEnd {
        match &self.session {
            Some(s) if s.ready => SessionEnd::Healthy,
            _ => SessionEnd::Unhealthy(e),
        }
    }

    fn after(&mut self, end: SessionEnd) -> Result<(), Error> {
        match self.policy.end(end) {
            Next::Wait(ms) => {
                self.wait_ms = Some(ms);
                Ok(())
            }
            Next::Stop(e) => Err(e),
        }
    }

    /// Feeds `bytes` to the session's parser; returns how the session ended, if it did.
    fn consume(&mut self, bytes: &[u8], out: &mut Vec<WatchEvent>) -> Option<SessionEnd> {
        let session = self.session.as_mut()?;
        let mut events: Vec<SseEvent> = Vec::new();
        if let Err(e) = session.parser.push(bytes, &mut events) {
            let e = Error::invalid_response(&session.url, e.to_string());
            return Some(self.broken(e));
        }
        for e in events {
            let Some(event) = parse_event(&e) else {
                continue;
            };
            match event {
                FeedEvent::Changes { cursor, changes } => {
                    for c in changes {
                        if !in_prefix(&c.path, &self.prefix) {
                            continue;
                        }
                        if let Some(change) = self.view.apply(c) {
                            out.push(WatchEvent::Change {
                                change,
                                cursor: Some(cursor.clone()),
                            });
                        }
                    }
                    self.policy.set_resume(Resume::Cursor(cursor));
                }
                FeedEvent::Ready { cursor } => {
                    if let Some(s) = self.session.as_mut() {
                        s.ready = true;
                    }
                    if let Some(c) = cursor {
                        self.policy.set_resume(Resume::Cursor(c));
                    }
                    let cursor = match self.policy.resume() {
                        Resume::Cursor(c) => Some(c.clone()),
                        _ => None,
                    };
                    out.push(WatchEvent::Ready { cursor });
                }
                FeedEvent::Reset => {
                    self.policy.set_resume(Resume::Reconcile);
                    return Some(SessionEnd::Healthy);
                }
                FeedEvent::Reconnect { cursor } => {
                    if let Some(c) = cursor {
                        self.policy.set_resume(Resume::Cursor(c));
                    }
                    return Some(SessionEnd::Healthy);
                }
            }
        }
        None
    }

    /// Resolves the resume point (probe, reconcile) and connects. `Ok(None)`: a session is
    /// open; `Ok(Some(end))`: this attempt failed; `Err`: aborted.
    async fn open(&mut self, out: &mut Vec<WatchEvent>) -> Result<Option<SessionEnd>, Error> {
        match self.policy.resume().clone() {
            Resume::Reconcile => {
                let since = self.updated_at().await?;
                let listing = match self.list().await {
                    Ok(l) => l,
                    Err(e) => return self.failed(e).map(Some),
                };
                out.extend(self.view.reconcile(listing).into_iter().map(|change| {
                    WatchEvent::Change {
                        change,
                        cursor: None,
                    }
                }));
                self.policy.set_resume(since);
            }
            Resume::Probe => {
                let since = self.updated_at().await?;
                self.policy.set_resume(since);
            }
            _ => {}
        }
        let resume = match self.policy.resume() {
            Resume::Cursor(c) => Some(("cursor", c.as_str())),
            Resume::Since(s) => Some(("since", s.as_str())),
            _ => None,
        };
        let request = self.hub.api().events(&self.id, resume);
        let url = crate::transport::redact_url(&request.url);
        let cancel = self.cancel.child();
        let timeout = self.policy.timing().connect_timeout_ms;
        let response = match self.hub.send_once(request, &cancel, timeout).await {
            Ok(r) => r,
            Err(e) => return self.failed(e).map(Some),
        };
        let content_type = response.header("content-type").unwrap_or("");
        if !content_type
            .trim_start()
            .to_ascii_lowercase()
            .starts_with("text/event-stream")
        {
            let e = Error::invalid_response(
                &url,
                format!("not an event stream (Content-Type {content_type:?}): the bucket cannot be followed"),
            );
            return Ok(Some(SessionEnd::NotFollowable(e)));
        }
        self.session = Some(Session {
            response,
            parser: SseParser::new(),
            ready: false,
            url,
            cancel,
        });
        Ok(None)
    }

    /// The session end for a failed request (or `Err` when it was the caller's abort).
    fn failed(&self, e: Error) -> Result<SessionEnd, Error> {
        if e.kind() == ErrorKind::Aborted || self.cancel.is_cancelled() {
            return Err(Error::Aborted);
        }
        Ok(match e.status() {
            Some(401 | 403 | 404 | 501) => SessionEnd::NotFollowable(e),
            Some(400) => SessionEnd::BadRequest(e),
            _ => SessionEnd::Failed {
                retry_after_ms: e.retry_after_ms(),
                error: e,
            },
        })
    }

    /// `since` = the bucket's `updatedAt` verbatim, or live when it cannot be read (§6.3).
    async fn updated_at(&self) -> Result<Resume, Error> {
        let request = self.hub.api().bucket_info(&self.id);
        let value: Option<String> = async {
            let resp = self.hub.send(request, &self.cancel, &[]).await.ok()?;
            let body = resp.bytes_limited(MAX_INFO_BYTES).await.ok()?;
            let v = xet::json::parse(&body).ok()?;
            v.get("updatedAt")?.as_str().map(String::from)
        }
        .await;
        if self.cancel.is_cancelled() {
            return Err(Error::Aborted);
        }
        Ok(match value.filter(|s| !s.is_empty()) {
            Some(s) => Resume::Since(s),
            None => Resume::Live,
        })
    }

    /// Every file at or below the prefix.
    async fn list(&self) -> Result<Vec<crate::hub::FileEntry>, Error> {
        let mut listing = self.hub.list_tree(&self.id, &self.prefix, true, None)?;
        let mut files = Vec::new();
        while let Some(page) = listing.next_page(&self.hub, &self.cancel).await? {
            files.extend(page.into_iter().filter_map(|e| match e {
                TreeEntry::File(f) => Some(f),
                TreeEntry::Directory(_) => None,
            }));
        }
        Ok(files)
    }
}

#[cfg(test)]
mod tests;
