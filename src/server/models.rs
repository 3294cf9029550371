//! `/models/{id}`: a finished fit's model, weights, analyses, decodings and figures.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;

use super::embeddings::ArraysQuery;
use super::problem::{ApiJson, ApiResult, blocking};
use super::{AppState, Binary};
use crate::analysis::AnalysisParams;
use crate::engine::*;

/// A trained model: parameters, loss curves, diffusion time.
#[utoipa::path(get, path = "/models/{id}", tag = "models", params(("id" = String, Path)),
    responses((status = 200, description = "OK", body = ModelInfo)))]
pub(super) async fn get_model(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<ModelInfo>> {
    let e = s.engine.clone();
    Ok(Json(blocking(move || e.model(&id)).await?))
}

/// The model's weights (`model.npz`, one named array per tensor).
#[utoipa::path(get, path = "/models/{id}/weights", tag = "models", params(("id" = String, Path)),
    responses((status = 200, description = "OK", body = Binary, content_type = "application/octet-stream")))]
pub(super) async fn model_weights(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<impl IntoResponse> {
    let e = s.engine.clone();
    let bytes = blocking(move || e.model_weights(&id)).await?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes))
}

/// One array of the model's run folder as an `.npy` file: `embedding`, `condition`,
/// `distances`, `clusters`, `view_2d`, `decoding_predictions`, ... (see `RunArray`), so that
/// clients read the results as arrays rather than JSON numbers. 404 for an array not
/// written yet (an analysis or decoding makes it).
#[utoipa::path(get, path = "/models/{id}/arrays/{name}", tag = "models",
    params(("id" = String, Path), ("name" = RunArray, Path)),
    responses((status = 200, description = "OK", body = Binary, content_type = "application/octet-stream")))]
pub(super) async fn model_array(
    State(s): State<AppState>,
    Path((id, name)): Path<(String, String)>,
) -> ApiResult<impl IntoResponse> {
    let array = RunArray::parse(&name)?;
    let e = s.engine.clone();
    let bytes = blocking(move || e.model_array(&id, array)).await?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes))
}

/// Analyse the model's training embedding: distances between conditions, clusters, 2-D
/// views (and refresh its figures). With `colour_by` (one value per point or per input
/// row, named by `colour_by_name`), the embedding and vector-field figures are coloured by
/// that variable instead of by condition, until the next analysis.
#[utoipa::path(post, path = "/models/{id}/analyses", tag = "models", params(("id" = String, Path), ArraysQuery),
    request_body = AnalysisParams,
    responses((status = 200, description = "OK", body = AnalysisInfo)))]
pub(super) async fn analyze(
    State(s): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<ArraysQuery>, QueryRejection>,
    ApiJson(p): ApiJson<AnalysisParams>,
) -> ApiResult<Json<AnalysisInfo>> {
    let omit = ArraysQuery::omit(query)?;
    let e = s.engine.clone();
    let mut info = blocking(move || e.analyze(&id, &p)).await?;
    if omit {
        for a in
            [&mut info.distances, &mut info.centroids, &mut info.histograms, &mut info.condition_map, &mut info.view]
        {
            a.clear();
        }
        info.clusters.clear();
        info.view_index.clear();
    }
    Ok(Json(info))
}

/// Decode behaviour from the model's latents, against PCA of the input at the same
/// dimension.
#[utoipa::path(post, path = "/models/{id}/decodings", tag = "models", params(("id" = String, Path)),
    request_body = DecodeRequest,
    responses((status = 200, description = "OK", body = DecodeInfo)))]
pub(super) async fn decode(
    State(s): State<AppState>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<DecodeRequest>,
) -> ApiResult<Json<DecodeInfo>> {
    let e = s.engine.clone();
    Ok(Json(blocking(move || e.decode(&id, &req)).await?))
}

/// A figure of the model as SVG: `embedding`, `distances`, `losses`, `clusters`,
/// `vector_field` or `condition_map` (the conditions placed by MDS of their distances).
#[utoipa::path(get, path = "/models/{id}/plots/{kind}", tag = "models",
    params(("id" = String, Path), ("kind" = PlotKind, Path)),
    responses((status = 200, description = "OK", body = String, content_type = "image/svg+xml")))]
pub(super) async fn plot(
    State(s): State<AppState>,
    Path((id, kind)): Path<(String, String)>,
) -> ApiResult<impl IntoResponse> {
    let kind = PlotKind::parse(&kind)?;
    let e = s.engine.clone();
    let svg = blocking(move || e.plot(&id, kind)).await?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg))
}
