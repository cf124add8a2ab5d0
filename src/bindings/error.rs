//! The only place that builds JS errors for the client: [`Error`] → a `HubError` subclass from
//! `js/errors.js` (chosen by [`ErrorKind::as_str`]), with `status`, `code`, `requestId`,
//! `retryable`, `retryAfterMs`, `serverMessage` and `cause`. An abort becomes `AbortError`
//! whose `cause` is the signal's `reason`; any other error's `cause` is its Rust
//! [`source`](std::error::Error::source) chain, as plain JS `Error`s linked by `cause`.

#![cfg(feature = "client")]

use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

use crate::error::{Error, ErrorKind};

#[wasm_bindgen(module = "/js/errors.js")]
extern "C" {
    #[wasm_bindgen(js_name = makeHubError)]
    #[allow(clippy::too_many_arguments)]
    fn make_hub_error(
        kind: &str,
        message: &str,
        status: Option<u16>,
        code: Option<String>,
        request_id: Option<String>,
        retryable: bool,
        retry_after_ms: Option<f64>,
        server_message: Option<String>,
        cause: &JsValue,
    ) -> JsValue;
}

/// Converts `e` into the JS error to reject with. `signal` supplies the `cause` of an abort.
pub(crate) fn to_js_error(e: &Error, signal: Option<&AbortSignal>) -> JsValue {
    let cause = match (e.kind(), signal) {
        (ErrorKind::Aborted, Some(s)) => s.reason(),
        _ => source_chain(e),
    };
    make_hub_error(
        e.kind().as_str(),
        &e.to_string(),
        e.status(),
        e.code().map(String::from),
        e.request_id().map(String::from),
        e.retryable(),
        e.retry_after_ms().map(|ms| ms as f64),
        e.server_message().map(String::from),
        &cause,
    )
}

/// Most links of a `source` chain shown as `cause`.
const MAX_CAUSES: usize = 8;

/// The `source` chain of `e` as JS `Error`s, each the `cause` of the one before; `undefined`
/// when `e` has no source.
fn source_chain(e: &Error) -> JsValue {
    chain(std::error::Error::source(e), MAX_CAUSES)
}

fn chain(source: Option<&(dyn std::error::Error + 'static)>, depth: usize) -> JsValue {
    match source {
        Some(s) if depth > 0 => {
            let err = js_sys::Error::new(&s.to_string());
            let inner = chain(s.source(), depth - 1);
            if !inner.is_undefined() {
                err.set_cause(&inner);
            }
            err.into()
        }
        _ => JsValue::UNDEFINED,
    }
}

impl From<Error> for JsValue {
    fn from(e: Error) -> JsValue {
        to_js_error(&e, None)
    }
}
