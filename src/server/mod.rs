//! The REST API: axum on tokio, documented with utoipa (`/openapi.json`, Swagger UI at
//! `/docs`, bundled so it works offline). Every handler is a thin layer over the
//! [`Engine`] trait (a [`LocalEngine`] here); heavy work runs on blocking threads or the engine's job workers, never on
//! the async runtime. Errors are `application/problem+json` with a stable `code`.

mod datasets;
mod document;
mod embeddings;
mod jobs;
mod metrics;
mod models;
mod observe;
mod problem;
mod upload;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Router, middleware};
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use crate::error::Problem;
pub use crate::server_process::ServerOptions;
pub use observe::REQUEST_ID;
pub use problem::{ApiError, ApiJson};

use crate::engine::*;
use crate::error::{Error, ErrorCode};

/// What every handler holds: the engine, through its trait only, so whatever the API offers
/// any [`Engine`] offers too.
#[derive(Clone)]
struct AppState {
    engine: std::sync::Arc<dyn Engine>,
    /// Where .npz uploads are streamed before the engine reads them.
    uploads: upload::Uploads,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "MARBLE", description = "Latent representations of dynamics on manifolds: datasets, fits, embeddings, analyses and figures."),
    components(schemas(Problem, PlotKind, RunArray, embeddings::EmbeddingFormat, embeddings::Arrays)),
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
    Ok(build(options)?.0)
}

/// What `serve` needs besides the router: the requests in flight, for the shutdown's log.
struct Running {
    in_flight: Arc<observe::InFlight>,
    /// Where running jobs go when this process stops.
    after_stop: &'static str,
}

fn build(options: &ServerOptions) -> crate::Result<(Router, Running)> {
    let cors = cors(&options.cors_origins)?;
    // Before the engine, whose workers count themselves in.
    metrics::init();
    let local = LocalEngine::open(options.engine.clone())?;
    let after_stop = match local.backend() {
        "sqlite" => "running jobs resume from their last checkpoint when the server starts again",
        _ => "running jobs are taken over by another worker when their lease expires",
    };
    let uploads = upload::Uploads::new(local.artifacts().uploads_dir(), options.max_body as u64);
    let engine: Arc<dyn Engine> = Arc::new(local);
    let in_flight = Arc::new(observe::InFlight::default());
    let (api, doc) = routers();
    let timeout = options.timeout;
    let api = api
        // For bodies read whole (JSON); uploads count their bytes as they stream.
        .layer(DefaultBodyLimit::max(options.max_json_body.min(options.max_body)))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, timeout));
    let docs: Router<AppState> =
        Router::new().merge(utoipa_swagger_ui::SwaggerUi::new("/docs").url("/openapi.json", doc));
    let scrape = metrics::Scrape { engine: engine.clone(), in_flight: in_flight.clone() };
    let metrics_route = Router::new().route("/metrics", axum::routing::get(metrics::metrics)).with_state(scrape);
    let (open_metrics, token_metrics) = match options.metrics_token {
        true => (Router::new(), metrics_route),
        false => (metrics_route, Router::new()),
    };
    let protected = Router::new()
        .nest("/v1", api)
        .merge(docs)
        .with_state(AppState { engine: engine.clone(), uploads: uploads.clone() })
        .merge(token_metrics)
        .fallback(|| async { ApiError::new(ErrorCode::NOT_FOUND, "no such route; see /docs") })
        .layer(middleware::from_fn_with_state(options.token.clone(), require_token));
    // Probes for load balancers, without a token.
    let probes = Router::new()
        .route("/healthz", axum::routing::get(healthz))
        .route("/readyz", axum::routing::get(readyz))
        .with_state(AppState { engine, uploads })
        .merge(open_metrics);
    // `Router::layer` wraps each route, so the request's middleware sees its matched path;
    // CORS answers preflights before the token is asked for, and the log sees every answer.
    let mut app = probes.merge(protected);
    if let Some(cors) = cors {
        app = app.layer(cors);
    }
    let app = app.layer(middleware::from_fn_with_state(in_flight.clone(), observe::observe));
    Ok((app, Running { in_flight, after_stop }))
}

