//! One log line and two metrics per request: the method, the route's template (never the raw
//! path, so ids do not become labels), the status, the time taken, the bytes sent, the
//! request id (the client's `X-Request-Id`, or one made here; returned either way) and who
//! asked (a short hash of the bearer token, never the token).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use axum::body::HttpBody;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use futures_util::StreamExt;
use sha2::Digest;

/// The request id's header, in both directions.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Requests being answered now, an event stream until it ends (for the shutdown's log line
/// and `/metrics`).
#[derive(Default)]
pub(crate) struct InFlight(AtomicUsize);

impl InFlight {
    pub(crate) fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// Counts a request out when its answer is ready, or when the client went away first.
struct Counted(Arc<InFlight>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The error of an answer (set by `ApiError`), for the request's log line: its code, and
/// for a 5xx its detail.
#[derive(Clone)]
pub(crate) struct ErrorTag {
    pub(crate) code: &'static str,
    pub(crate) detail: Option<Arc<str>>,
}

/// The client's request id when it is a sane one (at most 128 characters of a safe set, so it
/// cannot forge log lines), else a new random one.
fn request_id(headers: &HeaderMap) -> HeaderValue {
    let safe = |b: u8| b.is_ascii_alphanumeric() || b"-_.:/+=@".contains(&b);
    headers
        .get(&REQUEST_ID)
        .filter(|v| (1..=128).contains(&v.len()) && v.as_bytes().iter().all(|&b| safe(b)))
        .cloned()
        .unwrap_or_else(|| {
            HeaderValue::from_str(&format!("{:016x}", rand::random::<u64>())).expect("hex digits are a header value")
        })
}

/// The first 8 hex digits of the SHA-256 of the bearer token sent, if any: enough to tell
/// clients apart in a log, useless to call the API with.
fn token_id(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ")?;
    let digest = sha2::Sha256::digest(token.as_bytes());
    Some(digest.iter().take(4).map(|b| format!("{b:02x}")).collect())
}

/// The middleware: times the request, then logs it and counts it.
pub(crate) async fn observe(State(in_flight): State<Arc<InFlight>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request_id(request.headers());
    let method = request.method().to_string();
    // The template (`/v1/jobs/{id}`); requests that match no route share one label.
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_string();
    let token = token_id(request.headers());
    in_flight.0.fetch_add(1, Ordering::SeqCst);
    let counted = Counted(in_flight);
    let mut response = next.run(request).await;
    let bytes = response.body().size_hint().exact();
    if bytes.is_none() {
        // A stream (server-sent events) is in flight until its body ends or its client goes.
        let body = std::mem::take(response.body_mut()).into_data_stream();
        *response.body_mut() = axum::body::Body::from_stream(body.map(move |chunk| {
            let _counted = &counted;
            chunk
        }));
    } else {
        drop(counted);
    }
    let seconds = started.elapsed().as_secs_f64();
    let status = response.status().as_u16();
    response.headers_mut().insert(REQUEST_ID, id.clone());
    let labels = [("method", method.clone()), ("route", route.clone()), ("status", status.to_string())];
    metrics::counter!(crate::telemetry::names::REQUESTS, &labels).increment(1);
    metrics::histogram!(crate::telemetry::names::REQUEST_SECONDS, &labels).record(seconds);
    let line = Line {
        method: &method,
        route: &route,
        status,
        duration_ms: (seconds * 1e6).round() / 1e3,
        // Known for every answer but an event stream.
        bytes,
        request_id: id.to_str().unwrap_or(""),
        token: token.as_deref(),
        error: response.extensions().get::<ErrorTag>().cloned(),
    };
    line.log();
    response
}

/// The fields of a request's log line.
struct Line<'a> {
    method: &'a str,
    route: &'a str,
    status: u16,
    duration_ms: f64,
    bytes: Option<u64>,
    request_id: &'a str,
    token: Option<&'a str>,
    error: Option<ErrorTag>,
}

impl Line<'_> {
    /// At `error` for a 5xx (a fault of the server), `info` otherwise.
    fn log(&self) {
        let Line { method, route, status, duration_ms, bytes, request_id, token, ref error } = *self;
        let code = error.as_ref().map(|e| e.code);
        let detail = error.as_ref().and_then(|e| e.detail.as_deref());
        macro_rules! at {
            ($level:expr) => {
                tracing::event!(target: "marble::http", $level, method, route, status, duration_ms, bytes,
                    request_id, token, code, detail, "request")
            };
        }
        if status >= 500 { at!(tracing::Level::ERROR) } else { at!(tracing::Level::INFO) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sane_request_id_is_kept_and_any_other_replaced() {
        let mut h = HeaderMap::new();
        h.insert(REQUEST_ID, HeaderValue::from_static("abc-123_x.y"));
        assert_eq!(request_id(&h), "abc-123_x.y");
        h.insert(REQUEST_ID, HeaderValue::from_static("evil\" status=200"));
        let made = request_id(&h);
        assert_eq!(made.len(), 16);
        assert!(made.to_str().unwrap().bytes().all(|b| b.is_ascii_hexdigit()));
        h.insert(REQUEST_ID, HeaderValue::from_str(&"a".repeat(129)).unwrap());
        assert_eq!(request_id(&h).len(), 16);
    }

    #[test]
    fn the_token_is_logged_as_a_short_hash() {
        let mut h = HeaderMap::new();
        assert_eq!(token_id(&h), None);
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer s3cret"));
        let id = token_id(&h).unwrap();
        assert_eq!(id.len(), 8);
        assert!(!id.contains("s3cret"));
        // SHA-256("s3cret") starts 7ab1 ... : the same token, the same id, across restarts.
        assert_eq!(id, token_id(&h).unwrap());
    }
}
