//! The OpenAPI document: what utoipa derives from the handlers, completed with what SDK
//! generators and API testers need to know and the derive cannot say.
//!
//! - Every error status an operation answers, each as problem+json: those of the
//!   operation's error codes ([`ERRORS`]) and those every route can give ([`COMMON`]: 401
//!   with a token set, 408 past the timeout, 500), with statuses from the error table.
//! - Unsigned integer fields hold at most 2^64 - 1 (the engine's counts and seeds are u64).
//! - Links from a created resource to the operations that use it (dataset -> fit ->
//!   model -> analyses, figures, embeddings), so clients and testers can follow them.
//! - The `parameters` query of an upload is JSON text of a `Params` object.
//! - A small dataset that builds, as the example of `NewDataset`; rows of at least one number.

use serde_json::{Value, json};

use crate::error::ErrorCode as C;

/// Rejections of a JSON body: malformed or off-schema, too large, not JSON.
const JSON_BODY: &[C] = &[C::BAD_REQUEST, C::BODY_TOO_LARGE, C::UNSUPPORTED_MEDIA_TYPE];

/// Data or parameters the engine refuses beyond what a schema can say.
const UNUSABLE: &[C] = &[
    C::INVALID_PARAMS,
    C::PARAMS_PARSE,
    C::INPUT_FORMAT,
    C::NO_CONDITIONS,
    C::EMPTY_CONDITION,
    C::NON_FINITE,
    C::RAGGED,
    C::LENGTH_MISMATCH,
    C::DIMENSION_MISMATCH,
    C::TOO_FEW_POINTS,
    C::DUPLICATE_POINTS,
    C::DEGENERATE_NEIGHBOURHOOD,
    C::INCOMPATIBLE_MODEL,
    C::INVALID_ARGUMENT,
];

/// The error codes of each operation besides [`COMMON`], by operation id; their statuses
/// come from the error table.
const ERRORS: &[(&str, &[&[C]])] = &[
    ("create_dataset", &[JSON_BODY, UNUSABLE, &[C::DISK_FULL]]),
    ("list_datasets", &[]),
    ("get_dataset", &[&[C::NOT_FOUND]]),
    ("delete_dataset", &[&[C::NOT_FOUND, C::CONFLICT]]),
    ("start_fit", &[JSON_BODY, UNUSABLE, &[C::NOT_FOUND, C::QUEUE_FULL], &[C::DISK_FULL]]),
    ("list_jobs", &[]),
    ("get_job", &[&[C::NOT_FOUND]]),
    ("cancel_job", &[&[C::NOT_FOUND]]),
    ("resume_job", &[&[C::NOT_FOUND, C::CONFLICT, C::QUEUE_FULL, C::DISK_FULL]]),
    ("job_events", &[&[C::NOT_FOUND]]),
    ("get_model", &[&[C::NOT_FOUND, C::CONFLICT]]),
    ("model_weights", &[&[C::NOT_FOUND, C::CONFLICT]]),
    ("analyze", &[JSON_BODY, UNUSABLE, &[C::NOT_FOUND, C::CONFLICT], &[C::DISK_FULL]]),
    ("decode", &[JSON_BODY, UNUSABLE, &[C::NOT_FOUND, C::CONFLICT], &[C::DISK_FULL]]),
    ("plot", &[&[C::NOT_FOUND, C::CONFLICT, C::INVALID_ARGUMENT]]),
    ("model_array", &[&[C::NOT_FOUND, C::CONFLICT, C::UNKNOWN_NAME]]),
    ("transform", &[JSON_BODY, UNUSABLE, &[C::NOT_FOUND, C::CONFLICT, C::DEVICE_UNAVAILABLE], &[C::DISK_FULL]]),
    ("get_embedding", &[&[C::BAD_REQUEST, C::NOT_FOUND]]),
];

/// Codes every route can answer: a missing token, a request past the timeout, a failure of
/// the server (its files, its store, a bug).
const COMMON: &[C] = &[C::UNAUTHORIZED, C::TIMEOUT, C::INTERNAL, C::IO, C::DATABASE];

/// The statuses of an operation's codes, ascending, each once.
fn statuses(groups: &[&[C]]) -> Vec<u16> {
    let mut s: Vec<u16> = groups.iter().flat_map(|g| g.iter()).chain(COMMON).map(|c| c.status).collect();
    s.sort_unstable();
    s.dedup();
    s
}

