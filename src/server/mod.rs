//! The REST API: axum on tokio, documented with utoipa (`/openapi.json`, Swagger UI at
//! `/docs`, bundled so it works offline). Every handler is a thin layer over
//! [`LocalEngine`]; heavy work runs on blocking threads or the engine's job workers, never on
//! the async runtime. Errors are `application/problem+json` with a stable `code`.

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, FromRequest, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, middleware};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::analysis::AnalysisParams;
use crate::engine::*;
use crate::error::Error;

/// Settings of the server.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// The engine's store, workers and queue.
    pub engine: LocalOptions,
    /// Largest request body, in bytes.
    pub max_body: usize,
    /// Requests (other than event streams) taking longer are answered 408.
    pub timeout: Duration,
    /// Bearer token required on every route but /healthz, when set.
    pub token: Option<String>,
}

impl ServerOptions {
    /// Defaults: 512 MiB bodies, 10-minute requests, token from `MARBLE_TOKEN`.
    pub fn new(data_dir: impl Into<std::path::PathBuf>) -> ServerOptions {
        ServerOptions {
            engine: LocalOptions::new(data_dir),
            max_body: 512 << 20,
            timeout: Duration::from_secs(600),
            token: std::env::var("MARBLE_TOKEN").ok().filter(|t| !t.is_empty()),
        }
    }
}

/// A problem+json error body (RFC 9457) with the engine's stable code.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// Short summary of the status.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// Stable machine-readable code (see `Error::code`).
    pub code: String,
    /// What went wrong and how to fix it.
    pub detail: String,
    /// For `not_found`: what kind of object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// For `not_found`: the id asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// For `invalid_argument`: the argument at fault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For `queue_full`: jobs waiting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queued: Option<usize>,
}

/// An error answer (boxed: results stay small on the happy path).
pub struct ApiError(Box<Problem>);

impl ApiError {
    fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> ApiError {
        ApiError(Box::new(Problem {
            title: status.canonical_reason().unwrap_or("error").to_string(),
            status: status.as_u16(),
            code: code.to_string(),
            detail: detail.into(),
            kind: None,
            id: None,
            field: None,
            queued: None,
        }))
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut a = ApiError::new(status, e.code(), e.to_string());
        match e {
            Error::NotFound { kind, id } => {
                a.0.kind = Some(kind.to_string());
                a.0.id = Some(id);
            }
            Error::InvalidArgument { field, .. } => a.0.field = Some(field),
            Error::QueueFull { queued } => a.0.queued = Some(queued),
            _ => {}
        }
        a
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> ApiError {
        let status = r.status();
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE { "body_too_large" } else { "bad_request" };
        let status = if status == StatusCode::PAYLOAD_TOO_LARGE || status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
            status
        } else {
            StatusCode::BAD_REQUEST
        };
        ApiError::new(status, code, r.body_text())
    }
}

impl From<BytesRejection> for ApiError {
    fn from(r: BytesRejection) -> ApiError {
        let status = r.status();
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE { "body_too_large" } else { "bad_request" };
        ApiError::new(status, code, r.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", r.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&*self.0).expect("plain data serialises");
        (status, [(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"))], body).into_response()
    }
}

/// JSON bodies whose rejections are problem+json too.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

type ApiResult<T> = Result<T, ApiError>;

#[derive(Clone)]
struct AppState {
    engine: LocalEngine,
}

/// Run engine work on a blocking thread.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> crate::Result<T> + Send + 'static) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
        .map_err(ApiError::from)
}

#[derive(OpenApi)]
#[openapi(
    info(title = "MARBLE", description = "Latent representations of dynamics on manifolds: datasets, fits, embeddings, analyses and figures."),
    components(schemas(Problem, PlotKind)),
    tags((name = "datasets"), (name = "jobs"), (name = "models"), (name = "embeddings"))
)]
struct ApiDoc;

/// A file in a request or response body (.npz, .npy).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct Binary(#[allow(dead_code)] Vec<u8>);

/// Query of dataset uploads.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct UploadQuery {
    /// Name for listings.
    name: Option<String>,
    /// Parameters as JSON text (defaults for missing keys).
    parameters: Option<String>,
}

