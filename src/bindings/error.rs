//! The only place that builds JS errors for the client: [`Error`] → a `HubError` subclass from
//! `js/errors.js` (chosen by [`ErrorKind::as_str`]), with `status`, `code`, `requestId`,
//! `retryable`, `retryAfterMs`, `serverMessage` and `cause`. An abort becomes `AbortError`
//! whose `cause` is the signal's `reason`.

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
        _ => JsValue::UNDEFINED,
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

impl From<Error> for JsValue {
    fn from(e: Error) -> JsValue {
        to_js_error(&e, None)
    }
}