fn describe(status: u16) -> &'static str {
    match status {
        400 => "Malformed JSON, or a body or query that does not fit the schema",
        401 => "The server sets MARBLE_TOKEN and the request has no matching `Authorization: Bearer` token",
        404 => "No such object",
        408 => "The request took longer than the server's timeout",
        409 => "Conflicts with the object's state (e.g. the model's job has not finished)",
        413 => "The body is larger than the server's limit",
        415 => "Unsupported content type",
        422 => {
            "Well-formed, but the engine cannot use it: data or parameter values it refuses beyond \
                what a schema can say (fewer points than k + 1, val_fraction + test_fraction >= 1, ...); \
                `code`, `field` and `detail` say which and how to fix it"
        }
        429 => "The job queue is full; retry after the seconds in `Retry-After`",
        500 => "The server failed (see detail)",
        503 => "The compute device is unavailable",
        507 => {
            "The data folder's disk is below the server's free-space floor (--min-free-mib): nothing is \
                written until space is freed; deleting works, and GET /readyz says when writes resume"
        }
        _ => "Error",
    }
}

/// The document, completed (see the module docs).
pub fn complete(doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    let mut v = serde_json::to_value(&doc).expect("the document serialises");
    declare_errors(&mut v);
    bound_integers(&mut v["components"]["schemas"]);
    add_links(&mut v);
    upload_parameters_are_json(&mut v);
    v["components"]["schemas"]["NewDataset"]["example"] = example_dataset();
    // A row holds at least one number.
    for (schema, field) in [("ConditionData", "anchor"), ("ConditionData", "vector"), ("DecodeRequest", "behaviour")] {
        v["components"]["schemas"][schema]["properties"][field]["items"]["minItems"] = json!(1);
    }
    serde_json::from_value(v).expect("the completed document is still a document")
}

fn operations(v: &mut Value) -> impl Iterator<Item = &mut Value> {
    v["paths"]
        .as_object_mut()
        .into_iter()
        .flat_map(|paths| paths.values_mut())
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut())
        .filter(|op| op.get("operationId").is_some())
}

fn declare_errors(v: &mut Value) {
    for op in operations(v) {
        let id = op["operationId"].as_str().unwrap_or_default().to_string();
        let own = ERRORS
            .iter()
            .find(|(name, _)| *name == id)
            .map_or_else(|| panic!("operation {id} is missing from server::document::ERRORS"), |(_, g)| *g);
        let responses = op["responses"].as_object_mut().expect("operations have responses");
        responses.retain(|status, _| !status.ends_with("XX"));
        for status in statuses(own) {
            let mut response = json!({
                "description": describe(status),
                "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
            });
            if status == 429 {
                response["headers"] = json!({"Retry-After": {
                    "description": "Seconds to wait before trying again",
                    "schema": {"type": "integer", "minimum": 1}
                }});
            }
            responses.insert(status.to_string(), response);
        }
    }
}

/// Unsigned integers (those with `minimum` >= 0) get the largest value they hold.
fn bound_integers(v: &mut Value) {
    match v {
        Value::Object(map) => {
            let integer = match map.get("type") {
                Some(Value::String(t)) => t == "integer",
                Some(Value::Array(ts)) => ts.iter().any(|t| t == "integer"),
                _ => false,
            };
            if integer && map.get("minimum").and_then(Value::as_f64).is_some_and(|m| m >= 0.0) {
                map.entry("maximum").or_insert(json!(u64::MAX));
                // `int64` would cap them at 2^63 - 1, which is not what the server takes.
                if map.get("format").is_some_and(|f| f == "int64") {
                    map.remove("format");
                }
            }
            map.values_mut().for_each(bound_integers);
        }
        Value::Array(items) => items.iter_mut().for_each(bound_integers),
        _ => {}
    }
}

