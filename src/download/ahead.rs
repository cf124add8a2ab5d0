//! Read-ahead: a [`FileDownload`] driven by its own task, so fetching, decoding and verifying go
//! on while the consumer is busy with the previous piece (writing it to a file, say).
//!
//! [`read_ahead`] splits a download into a [`Driver`] future, which pulls verified pieces and
//! queues them, and an [`Ahead`] handle, from which the consumer takes them in order. The
//! queue is bounded in bytes: when it is full the driver waits, and so do the fetches (memory
//! stays bounded by the queue plus the download's own budget). The caller runs the driver on
//! its executor (`bindings` spawns it on the JS event loop; tests join it with the consumer);
//! nothing here spawns. Dropping the [`Ahead`] stops the driver and every fetch in flight.
//!
//! Pieces are queued only after [`FileDownload::next`] verified them, and an error is queued
//! after the pieces that came before it, so the consumer sees exactly what the download yields.
//! Once the caller's token fires, the next call returns [`Error::Aborted`], whatever was read
//! ahead.
//!
//! ```no_run
//! # use hf_buckets::download::{ahead::read_ahead, FileDownload};
//! # async fn demo(dl: FileDownload) -> Result<(), hf_buckets::error::Error> {
//! let (ahead, driver) = read_ahead(dl, 8 << 20, &hf_buckets::transport::Cancel::new());
//! let consume = async {
//!     while let Some(piece) = ahead.next().await? {
//!         let _ = piece; // write it somewhere
//!     }
//!     Ok::<(), hf_buckets::error::Error>(())
//! };
//! let ((), result) = futures_util::future::join(driver, consume).await;
//! result
//! # }
//! ```

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;

use super::stream::FileDownload;
use crate::error::Error;
use crate::transport::Cancel;

/// Default bound of the read-ahead queue: two of the largest pieces.
pub const DEFAULT_READ_AHEAD_BYTES: u64 = 2 * super::stream::MAX_PIECE as u64;

/// State shared by the driver and the consumer.
#[derive(Default)]
struct Shared {
    queue: VecDeque<Bytes>,
    queued_bytes: u64,
    /// `Some` once the download ended: `Ok` at its end, or its error (handed out once).
    end: Option<Result<(), Error>>,
    /// The consumer went away: the driver stops.
    closed: bool,
    consumer: Option<Waker>,
    producer: Option<Waker>,
}

/// The consumer side of [`read_ahead`].
pub struct Ahead {
    shared: Rc<RefCell<Shared>>,
    /// Stops the download (its own token).
    stop: Cancel,
    /// The caller's token the download was opened with: once it fires, nothing more is
    /// handed out.
    abort: Cancel,
    len: u64,
}

impl std::fmt::Debug for Ahead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ahead")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

/// The driver side of [`read_ahead`]: run it to completion (it ends with the download, on an
/// error, or when the [`Ahead`] is dropped).
pub type Driver = Pin<Box<dyn Future<Output = ()>>>;

/// Splits `download` into a consumer handle and the future that drives it, with at most
/// `max_queued_bytes` of verified pieces waiting for the consumer (at least one piece).
/// `abort` is the token the download was opened with (see the module docs).
pub fn read_ahead(
    mut download: FileDownload,
    max_queued_bytes: u64,
    abort: &Cancel,
) -> (Ahead, Driver) {
    let shared = Rc::new(RefCell::new(Shared::default()));
    let ahead = Ahead {
        shared: shared.clone(),
        stop: download.canceller(),
        abort: abort.clone(),
        len: download.len(),
    };
    let driver = async move {
        loop {
            // Wait for room in the queue (or for the consumer to leave).
            let open = std::future::poll_fn(|cx: &mut Context<'_>| {
                let mut s = shared.borrow_mut();
                if s.closed {
                    return Poll::Ready(false);
                }
                if s.queue.is_empty() || s.queued_bytes < max_queued_bytes {
                    return Poll::Ready(true);
                }
                s.producer = Some(cx.waker().clone());
                Poll::Pending
            })
            .await;
            if !open {
                return;
            }
            let result = download.next().await;
            let mut s = shared.borrow_mut();
            let done = match result {
                Ok(Some(piece)) => {
                    s.queued_bytes += piece.len() as u64;
                    s.queue.push_back(piece);
                    false
                }
                Ok(None) => {
                    s.end = Some(Ok(()));
                    true
                }
                Err(e) => {
                    s.end = Some(Err(e));
                    true
                }
            };
            if let Some(w) = s.consumer.take() {
                w.wake();
            }
            if done {
                return;
            }
        }
    };
    (ahead, Box::pin(driver))
}