/// Create a dataset from JSON arrays (`application/json`, a `NewDataset`) or an uploaded
/// `.npz` (`application/octet-stream`, arrays `anchor_c`/`vector_c` or `trajectory_c_j`).
#[utoipa::path(post, path = "/datasets", tag = "datasets", params(UploadQuery),
    request_body(content((NewDataset = "application/json"), (Binary = "application/octet-stream"))),
    responses((status = 201, description = "Created", body = DatasetInfo), (status = "4XX", description = "The request is invalid (see code and detail)", body = Problem, content_type = "application/problem+json")))]
async fn create_dataset(
    State(s): State<AppState>,
    query: Result<Query<UploadQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<impl IntoResponse> {
    let Query(q) = query?;
    let body = body?;
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let engine = s.engine.clone();
    let info = if ct.starts_with("application/json") {
        let value: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_request", format!("malformed JSON: {e}")))?;
        let obj = value.as_object().ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "input_format",
                "the body must be an object with `conditions`",
            )
        })?;
        if let Some(k) = obj.keys().find(|k| !["name", "conditions", "params"].contains(&k.as_str())) {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "input_format",
                format!("unknown field `{k}`; a dataset has name, conditions and params"),
            ));
        }
        let name = match obj.get("name") {
            None | Some(serde_json::Value::Null) => q.name,
            Some(serde_json::Value::String(n)) => Some(n.clone()),
            Some(other) => {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "input_format",
                    format!("`name` must be text, not {other}"),
                ));
            }
        };
        let params = match obj.get("params") {
            None | Some(serde_json::Value::Null) => None,
            Some(p) => Some(parse_params(p.clone())?),
        };
        let conditions = crate::dataset::io::conditions_from_json(
            &serde_json::json!({ "conditions": obj.get("conditions").cloned().unwrap_or(serde_json::Value::Null) }),
            "body",
        )?;
        blocking(move || engine.create_dataset_from(conditions, name, params)).await?
    } else if ct.starts_with("application/octet-stream") || ct.starts_with("application/x-npz") {
        let params = match &q.parameters {
            None => None,
            Some(text) => Some(parse_params(serde_json::from_str(text).map_err(|e| {
                ApiError::new(StatusCode::BAD_REQUEST, "bad_request", format!("`parameters` is not JSON: {e}"))
            })?)?),
        };
        blocking(move || {
            let dir = tempfile_dir()?;
            let path = dir.join("upload.npz");
            std::fs::write(&path, &body).map_err(|e| Error::io("cannot write", &path, e))?;
            let conditions = crate::dataset::io::read_npz(&path);
            let _ = std::fs::remove_dir_all(&dir);
            engine.create_dataset_from(conditions?, q.name, params)
        })
        .await?
    } else {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("content type `{ct}`; send application/json (a NewDataset) or application/octet-stream (an .npz)"),
        ));
    };
    let location = format!("/v1/datasets/{}", info.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(info)))
}

fn tempfile_dir() -> crate::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(new_id("marble-upload"));
    std::fs::create_dir_all(&dir).map_err(|e| Error::io("cannot create", &dir, e))?;
    Ok(dir)
}

fn parse_params(v: serde_json::Value) -> ApiResult<crate::Params> {
    serde_json::from_value(v)
        .map_err(|e| ApiError::from(Error::ParamsParse { source_name: "params".into(), message: e.to_string() }))
}

/// All datasets, newest first.
#[utoipa::path(get, path = "/datasets", tag = "datasets", responses((status = 200, description = "OK", body = Vec<DatasetInfo>)))]
async fn list_datasets(State(s): State<AppState>) -> ApiResult<Json<Vec<DatasetInfo>>> {
    let e = s.engine.clone();
    Ok(Json(blocking(move || e.list_datasets()).await?))
}

/// One dataset and its summary.
#[utoipa::path(get, path = "/datasets/{id}", tag = "datasets", params(("id" = String, Path)),
    responses((status = 200, description = "OK", body = DatasetInfo), (status = 404, description = "No such object", body = Problem, content_type = "application/problem+json")))]