/// `(path, method, status, link name, target operation, parameters, request body)`.
type LinkSpec = (&'static str, &'static str, &'static str, &'static str, &'static str, Value, Option<Value>);

fn links() -> Vec<LinkSpec> {
    let id = || json!({"id": "$response.body#/id"});
    let path_id = || json!({"id": "$request.path.id"});
    vec![
        ("/datasets", "post", "201", "GetDataset", "get_dataset", id(), None),
        ("/datasets", "post", "201", "DeleteDataset", "delete_dataset", id(), None),
        (
            "/datasets",
            "post",
            "201",
            "FitDataset",
            "start_fit",
            json!({}),
            Some(json!({"dataset": "$response.body#/id"})),
        ),
        (
            "/datasets/{id}",
            "get",
            "200",
            "FitDataset",
            "start_fit",
            json!({}),
            Some(json!({"dataset": "$response.body#/id"})),
        ),
        ("/jobs", "post", "202", "GetJob", "get_job", id(), None),
        ("/jobs", "post", "202", "CancelJob", "cancel_job", id(), None),
        ("/jobs", "post", "202", "ResumeJob", "resume_job", id(), None),
        ("/jobs", "post", "202", "JobEvents", "job_events", id(), None),
        ("/jobs", "post", "202", "GetModel", "get_model", id(), None),
        ("/jobs/{id}", "get", "200", "GetModel", "get_model", id(), None),
        ("/jobs/{id}", "get", "200", "GetDataset", "get_dataset", json!({"id": "$response.body#/dataset"}), None),
        ("/models/{id}", "get", "200", "Weights", "model_weights", id(), None),
        ("/models/{id}", "get", "200", "Analyze", "analyze", id(), None),
        ("/models/{id}", "get", "200", "Decode", "decode", id(), None),
        ("/models/{id}", "get", "200", "Plot", "plot", json!({"id": "$response.body#/id", "kind": "distances"}), None),
        (
            "/models/{id}",
            "get",
            "200",
            "Embedding",
            "model_array",
            json!({"id": "$response.body#/id", "name": "embedding"}),
            None,
        ),
        (
            "/models/{id}",
            "get",
            "200",
            "Transform",
            "transform",
            json!({}),
            Some(json!({"model": "$response.body#/id", "dataset": "$response.body#/dataset"})),
        ),
        (
            "/models/{id}/analyses",
            "post",
            "200",
            "Plot",
            "plot",
            json!({"id": "$request.path.id", "kind": "distances"}),
            None,
        ),
        ("/models/{id}/analyses", "post", "200", "GetModel", "get_model", path_id(), None),
        (
            "/models/{id}/analyses",
            "post",
            "200",
            "Distances",
            "model_array",
            json!({"id": "$request.path.id", "name": "distances"}),
            None,
        ),
        ("/embeddings", "post", "201", "GetEmbedding", "get_embedding", id(), None),
        ("/embeddings", "post", "201", "GetModel", "get_model", json!({"id": "$response.body#/model"}), None),
    ]
}

fn add_links(v: &mut Value) {
    for (path, method, status, name, target, parameters, body) in links() {
        let response = &mut v["paths"][path][method]["responses"][status];
        assert!(response.is_object(), "no {status} response on {method} {path} to link from");
        // utoipa reads `parameters` back only when present (empty ones are not written).
        let mut link = json!({"operationId": target, "parameters": parameters});
        if let Some(b) = body {
            link["requestBody"] = b;
        }
        response["links"][name] = link;
    }
}

/// The upload's `parameters` query is a `Params` object as JSON text: a string (as SDK
/// generators expect a query value to be) whose content is JSON of that schema.
fn upload_parameters_are_json(v: &mut Value) {
    let params = v["paths"]["/datasets"]["post"]["parameters"].as_array_mut().expect("the upload has a query");
    for p in params.iter_mut().filter(|p| p["name"] == "parameters") {
        p["schema"] = json!({
            "type": "string",
            "contentMediaType": "application/json",
            "contentSchema": {"$ref": "#/components/schemas/Params"}
        });
    }
}

/// Two planar fields, 24 points each, with parameters small enough to fit in a second.
fn example_dataset() -> Value {
    let conds =
        crate::examples::planar_fields(&[crate::examples::Field::Vortex, crate::examples::Field::Saddle], 24, 0);
    let round = |x: f64| (x * 1000.0).round() / 1000.0;
    let rows = |a: &ndarray::Array2<f64>| -> Vec<Vec<f64>> {
        a.rows().into_iter().map(|r| r.iter().map(|&x| round(x)).collect()).collect()
    };
    let conditions: Vec<Value> = conds
        .as_slice()
        .iter()
        .map(|c| json!({"name": c.name, "anchor": rows(&c.anchor), "vector": rows(&c.vector)}))
        .collect();
    json!({"name": "two fields", "conditions": conditions, "params": {"k": 5, "epochs": 2}})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_declares_its_errors_and_the_example_builds() {
        let doc = serde_json::to_value(crate::server::openapi()).unwrap();
        let mut seen = 0;
        for item in doc["paths"].as_object().unwrap().values() {
            for op in item.as_object().unwrap().values() {
                let statuses: Vec<&String> = op["responses"].as_object().unwrap().keys().collect();
                for s in ["401", "408", "500"] {
                    assert!(statuses.iter().any(|k| *k == s), "{}: no {s}", op["operationId"]);
                }
                assert!(!statuses.iter().any(|k| k.ends_with("XX")));
                seen += 1;
            }
        }
        assert_eq!(seen, ERRORS.len());
        // The example is a dataset the engine accepts.
        let example = &doc["components"]["schemas"]["NewDataset"]["example"];
        let conditions = crate::dataset::io::parse_json(&example["conditions"].to_string(), "example").unwrap();
        let params: crate::Params = serde_json::from_value(example["params"].clone()).unwrap();
        crate::Dataset::build(&conditions, &params.check().unwrap(), &crate::progress::Silent).unwrap();
    }
}
