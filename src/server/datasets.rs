//! `/datasets`: upload (JSON arrays or an .npz), list, read, delete.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::problem::{ApiError, ApiResult, blocking, json_arrays_body, json_body, json_value};
use super::{AppState, Binary, upload};
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
// An .npz is streamed to the data folder (bounded by `--max-body-mib`, on disk); a JSON body
// is read whole (bounded by `--max-json-mib`, in memory).
#[utoipa::path(post, path = "/datasets", tag = "datasets", params(UploadQuery),
    request_body(content((NewDatasetJson = "application/json"), (Binary = "application/octet-stream"))),
    responses((status = 201, description = "Created", body = DatasetInfo)))]
pub(super) async fn create_dataset(
    State(s): State<AppState>,
    query: Result<Query<UploadQuery>, QueryRejection>,
    request: Request,
) -> ApiResult<Response> {
    let Query(q) = query?;
    let ct =
        request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let info = if ct.starts_with("application/json") {
        // Read whole (within the JSON limit), typed, with no JSON value per number.
        let body = Bytes::from_request(request, &s).await?;
        let req: NewDatasetJson = json_arrays_body(&body)?;
        drop(body);
        let params = req.params.map(|p| json_value(p, "params")).transpose()?;
        let name = req.name.or(q.name);
        let engine = s.engine.clone();
        blocking(move || {
            let conditions = crate::dataset::io::conditions_from_data(req.conditions, "conditions")?;
            engine.create_dataset(&NewDataset::new(name.as_deref(), conditions, params))
        })
        .await?
    } else if ct.starts_with("application/octet-stream") || ct.starts_with("application/x-npz") {
        let params = upload_params(q.parameters.as_deref())?;
        let (parts, body) = request.into_parts();
        // Streamed to a file: an answer before the body's end closes the connection.
        let upload = match s.uploads.receive(s.engine.clone(), &parts.headers, body).await {
            Ok(upload) => upload,
            Err(e) => return Ok(closing(e.into_response())),
        };
        let (engine, path) = (s.engine.clone(), upload.path().to_path_buf());
        let info = blocking(move || {
            engine
                .create_dataset_npz_file(&path, q.name.as_deref(), params.as_ref())
                .map_err(|e| upload::as_uploaded(e, &path))
        })
        .await;
        drop(upload);
        info?
    } else {
        return Err(ApiError::new(
            ErrorCode::UNSUPPORTED_MEDIA_TYPE,
            format!("content type `{ct}`; send application/json (a NewDataset) or application/octet-stream (an .npz)"),
        ));
    };
    let location = format!("/v1/datasets/{}", info.id);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(info)).into_response())
}

/// The `parameters` query of an upload: JSON text of a Params object; empty is none.
fn upload_params(text: Option<&str>) -> ApiResult<Option<crate::Params>> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(text) => Ok(Some(parse_params(json_body(text.as_bytes()).map_err(|_| {
            ApiError::from(Error::ParamsParse {
                source_name: "parameters".into(),
                message: "is not JSON; give a Params object as JSON text, e.g. {\"epochs\": 50}".into(),
            })
        })?)?)),
    }
}

/// Say that the connection closes after this answer (its body was not read to the end), so
/// that a client which pools connections does not send its next request into it.
fn closing(mut response: Response) -> Response {
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
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