async fn get_dataset(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<DatasetInfo>> {
    let e = s.engine.clone();
    Ok(Json(blocking(move || e.dataset(&id)).await?))
}

/// Delete a dataset (refused while a job uses it).
#[utoipa::path(delete, path = "/datasets/{id}", tag = "datasets", params(("id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such object", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Conflicts with the object's state", body = Problem, content_type = "application/problem+json")))]
async fn delete_dataset(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<StatusCode> {
    let e = s.engine.clone();
    blocking(move || e.delete_dataset(&id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Start a fit: 202 with the job and its Location.
#[utoipa::path(post, path = "/jobs", tag = "jobs", request_body = FitRequest,
    responses((status = 202, description = "Accepted: the job is queued", body = JobInfo), (status = 429, description = "The job queue is full", body = Problem, content_type = "application/problem+json"),
        (status = "4XX", description = "The request is invalid (see code and detail)", body = Problem, content_type = "application/problem+json")))]
async fn start_fit(State(s): State<AppState>, ApiJson(req): ApiJson<FitRequest>) -> ApiResult<impl IntoResponse> {
    let e = s.engine.clone();
    let job = blocking(move || e.start_fit(&req)).await?;
    Ok((StatusCode::ACCEPTED, [(header::LOCATION, format!("/v1/jobs/{}", job.id))], Json(job)))
}

/// All jobs, newest first.
#[utoipa::path(get, path = "/jobs", tag = "jobs", responses((status = 200, description = "OK", body = Vec<JobInfo>)))]
async fn list_jobs(State(s): State<AppState>) -> ApiResult<Json<Vec<JobInfo>>> {
    let e = s.engine.clone();
    Ok(Json(blocking(move || e.list_jobs()).await?))
}

/// A job's state and progress.
#[utoipa::path(get, path = "/jobs/{id}", tag = "jobs", params(("id" = String, Path)),
    responses((status = 200, description = "OK", body = JobInfo), (status = 404, description = "No such object", body = Problem, content_type = "application/problem+json")))]
async fn get_job(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<JobInfo>> {
    let e = s.engine.clone();
    Ok(Json(blocking(move || e.job(&id)).await?))
}

/// Cancel a job (it stops between batches).
#[utoipa::path(post, path = "/jobs/{id}/cancel", tag = "jobs", params(("id" = String, Path)),
    responses((status = 200, description = "OK", body = JobInfo), (status = 404, description = "No such object", body = Problem, content_type = "application/problem+json")))]
async fn cancel_job(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<JobInfo>> {
    let e = s.engine.clone();
    Ok(Json(blocking(move || e.cancel_job(&id)).await?))
}

/// Progress as server-sent events: a `progress` event (a JobInfo) whenever the job
/// changes, ending with its terminal state.
#[utoipa::path(get, path = "/jobs/{id}/events", tag = "jobs", params(("id" = String, Path)),
    responses((status = 200, description = "text/event-stream of JobInfo", content_type = "text/event-stream"),
        (status = 404, description = "No such object", body = Problem, content_type = "application/problem+json")))]
