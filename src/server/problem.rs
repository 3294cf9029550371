//! Errors as `application/problem+json` (RFC 9457) with the engine's stable codes, and the
//! extractors whose rejections answer the same way.

use crate::error::{Error, ErrorCode, Problem, did_you_mean};
use axum::extract::FromRequest;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// An error answer (boxed: results stay small on the happy path).
pub struct ApiError(Box<Problem>);

/// Seconds a client told "queue full" (429) waits before it tries again (`Retry-After`):
/// a fit of the quick-start size takes about this long.
pub const QUEUE_RETRY_AFTER_S: u64 = 5;

impl ApiError {
    pub(crate) fn new(code: ErrorCode, detail: impl Into<String>) -> ApiError {
        ApiError(Box::new(Problem::new(code, reason(code.status), detail)))
    }
}

/// The reason phrase of a status, as the problem's title.
fn reason(status: u16) -> &'static str {
    StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("error")
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        let title = reason(e.status());
        ApiError(Box::new(Problem::from_error(e, title)))
    }
}

impl From<BytesRejection> for ApiError {
    fn from(r: BytesRejection) -> ApiError {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            // Only bodies read whole (JSON) meet this limit; uploads count their own bytes.
            return ApiError::new(
                ErrorCode::BODY_TOO_LARGE,
                "the JSON body is larger than this server's limit for JSON (--max-json-mib); send large \
                 arrays as an .npz (application/octet-stream), which is streamed to disk, or start the \
                 server with a larger --max-json-mib",
            );
        }
        ApiError::new(ErrorCode::BAD_REQUEST, r.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> ApiError {
        ApiError::new(ErrorCode::BAD_REQUEST, r.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&*self.0).expect("plain data serialises");
        // For the request's log line: the code, and for a fault of the server what it was.
        let code = ErrorCode::find(&self.0.code).map_or("internal", |c| c.code);
        let detail = (self.0.status >= 500).then(|| std::sync::Arc::<str>::from(self.0.detail.as_str()));
        let tag = super::observe::ErrorTag { code, detail };
        let mut response =
            (status, [(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"))], body)
                .into_response();
        response.extensions_mut().insert(tag);
        if status == StatusCode::TOO_MANY_REQUESTS {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(QUEUE_RETRY_AFTER_S));
        }
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            // Answered before the body was read, so the connection closes after this answer:
            // say so, or a client that pools connections sends its next request into it.
            response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

/// JSON bodies whose rejections are problem+json too: 415 without a JSON content type,
/// 413 past the body limit, 400 for malformed JSON or a body that does not fit the type.
/// Integer fields also take integral numbers written as floats (`17.0`), as JSON Schema's
/// `integer` does (see [`integral_numbers`]).
pub struct ApiJson<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.to_ascii_lowercase().starts_with("application/json"));
        if !json {
            return Err(ApiError::new(
                ErrorCode::UNSUPPORTED_MEDIA_TYPE,
                "send the body as `content-type: application/json`",
            ));
        }
        let body = axum::body::Bytes::from_request(req, state).await?;
        Ok(ApiJson(json_body(&body)?))
    }
}

/// Parse a JSON body into `T`, with integral floats taken as integers.
pub(crate) fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(malformed)?;
    json_value(value, "")
}

/// Read a part of a body already parsed (at `prefix`, named in messages) into `T`, with
/// integral floats taken as integers.
pub(crate) fn json_value<T: serde::de::DeserializeOwned>(
    mut value: serde_json::Value,
    prefix: &str,
) -> Result<T, ApiError> {
    integral_numbers(&mut value);
    serde_path_to_error::deserialize(value).map_err(|e| schema_error(prefix, &e.path().to_string(), &e.into_inner()))
}

/// Parse a large JSON body straight into `T`, with no JSON value per number: for bodies of
/// arrays, whose few integer fields `T` keeps as JSON values for [`json_value`].
pub(crate) fn json_arrays_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let at = e.path().to_string();
        let e = e.into_inner();
        if e.is_syntax() || e.is_eof() { malformed(e) } else { schema_error("", &at, &e) }
    })?;
    de.end().map_err(malformed)?;
    Ok(value)
}

fn malformed(e: serde_json::Error) -> ApiError {
    ApiError::new(ErrorCode::BAD_REQUEST, format!("malformed JSON: {e}"))
}

fn schema_error(prefix: &str, path: &str, why: &dyn std::fmt::Display) -> ApiError {
    let at = match (prefix, path) {
        ("", ".") => String::new(),
        (p, ".") => format!(" at `{p}`"),
        ("", at) => format!(" at `{at}`"),
        (p, at) => format!(" at `{p}.{at}`"),
    };
    ApiError::new(
        ErrorCode::BAD_REQUEST,
        format!("the body does not fit its schema{at}: {}", did_you_mean(&why.to_string())),
    )
}

/// Rewrite every float with no fractional part that an integer type holds exactly
/// (`17.0`, `1e3`) as that integer, so integer fields accept what JSON Schema calls an
/// integer; number fields read integers as before.
pub(crate) fn integral_numbers(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Number(n) if n.is_f64() => {
            let x = n.as_f64().expect("checked");
            if x.fract() == 0.0 {
                if x >= 0.0 && x < u64::MAX as f64 {
                    *v = Value::from(x as u64);
                } else if x < 0.0 && x >= i64::MIN as f64 {
                    *v = Value::from(x as i64);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_numbers),
        Value::Object(map) => map.values_mut().for_each(integral_numbers),
        _ => {}
    }
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

/// Run engine work on a blocking thread.
pub(crate) async fn blocking<T: Send + 'static>(f: impl FnOnce() -> crate::Result<T> + Send + 'static) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::from(Error::Internal(e.to_string())))?
        .map_err(ApiError::from)
}
