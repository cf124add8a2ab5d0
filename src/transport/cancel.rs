//! [`Cancel`]: a cloneable, single-threaded cancellation token.
//!
//! Pure Rust, so it works the same natively and in wasm. On wasm32 the bindings create one per
//! call and trigger it from the caller's `AbortSignal` (`fetch::cancel_from_signal`); the fetch
//! transport registers `AbortController.abort()` with [`Cancel::on_cancel`], so triggering the
//! token aborts the in-flight `fetch` and its body stream.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};

type Callback = Box<dyn FnOnce()>;

#[derive(Default)]
struct State {
    cancelled: bool,
    next_id: u64,
    callbacks: Vec<(u64, Callback)>,
    wakers: Vec<Waker>,
    /// Values kept alive as long as the token (e.g. a JS event listener and its removal guard).
    attachments: Vec<Box<dyn std::any::Any>>,
}

/// A cancellation token. Clones share the state; [`Cancel::cancel`] on any clone cancels all.
///
/// ```
/// use hf_buckets::transport::Cancel;
/// let parent = Cancel::new();
/// let child = parent.child();
/// parent.cancel();
/// assert!(child.is_cancelled());
/// ```
#[derive(Clone, Default)]
pub struct Cancel(Rc<RefCell<State>>);

impl std::fmt::Debug for Cancel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cancel")
            .field("cancelled", &self.is_cancelled())
            .finish()
    }
}

/// Unregisters an [`Cancel::on_cancel`] callback when dropped.
#[must_use = "dropping the guard unregisters the callback"]
pub struct CancelGuard {
    state: Weak<RefCell<State>>,
    id: u64,
}

impl Drop for CancelGuard {
    fn drop(&mut self) {
        if let Some(state) = self.state.upgrade() {
            // Never panics: a callback runs with the borrow released, and try_borrow_mut guards
            // against a drop from inside a callback of the same token.
            if let Ok(mut s) = state.try_borrow_mut() {
                s.callbacks.retain(|(id, _)| *id != self.id);
            }
        }
    }
}

impl Cancel {
    /// A token that is not cancelled.
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// Cancels: runs every registered callback once and wakes every waiter. Idempotent.
    pub fn cancel(&self) {
        let (callbacks, wakers) = {
            let Ok(mut s) = self.0.try_borrow_mut() else {
                return;
            };
            if s.cancelled {
                return;
            }
            s.cancelled = true;
            (
                std::mem::take(&mut s.callbacks),
                std::mem::take(&mut s.wakers),
            )
        };
        for (_, f) in callbacks {
            f();
        }
        for w in wakers {
            w.wake();
        }
    }

    /// Whether [`Cancel::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.try_borrow().map(|s| s.cancelled).unwrap_or(false)
    }

    /// `Err(TransportError::Aborted)` when cancelled, for checks between steps.
    pub fn check(&self) -> Result<(), super::TransportError> {
        if self.is_cancelled() {
            Err(super::TransportError::Aborted)
        } else {
            Ok(())
        }
    }

    /// Registers `f` to run when the token is cancelled (at once if it already is). The callback
    /// is unregistered when the returned guard is dropped.
    pub fn on_cancel(&self, f: impl FnOnce() + 'static) -> CancelGuard {
        let id = {
            let mut s = self.0.borrow_mut();
            if !s.cancelled {
                let id = s.next_id;
                s.next_id += 1;
                s.callbacks.push((id, Box::new(f)));
                return CancelGuard {
                    state: Rc::downgrade(&self.0),
                    id,
                };
            }
            u64::MAX
        };
        f();
        CancelGuard {
            state: Weak::new(),
            id,
        }
    }

    /// A new token that is cancelled when `self` is, and can also be cancelled on its own
    /// (without affecting `self`). Use it to stop a group of sub-tasks.
    pub fn child(&self) -> Cancel {
        let child = Cancel::new();
        let weak = Rc::downgrade(&child.0);
        let guard = self.on_cancel(move || {
            if let Some(state) = weak.upgrade() {
                Cancel(state).cancel();
            }
        });
        child.attach(guard);
        child
    }

    /// Keeps `value` alive as long as this token (used to hold JS listeners).
    pub fn attach(&self, value: impl std::any::Any) {
        if let Ok(mut s) = self.0.try_borrow_mut() {
            s.attachments.push(Box::new(value));
        }
    }

    /// A future that completes when the token is cancelled.
    pub fn cancelled(&self) -> Cancelled {
        Cancelled(self.clone())
    }

    /// A weak handle (for callbacks stored in JS, which must not keep the token alive).
    pub fn downgrade(&self) -> WeakCancel {
        WeakCancel(Rc::downgrade(&self.0))
    }
}

/// A weak reference to a [`Cancel`]; see [`Cancel::downgrade`].
#[derive(Clone)]
pub struct WeakCancel(Weak<RefCell<State>>);

impl WeakCancel {
    /// The token, if any clone of it is still alive.
    pub fn upgrade(&self) -> Option<Cancel> {
        self.0.upgrade().map(Cancel)
    }
}

/// Future returned by [`Cancel::cancelled`].
pub struct Cancelled(Cancel);

impl Future for Cancelled {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Ok(mut s) = (self.0).0.try_borrow_mut() else {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        };
        if s.cancelled {
            return Poll::Ready(());
        }
        if !s.wakers.iter().any(|w| w.will_wake(cx.waker())) {
            s.wakers.push(cx.waker().clone());
        }
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn callbacks_run_once_and_guards_unregister() {
        let c = Cancel::new();
        let hits = Rc::new(Cell::new(0));
        let h1 = hits.clone();
        let _g1 = c.on_cancel(move || h1.set(h1.get() + 1));
        let h2 = hits.clone();
        let g2 = c.on_cancel(move || h2.set(h2.get() + 10));
        drop(g2);
        c.cancel();
        c.cancel();
        assert_eq!(hits.get(), 1);
        assert!(c.is_cancelled());
        // Registering after cancellation runs at once.
        let h3 = hits.clone();
        let _g3 = c.on_cancel(move || h3.set(h3.get() + 100));
        assert_eq!(hits.get(), 101);
    }

    #[test]
    fn child_follows_parent_not_the_reverse() {
        let parent = Cancel::new();
        let a = parent.child();
        let b = parent.child();
        a.cancel();
        assert!(a.is_cancelled() && !parent.is_cancelled() && !b.is_cancelled());
        parent.cancel();
        assert!(b.is_cancelled());
        // A child of a cancelled token starts cancelled.
        assert!(parent.child().is_cancelled());
    }

    #[test]
    fn dropped_child_leaves_no_callback() {
        let parent = Cancel::new();
        for _ in 0..100 {
            drop(parent.child());
        }
        assert!(parent.0.borrow().callbacks.is_empty());
    }

    #[test]
    fn callback_may_touch_the_token() {
        let c = Cancel::new();
        let c2 = c.clone();
        let _g = c.on_cancel(move || {
            assert!(c2.is_cancelled());
            c2.cancel();
        });
        c.cancel();
    }
}