impl Ahead {
    /// Bytes the download yields in all.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the download yields no byte.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The next verified piece, `None` at the end (as [`FileDownload::next`]). Calls must not
    /// overlap.
    ///
    /// # Errors
    /// As [`FileDownload::next`]; after an error, `Ok(None)`.
    pub async fn next(&self) -> Result<Option<Bytes>, Error> {
        self.next_up_to(usize::MAX).await
    }

    /// As [`Ahead::next`], but a piece longer than `max` bytes (at least 1) is handed out in
    /// parts of at most `max`: for a consumer that copies pieces into a buffer of its own.
    ///
    /// # Errors
    /// As [`Ahead::next`].
    pub async fn next_up_to(&self, max: usize) -> Result<Option<Bytes>, Error> {
        let max = max.max(1);
        std::future::poll_fn(|cx: &mut Context<'_>| {
            let mut s = self.shared.borrow_mut();
            // Once the download is aborted, what was read ahead is not handed out.
            if self.abort.is_cancelled() && !s.closed {
                s.closed = true;
                s.queue.clear();
                s.queued_bytes = 0;
                s.end = Some(Ok(()));
                if let Some(w) = s.producer.take() {
                    w.wake();
                }
                return Poll::Ready(Err(Error::Aborted));
            }
            if let Some(mut piece) = s.queue.pop_front() {
                if piece.len() > max {
                    let rest = piece.split_off(max);
                    s.queue.push_front(rest);
                }
                s.queued_bytes = s.queued_bytes.saturating_sub(piece.len() as u64);
                if let Some(w) = s.producer.take() {
                    w.wake();
                }
                return Poll::Ready(Ok(Some(piece)));
            }
            match s.end.take() {
                Some(Err(e)) => {
                    s.end = Some(Ok(()));
                    Poll::Ready(Err(e))
                }
                Some(Ok(())) => {
                    s.end = Some(Ok(()));
                    Poll::Ready(Ok(None))
                }
                None => {
                    s.consumer = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        })
        .await
    }

    /// Stops the download: the driver ends and every fetch in flight is aborted.
    pub fn cancel(&self) {
        let mut s = self.shared.borrow_mut();
        s.closed = true;
        s.queue.clear();
        s.queued_bytes = 0;
        if let Some(w) = s.producer.take() {
            w.wake();
        }
        drop(s);
        self.stop.cancel();
    }
}

impl Drop for Ahead {
    fn drop(&mut self) {
        self.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cas::mock::{random_bytes, Fault, MockCas};
    use crate::download::stream::{DownloadOptions, Target};
    use crate::download::test_support::stored;
    use crate::transport::Method;
    use futures_util::future::join;

    async fn open(mock: &Rc<MockCas>, data: &[u8], cancel: &Cancel) -> FileDownload {
        open_with(mock, data, cancel, None).await
    }

    async fn open_with(
        mock: &Rc<MockCas>,
        data: &[u8],
        cancel: &Cancel,
        progress: Option<crate::download::stream::ProgressFn>,
    ) -> FileDownload {
        let (cas, hash) = stored(mock, data).await;
        let target = Target {
            file_hash: hash,
            size: data.len() as u64,
            range: None,
        };
        let options = DownloadOptions {
            max_in_flight_bytes: 1 << 20,
            split_bytes: 128 << 10,
            progress_interval_ms: 0,
            ..Default::default()
        };
        FileDownload::open(cas, target, options, progress, cancel)
            .await
            .unwrap()
    }

    async fn yield_many(n: usize) {
        for _ in 0..n {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test(flavor = "current_thread")]
    async fn fetches_go_on_while_the_consumer_is_busy() {
        let mock = MockCas::new();
        let data = random_bytes(8, 3 << 20);
        let fetched = Rc::new(std::cell::Cell::new(0u64));
        let sink = fetched.clone();
        let progress: crate::download::stream::ProgressFn =
            Rc::new(move |p: &crate::download::DownloadProgress| sink.set(p.bytes_fetched));
        let dl = open_with(&mock, &data, &Cancel::new(), Some(progress)).await;
        let (ahead, driver) = read_ahead(dl, 1 << 20, &Cancel::new());
        let consumer = async {
            let mut got = Vec::new();
            let first = ahead.next().await.unwrap().unwrap();
            got.extend_from_slice(&first);
            let at_first = fetched.get();
            // The consumer is busy: the driver keeps fetching and verifying, up to its bounds.
            yield_many(2000).await;
            let while_busy = fetched.get();
            assert!(while_busy > at_first, "{at_first} → {while_busy}");
            assert!(
                while_busy - at_first <= 3 << 20,
                "read {} bytes ahead",
                while_busy - at_first
            );
            while let Some(b) = ahead.next_up_to(100_000).await.unwrap() {
                assert!(b.len() <= 100_000);
                got.extend_from_slice(&b);
            }
            assert!(ahead.next().await.unwrap().is_none());
            got
        };
        let ((), got) = join(driver, consumer).await;
        assert_eq!(got, data);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn dropping_or_aborting_mid_stream_stops_every_fetch() {
        let mock = MockCas::new();
        let data = random_bytes(9, 4 << 20);
        // Dropped by the consumer after one piece: the driver ends, no body stays open.
        let dl = open(&mock, &data, &Cancel::new()).await;
        let (ahead, driver) = read_ahead(dl, 256 << 10, &Cancel::new());
        let consumer = async {
            let first = ahead.next().await.unwrap().unwrap();
            assert_eq!(&first[..], &data[..first.len()]);
            drop(ahead);
        };
        join(driver, consumer).await;
        assert_eq!(mock.open_bodies(), 0);
        let after = mock.count(Method::Get, "/fetch/");
        yield_many(100).await;
        assert_eq!(mock.count(Method::Get, "/fetch/"), after);
        // The caller's signal fires mid-stream: the consumer gets `Aborted`.
        let cancel = Cancel::new();
        let dl = open(&mock, &data, &cancel).await;
        let (ahead, driver) = read_ahead(dl, 256 << 10, &cancel);
        let consumer = async {
            ahead.next().await.unwrap().unwrap();
            // Pieces are waiting in the queue; none is handed out after the abort.
            yield_many(500).await;
            cancel.cancel();
            let e = ahead.next().await.unwrap_err();
            assert!(ahead.next().await.unwrap().is_none());
            e
        };
        let ((), e) = join(driver, consumer).await;
        assert!(matches!(e, Error::Aborted), "{e:?}");
        assert_eq!(mock.open_bodies(), 0);
        // An integrity failure reaches the consumer after the verified bytes before it.
        let first_range = |r: &str| r.starts_with("bytes=0-");
        mock.fault(
            Method::Get,
            "/fetch/",
            1,
            Fault::OnRange(Rc::new(first_range), Box::new(Fault::Flip(9))),
        );
        let dl = open(&mock, &data, &Cancel::new()).await;
        let (ahead, driver) = read_ahead(dl, 256 << 10, &Cancel::new());
        let consumer = async {
            let r = ahead.next().await;
            assert!(matches!(r, Err(Error::Integrity { .. })), "{r:?}");
            assert!(ahead.next().await.unwrap().is_none());
        };
        join(driver, consumer).await;
    }
}
