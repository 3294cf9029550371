//! `/embeddings`: a model applied to a dataset, kept for download as JSON or .npy.

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::problem::{ApiJson, ApiResult, blocking};
use super::{AppState, Binary};
use crate::engine::*;

/// Whether a JSON answer carries its arrays.
#[derive(Clone, Copy, Debug, Default, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Arrays {
    /// The arrays as JSON numbers (the default).
    #[default]
    Include,
    /// Empty lists in their place, for clients that fetch them as .npy
    /// (`GET /v1/embeddings/{id}?format=npy`, `GET /v1/models/{id}/arrays/{name}`).
    Omit,
}

/// Query of calls whose answers hold arrays.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct ArraysQuery {
    /// `include` (default) or `omit`: leave the arrays out of the answer, to fetch them as
    /// .npy instead of JSON numbers.
    arrays: Option<Arrays>,
}

impl ArraysQuery {
    pub(super) fn omit(q: Result<Query<ArraysQuery>, QueryRejection>) -> ApiResult<bool> {
        let Query(q) = q?;
        Ok(q.arrays == Some(Arrays::Omit))
    }
}

/// Embed a dataset with a model; the embedding is kept.
#[utoipa::path(post, path = "/embeddings", tag = "embeddings", request_body = TransformRequest, params(ArraysQuery),
    responses((status = 201, description = "Created", body = EmbeddingInfo)))]
pub(super) async fn transform(
    State(s): State<AppState>,
    query: Result<Query<ArraysQuery>, QueryRejection>,
    ApiJson(req): ApiJson<TransformRequest>,
) -> ApiResult<impl IntoResponse> {
    let omit = ArraysQuery::omit(query)?;
    let e = s.engine.clone();
    let mut info = blocking(move || e.transform(&req)).await?;
    if omit {
        info.embedding.clear();
    }
    Ok((StatusCode::CREATED, [(header::LOCATION, format!("/v1/embeddings/{}", info.id))], Json(info)))
}

/// How an embedding is downloaded.
#[derive(Clone, Copy, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum EmbeddingFormat {
    /// An `EmbeddingInfo` (the default).
    #[default]
    Json,
    /// The latents as .npy, float32 n x out_channels.
    Npy,
}

/// Query of embedding downloads.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct EmbeddingQuery {
    /// `json` (default) or `npy` (float32 n x out_channels).
    format: Option<EmbeddingFormat>,
}

/// A kept embedding, as JSON or as .npy.
#[utoipa::path(get, path = "/embeddings/{id}", tag = "embeddings", params(("id" = String, Path), EmbeddingQuery),
    responses((status = 200, description = "OK", content((EmbeddingInfo = "application/json"), (Binary = "application/octet-stream")))))]
pub(super) async fn get_embedding(
    State(s): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<EmbeddingQuery>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(q) = query?;
    let e = s.engine.clone();
    match q.format.unwrap_or_default() {
        EmbeddingFormat::Json => Ok(Json(blocking(move || e.embedding(&id)).await?).into_response()),
        EmbeddingFormat::Npy => {
            let bytes = blocking(move || e.embedding_npy(&id)).await?;
            Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response())
        }
    }
}