async fn job_events(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<impl IntoResponse> {
    let e = s.engine.clone();
    let first = {
        let (e, id) = (e.clone(), id.clone());
        blocking(move || e.job(&id)).await?
    };
    let stream = futures_util::stream::unfold((Some(first), None::<JobInfo>, false), move |(next, last, done)| {
        let (e, id) = (e.clone(), id.clone());
        async move {
            if done {
                return None;
            }
            let mut job = next;
            loop {
                let current = match job.take() {
                    Some(j) => j,
                    None => {
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        let (e, id) = (e.clone(), id.clone());
                        match tokio::task::spawn_blocking(move || e.job(&id)).await {
                            Ok(Ok(j)) => j,
                            _ => return None,
                        }
                    }
                };
                if last.as_ref() != Some(&current) {
                    let event = Event::default().event("progress").json_data(&current).expect("plain data serialises");
                    let terminal = current.state.is_terminal();
                    return Some((Ok::<_, std::convert::Infallible>(event), (None, Some(current), terminal)));
                }
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// A trained model: parameters, loss curves, diffusion time.
#[utoipa::path(get, path = "/models/{id}", tag = "models", params(("id" = String, Path)),
    responses((status = 200, description = "OK", body = ModelInfo), (status = 404, description = "No such object", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Conflicts with the object's state", body = Problem, content_type = "application/problem+json")))]
async fn get_model(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<ModelInfo>> {
    let e = s.engine.clone();
    Ok(Json(blocking(move || e.model(&id)).await?))
}

/// The model's weights (`model.npz`, one named array per tensor).
#[utoipa::path(get, path = "/models/{id}/weights", tag = "models", params(("id" = String, Path)),
    responses((status = 200, description = "OK", body = Binary, content_type = "application/octet-stream"),
        (status = 404, description = "No such object", body = Problem, content_type = "application/problem+json")))]
async fn model_weights(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<impl IntoResponse> {
    let e = s.engine.clone();
    let bytes = blocking(move || e.model_weights(&id)).await?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes))
}

/// Analyse the model's training embedding: distances between conditions, clusters, 2-D
/// views (and refresh its figures).
#[utoipa::path(post, path = "/models/{id}/analyses", tag = "models", params(("id" = String, Path)),
    request_body = AnalysisParams,
    responses((status = 200, description = "OK", body = AnalysisInfo), (status = "4XX", description = "The request is invalid (see code and detail)", body = Problem, content_type = "application/problem+json")))]
async fn analyze(
    State(s): State<AppState>,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<AnalysisParams>,
) -> ApiResult<Json<AnalysisInfo>> {
    let e = s.engine.clone();
    Ok(Json(blocking(move || e.analyze(&id, &p)).await?))
}

/// Decode behaviour from the model's latents, against PCA of the input at the same
/// dimension.
#[utoipa::path(post, path = "/models/{id}/decodings", tag = "models", params(("id" = String, Path)),
    request_body = DecodeRequest,
    responses((status = 200, description = "OK", body = DecodeInfo), (status = "4XX", description = "The request is invalid (see code and detail)", body = Problem, content_type = "application/problem+json")))]
async fn decode(
    State(s): State<AppState>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<DecodeRequest>,
) -> ApiResult<Json<DecodeInfo>> {
    let e = s.engine.clone();
    Ok(Json(blocking(move || e.decode(&id, &req)).await?))
}

/// A figure of the model as SVG.
#[utoipa::path(get, path = "/models/{id}/plots/{kind}", tag = "models",
    params(("id" = String, Path), ("kind" = PlotKind, Path)),
    responses((status = 200, description = "OK", body = String, content_type = "image/svg+xml"),
        (status = 404, description = "No such object", body = Problem, content_type = "application/problem+json")))]
async fn plot(State(s): State<AppState>, Path((id, kind)): Path<(String, String)>) -> ApiResult<impl IntoResponse> {
    let kind: PlotKind = serde_json::from_value(serde_json::Value::String(kind.clone())).map_err(|_| {
        ApiError::from(Error::Unknown {
            kind: "plot",
            name: kind,
            choices: "embedding, distances, losses, clusters, vector_field".into(),
        })
    })?;
    let e = s.engine.clone();
    let svg = blocking(move || e.plot(&id, kind)).await?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg))
}

/// Embed a dataset with a model; the embedding is kept.
#[utoipa::path(post, path = "/embeddings", tag = "embeddings", request_body = TransformRequest,
    responses((status = 201, description = "Created", body = EmbeddingInfo), (status = "4XX", description = "The request is invalid (see code and detail)", body = Problem, content_type = "application/problem+json")))]
async fn transform(State(s): State<AppState>, ApiJson(req): ApiJson<TransformRequest>) -> ApiResult<impl IntoResponse> {
    let e = s.engine.clone();
    let info = blocking(move || e.transform(&req)).await?;
    Ok((StatusCode::CREATED, [(header::LOCATION, format!("/v1/embeddings/{}", info.id))], Json(info)))
}

/// Query of embedding downloads.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct EmbeddingQuery {
    /// `json` (default) or `npy` (float32 n x out_channels).
    format: Option<String>,
}

/// A kept embedding, as JSON or as .npy.
#[utoipa::path(get, path = "/embeddings/{id}", tag = "embeddings", params(("id" = String, Path), EmbeddingQuery),
    responses((status = 200, description = "OK", content((EmbeddingInfo = "application/json"), (Binary = "application/octet-stream"))),
        (status = 404, description = "No such object", body = Problem, content_type = "application/problem+json")))]
