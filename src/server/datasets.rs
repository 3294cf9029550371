//! `/datasets`: upload (JSON arrays or an .npz), list, read, delete.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use serde::Deserialize;

use super::problem::{ApiError, ApiResult, blocking, json_arrays_body, json_body, json_value};
use super::{AppState, Binary};
use crate::engine::*;
use crate::error::{Error, ErrorCode};

/// Query of dataset uploads.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct UploadQuery {
    /// Name for listings.
    name: Option<String>,
    /// Parameters as JSON text (defaults for missing keys).
    parameters: Option<String>,
}

/// Create a dataset from JSON arrays (`application/json`, a `NewDataset`) or an uploaded
/// `.npz` (`application/octet-stream`, arrays `anchor_c`/`vector_c` or `trajectory_c_j`, and
/// optional `label_c`, `mask_c` and `name_c`).
#[utoipa::path(post, path = "/datasets", tag = "datasets", params(UploadQuery),
    request_body(content((NewDatasetJson = "application/json"), (Binary = "application/octet-stream"))),
    responses((status = 201, description = "Created", body = DatasetInfo)))]
pub(super) async fn create_dataset(
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
        // Typed, as every JSON body, but with no JSON value per number.
        let req: NewDatasetJson = json_arrays_body(&body)?;
        drop(body);
        let params = req.params.map(|p| json_value(p, "params")).transpose()?;
        let name = req.name.or(q.name);
        blocking(move || {
            let conditions = crate::dataset::io::conditions_from_data(req.conditions, "conditions")?;
            engine.create_dataset(&NewDataset::new(name.as_deref(), conditions, params))
        })
        .await?
    } else if ct.starts_with("application/octet-stream") || ct.starts_with("application/x-npz") {
        // JSON text of a Params object; an empty value is no parameters.
        let params = match q.parameters.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            None => None,
            Some(text) => Some(parse_params(json_body(text.as_bytes()).map_err(|_| {
                ApiError::from(Error::ParamsParse {
                    source_name: "parameters".into(),
                    message: "is not JSON; give a Params object as JSON text, e.g. {\"epochs\": 50}".into(),
                })
            })?)?),
        };
        blocking(move || engine.create_dataset_npz(&body, q.name.as_deref(), params.as_ref())).await?
    } else {
        return Err(ApiError::new(
            ErrorCode::UNSUPPORTED_MEDIA_TYPE,
            format!("content type `{ct}`; send application/json (a NewDataset) or application/octet-stream (an .npz)"),
        ));
    };
    let location = format!("/v1/datasets/{}", info.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(info)))
}

fn parse_params(v: serde_json::Value) -> ApiResult<crate::Params> {
    serde_json::from_value(v)
        .map_err(|e| ApiError::from(Error::ParamsParse { source_name: "parameters".into(), message: e.to_string() }))
}

/// All datasets, newest first.
#[utoipa::path(get, path = "/datasets", tag = "datasets", responses((status = 200, description = "OK", body = Vec<DatasetInfo>)))]
pub(super) async fn list_datasets(State(s): State<AppState>) -> ApiResult<Json<Vec<DatasetInfo>>> {
    let e = s.engine.clone();
    Ok(Json(blocking(move || e.list_datasets()).await?))
}

/// One dataset and its summary.
#[utoipa::path(get, path = "/datasets/{id}", tag = "datasets", params(("id" = String, Path)),
    responses((status = 200, description = "OK", body = DatasetInfo)))]
pub(super) async fn get_dataset(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<DatasetInfo>> {
    let e = s.engine.clone();
    Ok(Json(blocking(move || e.dataset(&id)).await?))
}

/// Delete a dataset (refused while a job uses it).
#[utoipa::path(delete, path = "/datasets/{id}", tag = "datasets", params(("id" = String, Path)),
    responses((status = 204, description = "Deleted")))]
pub(super) async fn delete_dataset(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<StatusCode> {
    let e = s.engine.clone();
    blocking(move || e.delete_dataset(&id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
