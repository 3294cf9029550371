//! `/jobs`: start a fit, follow it (polling or server-sent events), cancel it.

use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};

use super::AppState;
use super::problem::{ApiJson, ApiResult, blocking};
use crate::engine::*;

/// Start a fit: 202 with the job and its Location.
#[utoipa::path(post, path = "/jobs", tag = "jobs", request_body = FitRequest,
    responses((status = 202, description = "Accepted: the job is queued", body = JobInfo)))]
pub(super) async fn start_fit(
    State(s): State<AppState>,
    ApiJson(req): ApiJson<FitRequest>,
) -> ApiResult<impl IntoResponse> {
    let e = s.engine.clone();
    let job = blocking(move || e.start_fit(&req)).await?;
    Ok((StatusCode::ACCEPTED, [(header::LOCATION, format!("/v1/jobs/{}", job.id))], Json(job)))
}

/// All jobs, newest first.
#[utoipa::path(get, path = "/jobs", tag = "jobs", responses((status = 200, description = "OK", body = Vec<JobInfo>)))]
pub(super) async fn list_jobs(State(s): State<AppState>) -> ApiResult<Json<Vec<JobInfo>>> {
    let e = s.engine.clone();
    Ok(Json(blocking(move || e.list_jobs()).await?))
}

/// A job's state and progress.
#[utoipa::path(get, path = "/jobs/{id}", tag = "jobs", params(("id" = String, Path)),
    responses((status = 200, description = "OK", body = JobInfo)))]
pub(super) async fn get_job(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<JobInfo>> {
    let e = s.engine.clone();
    Ok(Json(blocking(move || e.job(&id)).await?))
}

/// Cancel a job (it stops between batches).
#[utoipa::path(post, path = "/jobs/{id}/cancel", tag = "jobs", params(("id" = String, Path)),
    responses((status = 200, description = "OK", body = JobInfo)))]
pub(super) async fn cancel_job(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<JobInfo>> {
    let e = s.engine.clone();
    Ok(Json(blocking(move || e.cancel_job(&id)).await?))
}

/// Resume a failed or cancelled job from its last checkpoint (e.g. a fit stopped by a full
/// disk, once space is freed): 202, queued again.
#[utoipa::path(post, path = "/jobs/{id}/resume", tag = "jobs", params(("id" = String, Path)),
    responses((status = 202, description = "Accepted: the job is queued again", body = JobInfo)))]
pub(super) async fn resume_job(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<impl IntoResponse> {
    let e = s.engine.clone();
    let job = blocking(move || e.resume_job(&id)).await?;
    Ok((StatusCode::ACCEPTED, [(header::LOCATION, format!("/v1/jobs/{}", job.id))], Json(job)))
}

/// Progress as server-sent events: a `progress` event (a JobInfo) whenever the job
/// changes, ending with its terminal state.
#[utoipa::path(get, path = "/jobs/{id}/events", tag = "jobs", params(("id" = String, Path)),
    responses((status = 200, description = "text/event-stream of JobInfo", content_type = "text/event-stream")))]
pub(super) async fn job_events(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<impl IntoResponse> {
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