async fn get_embedding(
    State(s): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<EmbeddingQuery>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = query?;
    let e = s.engine.clone();
    match q.format.as_deref() {
        None | Some("json") => Ok(Json(blocking(move || e.embedding(&id)).await?).into_response()),
        Some("npy") => {
            let bytes = blocking(move || {
                e.embedding(&id)?;
                let (path, _) = e.store().embedding_files(&id);
                std::fs::read(&path).map_err(|err| Error::io("cannot read", &path, err))
            })
            .await?;
            Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response())
        }
        Some(other) => {
            Err(ApiError::new(StatusCode::BAD_REQUEST, "bad_request", format!("format `{other}`; use json or npy")))
        }
    }
}

/// Liveness.
async fn healthz() -> &'static str {
    "ok"
}

async fn require_token(
    State(token): State<Option<String>>,
    request: axum::extract::Request,
    next: middleware::Next,
) -> Response {
    if let Some(t) = token {
        let given = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        if given != Some(format!("Bearer {t}").as_str()) {
            return ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "send `Authorization: Bearer <MARBLE_TOKEN>`",
            )
            .into_response();
        }
    }
    next.run(request).await
}

/// The OpenAPI document of the API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routers().1
}

fn routers() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (api, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(create_dataset, list_datasets))
        .routes(routes!(get_dataset, delete_dataset))
        .routes(routes!(start_fit, list_jobs))
        .routes(routes!(get_job))
        .routes(routes!(cancel_job))
        .routes(routes!(job_events))
        .routes(routes!(get_model))
        .routes(routes!(model_weights))
        .routes(routes!(analyze))
        .routes(routes!(decode))
        .routes(routes!(plot))
        .routes(routes!(transform))
        .routes(routes!(get_embedding))
        .split_for_parts();
    // Paths are documented relative to the /v1 prefix.
    doc.servers = Some(vec![utoipa::openapi::Server::new("/v1")]);
    (api, doc)
}

/// The application, ready to serve.
pub fn app(options: &ServerOptions) -> crate::Result<Router> {
    let engine = LocalEngine::open(options.engine.clone())?;
    let (api, doc) = routers();
    let timeout = options.timeout;
    let api = api
        .layer(DefaultBodyLimit::max(options.max_body))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, timeout));
    let docs: Router<AppState> =
        Router::new().merge(utoipa_swagger_ui::SwaggerUi::new("/docs").url("/openapi.json", doc));
    let protected = Router::new()
        .nest("/v1", api)
        .merge(docs)
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route; see /docs") })
        .layer(middleware::from_fn_with_state(options.token.clone(), require_token))
        .with_state(AppState { engine });
    Ok(Router::new().route("/healthz", axum::routing::get(healthz)).merge(protected))
}

/// Serve on `addr` until Ctrl-C or SIGTERM; `ready` hears the bound address (for port 0).
pub async fn serve(addr: SocketAddr, options: ServerOptions, ready: impl FnOnce(SocketAddr)) -> crate::Result<()> {
    let app = app(&options)?;
    let listener =
        tokio::net::TcpListener::bind(addr).await.map_err(|e| Error::io("cannot listen on", addr.to_string(), e))?;
    let bound = listener.local_addr().map_err(|e| Error::io("cannot listen on", addr.to_string(), e))?;
    ready(bound);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| Error::io("server stopped on", bound.to_string(), e))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// Start a server on a background thread (its own runtime); returns the bound address.
/// For tests and notebooks: the server lives until the process ends.
pub fn spawn(addr: SocketAddr, options: ServerOptions) -> crate::Result<SocketAddr> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
            Ok(rt) => rt,
            Err(e) => {
                let _ = tx.send(Err(Error::io("cannot start the runtime for", addr.to_string(), e)));
                return;
            }
        };
        let tx2 = tx.clone();
        if let Err(e) = rt.block_on(serve(addr, options, move |a| {
            let _ = tx2.send(Ok(a));
        })) {
            let _ = tx.send(Err(e));
        }
    });
    rx.recv().map_err(|_| Error::Conflict("the server thread stopped before binding".into()))?
}
