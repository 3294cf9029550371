//! The REST API: axum on tokio, documented with utoipa (`/openapi.json`, Swagger UI at
//! `/docs`, bundled so it works offline). Every handler is a thin layer over the
//! [`Engine`] trait (a [`LocalEngine`] here); heavy work runs on blocking threads or the engine's job workers, never on
//! the async runtime. Errors are `application/problem+json` with a stable `code`.

mod datasets;
mod document;
mod embeddings;
mod jobs;
mod models;
mod problem;

use std::net::SocketAddr;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Router, middleware};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use crate::error::Problem;
pub use crate::server_process::ServerOptions;
pub use problem::{ApiError, ApiJson};

use crate::engine::*;
use crate::error::{Error, ErrorCode};

/// What every handler holds: the engine, through its trait only, so whatever the API offers
/// any [`Engine`] offers too.
#[derive(Clone)]
struct AppState {
    engine: std::sync::Arc<dyn Engine>,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "MARBLE", description = "Latent representations of dynamics on manifolds: datasets, fits, embeddings, analyses and figures."),
    components(schemas(Problem, PlotKind, RunArray, embeddings::EmbeddingFormat)),
    tags((name = "datasets"), (name = "jobs"), (name = "models"), (name = "embeddings"))
)]
struct ApiDoc;

/// A file in a request or response body (.npz, .npy).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct Binary(#[allow(dead_code)] Vec<u8>);

/// Liveness.
async fn healthz() -> &'static str {
    "ok"
}

/// Readiness for writes: 200 while the data folder's disk is above `--min-free-mib`, 503
/// while uploads, fits, transforms and analyses are refused (reads and deletes still work).
async fn readyz(State(s): State<AppState>) -> Response {
    let e = s.engine.clone();
    match problem::blocking(move || e.readiness()).await {
        Ok(ready) => {
            let status = if ready.writable { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
            (status, axum::Json(ready)).into_response()
        }
        Err(e) => e.into_response(),
    }
}

async fn require_token(
    State(token): State<Option<String>>,
    request: axum::extract::Request,
    next: middleware::Next,
) -> Response {
    if let Some(t) = token {
        let given = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        if given != Some(format!("Bearer {t}").as_str()) {
            return ApiError::new(ErrorCode::UNAUTHORIZED, "send `Authorization: Bearer <MARBLE_TOKEN>`")
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
        .routes(routes!(datasets::create_dataset, datasets::list_datasets))
        .routes(routes!(datasets::get_dataset, datasets::delete_dataset))
        .routes(routes!(jobs::start_fit, jobs::list_jobs))
        .routes(routes!(jobs::get_job))
        .routes(routes!(jobs::cancel_job))
        .routes(routes!(jobs::resume_job))
        .routes(routes!(jobs::job_events))
        .routes(routes!(models::get_model))
        .routes(routes!(models::model_weights))
        .routes(routes!(models::analyze))
        .routes(routes!(models::decode))
        .routes(routes!(models::plot))
        .routes(routes!(models::model_array))
        .routes(routes!(embeddings::transform))
        .routes(routes!(embeddings::get_embedding))
        .split_for_parts();
    // Paths are documented relative to the /v1 prefix.
    doc.servers = Some(vec![utoipa::openapi::Server::new("/v1")]);
    (api, document::complete(doc))
}

/// The application, ready to serve.
pub fn app(options: &ServerOptions) -> crate::Result<Router> {
    let engine: std::sync::Arc<dyn Engine> = std::sync::Arc::new(LocalEngine::open(options.engine.clone())?);
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
        .fallback(|| async { ApiError::new(ErrorCode::NOT_FOUND, "no such route; see /docs") })
        .layer(middleware::from_fn_with_state(options.token.clone(), require_token))
        .with_state(AppState { engine: engine.clone() });
    // Probes for load balancers, without a token.
    let probes = Router::new()
        .route("/healthz", axum::routing::get(healthz))
        .route("/readyz", axum::routing::get(readyz))
        .with_state(AppState { engine });
    Ok(probes.merge(protected))
}

/// Serve on `addr` until Ctrl-C or SIGTERM; `ready` hears the bound address (for port 0).
pub async fn serve(addr: SocketAddr, options: ServerOptions, ready: impl FnOnce(SocketAddr)) -> crate::Result<()> {
    // Opening the store may block (a PostgreSQL connection has its own runtime).
    let app = tokio::task::block_in_place(|| app(&options))?;
    let listener =
        tokio::net::TcpListener::bind(addr).await.map_err(|e| Error::io("cannot listen on", addr.to_string(), e))?;
    let bound = listener.local_addr().map_err(|e| Error::io("cannot listen on", addr.to_string(), e))?;
    ready(bound);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| Error::io("server stopped on", bound.to_string(), e))
}

/// Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
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
    rx.recv().map_err(|_| Error::Unavailable("the server thread stopped before binding".into()))?
}
