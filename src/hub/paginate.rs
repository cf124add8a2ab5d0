//! Link-header pagination (buckets spec §5): a bare JSON array per page, the next page's
//! absolute URL in `Link: <…>; rel="next"`, followed as is until no such link remains.
//!
//! [`Pager`] is a three-state machine (first request → next link → done) that fetches one page
//! per [`Pager::next_page`] call, so callers (the JS async iterator) fetch lazily and stop
//! fetching by simply not asking again. A server that sends the same next URL twice in a row is
//! an error rather than an endless loop.
//!
//! ```
//! use hf_buckets::hub::next_link;
//! let v = r#"<https://h/api/x?cursor=a>; rel="next", <https://h/t>; rel="xet-auth""#;
//! assert_eq!(next_link([v]), Some("https://h/api/x?cursor=a".to_string()));
//! ```

use super::types::{from_json_bytes, FromJson};

use super::HubClient;
use crate::error::Error;
use crate::transport::{Bytes, Cancel, Request};

/// The largest `limit` (entries in all) a listing takes.
pub const MAX_LIST_LIMIT: u32 = 1_000_000;

/// Largest page body accepted (a 1000-entry page is ~300 KB; `limit` may be raised).
const MAX_PAGE_BYTES: usize = super::api::MAX_ANSWER_BYTES;

/// The `rel="next"` target among `Link` header values (several links may share one value,
/// comma-separated; several values may be present).
pub fn next_link<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<String> {
    values.into_iter().find_map(|v| {
        links(v)
            .into_iter()
            .find(|(_, rels)| rels.iter().any(|r| r.eq_ignore_ascii_case("next")))
            .map(|(u, _)| u)
    })
}

/// Parses `<url>; rel="a b"; x=y, <url2>; rel=c` into `(url, rels)` pairs.
fn links(value: &str) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut rest = value;
    while let Some(start) = rest.find('<') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('>') else { break };
        let url = after[..end].trim().to_string();
        let mut params = &after[end + 1..];
        // Params run to the next ',' outside quotes.
        let mut in_quotes = false;
        let mut stop = params.len();
        for (i, c) in params.char_indices() {
            match c {
                '"' => in_quotes = !in_quotes,
                ',' if !in_quotes => {
                    stop = i;
                    break;
                }
                _ => {}
            }
        }
        let (mine, next) = params.split_at(stop);
        params = mine;
        let mut rels = Vec::new();
        for param in params.split(';') {
            if let Some((k, v)) = param.split_once('=') {
                if k.trim().eq_ignore_ascii_case("rel") {
                    rels.extend(
                        v.trim()
                            .trim_matches('"')
                            .split_whitespace()
                            .map(String::from),
                    );
                }
            }
        }
        out.push((url, rels));
        rest = next;
    }
    out
}

enum State {
    First(Request),
    Next(String),
    Done,
}

/// Fetches the pages of one listing, one per call.
pub struct Pager {
    state: State,
    last_url: Option<String>,
    pages: u64,
}

impl Pager {
    /// A pager starting with `first`.
    pub fn new(first: Request) -> Pager {
        Pager {
            state: State::First(first),
            last_url: None,
            pages: 0,
        }
    }

    /// Whether the last page was fetched.
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    /// Pages fetched so far.
    pub fn pages_fetched(&self) -> u64 {
        self.pages
    }

    /// Fetches the next page and parses it as a JSON array of `T`; `None` once done. After an
    /// error the pager keeps its position, so calling again retries the same page.
    pub async fn next_page<T: FromJson>(
        &mut self,
        hub: &HubClient,
        cancel: &Cancel,
    ) -> Result<Option<Vec<T>>, Error> {
        let Some((url, next, body)) = self.fetch(hub, cancel).await? else {
            return Ok(None);
        };
        let items: Vec<T> = from_json_bytes(&body).map_err(|e| {
            Error::invalid_response(&url, format!("page is not the expected JSON array: {e}"))
        })?;
        self.advance(url, next)?;
        Ok(Some(items))
    }

    /// The next page's URL, `Link` and body (`None` once done), the pager unchanged: the part of
    /// [`Pager::next_page`] that does not depend on the type read.
    async fn fetch(
        &self,
        hub: &HubClient,
        cancel: &Cancel,
    ) -> Result<Option<(String, Option<String>, Bytes)>, Error> {
        let request = match &self.state {
            State::Done => return Ok(None),
            State::First(r) => r.clone(),
            State::Next(url) => hub.api().next_page(url)?,
        };
        let url = request.url.clone();
        let resp = hub.send(request, cancel, &[]).await?;
        let next = next_link(resp.headers.get_all("link"));
        let body = resp.bytes_limited(MAX_PAGE_BYTES).await?;
        Ok(Some((url, next, body)))
    }

    /// Moves past the page read from `url`, whose `Link` named `next`.
    fn advance(&mut self, url: String, next: Option<String>) -> Result<(), Error> {
        self.pages += 1;
        self.state = match next {
            Some(n) if Some(&n) == self.last_url.as_ref() || n == url => {
                return Err(Error::invalid_response(
                    &url,
                    "the next-page link repeats the current page",
                ));
            }
            Some(n) => State::Next(n),
            None => State::Done,
        };
        self.last_url = Some(url);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_forms() {
        assert_eq!(
            next_link(["<https://h/a?x=1&cursor=e%3D>; rel=\"next\""]).as_deref(),
            Some("https://h/a?x=1&cursor=e%3D")
        );
        assert_eq!(
            next_link(["<https://h/a>;rel=next"]).as_deref(),
            Some("https://h/a")
        );
        assert_eq!(
            next_link(["<https://h/p>; rel=\"prev\", <https://h/n>; rel=\"next last\""]).as_deref(),
            Some("https://h/n")
        );
        assert_eq!(
            next_link([
                "<https://h/x>; rel=\"xet-auth\"",
                "<https://h/n>; rel=\"next\""
            ])
            .as_deref(),
            Some("https://h/n")
        );
        assert_eq!(
            next_link(["<https://h/x>; title=\"a, b\"; rel=\"next\""]).as_deref(),
            Some("https://h/x")
        );
        for none in [
            "",
            "garbage",
            "<https://h/x>; rel=\"prev\"",
            "<unterminated; rel=next",
            "https://h; rel=next",
        ] {
            assert_eq!(next_link([none]), None, "{none}");
        }
    }
}