/// The CORS layer for `origins` (`--cors-origin`): none when empty; `*` alone allows any
/// origin without credentials; otherwise exactly those origins, with credentials (the bearer
/// token). Preflights are answered, and the headers a client reads are exposed.
fn cors(origins: &[String]) -> crate::Result<Option<tower_http::cors::CorsLayer>> {
    use axum::http::{Method, header::HeaderName};
    use tower_http::cors::{AllowOrigin, CorsLayer};
    if origins.is_empty() {
        return Ok(None);
    }
    let layer = CorsLayer::new()
        .allow_methods([Method::GET, Method::POST, Method::DELETE, Method::HEAD])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            REQUEST_ID,
            HeaderName::from_static("last-event-id"),
        ])
        .expose_headers([header::RETRY_AFTER, header::LOCATION, REQUEST_ID])
        .max_age(Duration::from_secs(600));
    if origins.iter().any(|o| o == "*") {
        if origins.len() > 1 {
            return Err(Error::argument("cors_origin", "`*` allows every origin: give it alone"));
        }
        return Ok(Some(layer.allow_origin(AllowOrigin::any())));
    }
    let values = origins.iter().map(|o| origin_value(o)).collect::<crate::Result<Vec<_>>>()?;
    Ok(Some(layer.allow_origin(AllowOrigin::list(values)).allow_credentials(true)))
}

/// An origin as browsers send it: `scheme://host[:port]`, no path, no trailing slash.
fn origin_value(origin: &str) -> crate::Result<axum::http::HeaderValue> {
    let bad = |why: &str| {
        Error::argument(
            "cors_origin",
            format!("`{origin}` is not an origin ({why}); write it as https://host or http://host:port"),
        )
    };
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .ok_or_else(|| bad("no http:// or https://"))?;
    if rest.is_empty() || rest.contains(['/', '?', '#', ' ']) {
        return Err(bad("a path, or no host"));
    }
    axum::http::HeaderValue::from_str(origin).map_err(|_| bad("characters a header cannot carry"))
}

/// Serve on `addr` until Ctrl-C or SIGTERM; `ready` hears the bound address (for port 0).
/// On the signal the server stops accepting connections and waits for the requests in
/// flight, at most `options.shutdown_timeout` (an event stream would hold it for as long
/// as its job runs); running jobs are left to resume as after any stop. The log says so.
pub async fn serve(addr: SocketAddr, options: ServerOptions, ready: impl FnOnce(SocketAddr)) -> crate::Result<()> {
    // Opening the store may block (a PostgreSQL connection has its own runtime).
    let (app, running) = tokio::task::block_in_place(|| build(&options))?;
    let listener =
        tokio::net::TcpListener::bind(addr).await.map_err(|e| Error::io("cannot listen on", addr.to_string(), e))?;
    let bound = listener.local_addr().map_err(|e| Error::io("cannot listen on", addr.to_string(), e))?;
    let signalled = shutdown_signal();
    tracing::info!(addr = %bound, "listening");
    ready(bound);
    let grace = options.shutdown_timeout;
    let (stopping_tx, mut stopping) = tokio::sync::watch::channel(false);
    let in_flight = running.in_flight.clone();
    let signal = async move {
        let which = signalled.await;
        tracing::info!(
            signal = which,
            in_flight = in_flight.count(),
            grace_s = grace.as_secs_f64(),
            "shutting down: no new connections; requests in flight may finish within the grace period"
        );
        let _ = stopping_tx.send(true);
    };
    let server = axum::serve(listener, app).with_graceful_shutdown(signal);
    let deadline = async move {
        if stopping.wait_for(|s| *s).await.is_err() {
            // No signal came and none will: the server's own end decides.
            std::future::pending::<()>().await;
        }
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        done = server.into_future() => {
            done.map_err(|e| Error::io("server stopped on", bound.to_string(), e))?;
            tracing::info!("stopped: every request in flight finished; {}", running.after_stop);
        }
        _ = deadline => {
            tracing::warn!(
                in_flight = running.in_flight.count(),
                "stopped after the grace period with requests still in flight (their connections close); {}",
                running.after_stop
            );
        }
    }
    Ok(())
}

/// Waits for Ctrl-C or SIGTERM, and says which. The handlers are installed when this is
/// called, not when it is first awaited, so a signal sent right after a server says it
/// listens is not missed; call it inside the runtime.
pub fn shutdown_signal() -> impl std::future::Future<Output = &'static str> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{Signal, SignalKind, signal};
        let (mut term, mut int) = (signal(SignalKind::terminate()).ok(), signal(SignalKind::interrupt()).ok());
        async fn recv(s: &mut Option<Signal>) {
            match s {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending().await,
            }
        }
        async move {
            tokio::select! {
                _ = recv(&mut term) => "SIGTERM",
                _ = recv(&mut int) => "Ctrl-C",
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
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
