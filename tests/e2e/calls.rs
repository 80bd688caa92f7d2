//! One tool of each kind: the exact request the backend received and the result.

use crate::common::*;
use serde_json::{Value, json};

async fn setup() -> (RecordingBackend, HttpBridge, Client) {
    let backend = RecordingBackend::start().await;
    let bridge = start_bridge(backend_args(&backend.url)).await;
    let client = http_client(&bridge.url).await;
    (backend, bridge, client)
}

#[tokio::test]
async fn list_with_query_defaults_sends_only_what_was_given() {
    let (backend, _bridge, client) = setup().await;
    let page = call_ok(&client, "station_timeline", json!({"station_slug": "ops-center"})).await;
    let req = backend.take_one();
    assert_eq!((req.method.as_str(), req.target.as_str()), ("GET", "/api/v1/stations/ops-center/timeline"));
    assert_eq!(page["limit"], 50, "the backend applied its own default");
    assert_eq!(page["offset"], 0);

    let page =
        call_ok(&client, "station_timeline", json!({"station_slug": "ops-center", "limit": 2, "offset": 1})).await;
    assert_eq!(backend.take_one().target, "/api/v1/stations/ops-center/timeline?limit=2&offset=1");
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn discriminated_timeline_entries_keep_their_type() {
    let (_backend, _bridge, client) = setup().await;
    let page = call_ok(&client, "station_timeline", json!({"station_slug": "ops-center", "limit": 200})).await;
    let mut kinds: Vec<String> =
        page["items"].as_array().unwrap().iter().map(|i| i["entry_type"].as_str().unwrap().to_string()).collect();
    kinds.sort();
    kinds.dedup();
    assert_eq!(kinds, ["agent_action_audit", "poi_imei_alert", "telemetry_event"]);
}

#[tokio::test]
async fn get_by_id_returns_structured_content_and_the_same_json_as_text() {
    let (backend, _bridge, client) = setup().await;
    let result = call(&client, "get_poi", json!({"poi_id": 1})).await.unwrap();
    let req = backend.take_one();
    assert_eq!((req.method.as_str(), req.target.as_str()), ("GET", "/api/v1/poi/1"));
    let structured = result.structured_content.clone().unwrap();
    assert_eq!(structured["id"], 1);
    assert_eq!(structured["name"], "Viktor Sokolov");
    let text_json: Value = serde_json::from_str(&text(&result)).unwrap();
    assert_eq!(text_json, structured, "clients that ignore structuredContent get the same JSON as text");
}

#[tokio::test]
async fn create_sends_the_body_as_given_and_leaves_out_what_was_left_out() {
    let (backend, _bridge, client) = setup().await;
    // The body's fields are arguments; a strict-mode model sends every one, null for "not
    // given", and the backend gets only the others.
    let created = call_ok(
        &client,
        "create_poi",
        json!({"name": "Red Sedan", "risk_level": "medium", "category": null, "notes": null, "is_active": null}),
    )
    .await;
    let req = backend.take_one();
    assert_eq!((req.method.as_str(), req.target.as_str()), ("POST", "/api/v1/poi"));
    assert_eq!(req.header("content-type"), Some("application/json"));
    assert_eq!(req.json(), json!({"name": "Red Sedan", "risk_level": "medium"}), "no defaults or nulls added");
    assert_eq!(created["category"], "person", "the backend applied its default");
    assert_eq!(created["risk_level"], "medium");
    assert!(created["id"].as_i64().unwrap() > 4);
}

#[tokio::test]
async fn patch_changes_what_is_given_and_clear_empties_a_field() {
    let (backend, _bridge, client) = setup().await;
    let before = call_ok(&client, "get_poi", json!({"poi_id": 1})).await;
    assert!(before["notes"].is_string());
    backend.clear();
    // As a strict-mode model sends a partial update: every other field null.
    let after = call_ok(
        &client,
        "update_poi",
        json!({"poi_id": 1, "risk_level": "watch", "name": null, "category": null, "notes": null,
               "is_active": null, "clear": null}),
    )
    .await;
    let req = backend.take_one();
    assert_eq!((req.method.as_str(), req.target.as_str()), ("PATCH", "/api/v1/poi/1"));
    assert_eq!(req.body, br#"{"risk_level":"watch"}"#, "null leaves a field alone");
    assert_eq!((after["notes"].clone(), after["risk_level"].clone()), (before["notes"].clone(), json!("watch")));
    // `clear` empties: the backend receives null.
    let after = call_ok(&client, "update_poi", json!({"poi_id": 1, "clear": ["notes"]})).await;
    assert_eq!(backend.take_one().body, br#"{"notes":null}"#, "a cleared field reaches the backend as null");
    assert!(after["notes"].is_null());
    assert_eq!((after["name"].clone(), after["risk_level"].clone()), (before["name"].clone(), json!("watch")));
}

#[tokio::test]
async fn delete_204_is_a_success_without_structured_content() {
    let (backend, _bridge, client) = setup().await;
    let result = call(&client, "delete_poi_identifier", json!({"poi_id": 1, "identifier_id": 2})).await.unwrap();
    let req = backend.take_one();
    assert_eq!((req.method.as_str(), req.target.as_str()), ("DELETE", "/api/v1/poi/1/identifiers/2"));
    assert!(req.body.is_empty());
    assert_ne!(result.is_error, Some(true));
    assert!(result.structured_content.is_none());
    assert!(text(&result).contains("204"), "{}", text(&result));
}

#[tokio::test]
async fn nullable_response_is_wrapped_in_the_result_envelope() {
    let (backend, _bridge, client) = setup().await;
    let missing = call_ok(&client, "check_imei", json!({"imei": "000000000000000"})).await;
    assert_eq!(missing, json!({"result": null}));
    assert_eq!(backend.take_one().target, "/api/v1/imei-watchlist/check/000000000000000");
    let listed = call_ok(&client, "check_imei", json!({"imei": "356938035643809"})).await;
    assert_eq!(listed["result"]["list_type"], "blacklist");
    let array = call_ok(&client, "list_imei_watchlist", json!({"list_type": "whitelist"})).await;
    assert!(array["result"].as_array().unwrap().iter().all(|e| e["list_type"] == "whitelist"));
}

#[tokio::test]
async fn fields_the_spec_does_not_list_still_reach_the_model() {
    let (backend, _bridge, client) = setup().await;
    backend.force(Forced::json(
        200,
        json!({
            "success": true, "command": ["gpspipe"], "output": "$GPGGA", "error": null, "firmware": "4.1"
        }),
    ));
    let result = call_ok(&client, "hw_test_gps", json!({"port": "/dev/ttyUSB0"})).await;
    assert_eq!(result["firmware"], "4.1", "an added field is passed through, not rejected");
}
