//! `tools/list` as a client sees it.

use crate::common::*;
use serde_json::Value;

#[tokio::test]
async fn every_tool_is_listed_with_a_valid_name_and_schemas() {
    let backend = RecordingBackend::start().await;
    let bridge = start_bridge(backend_args(&backend.url)).await;
    let client = http_client(&bridge.url).await;
    let tools = client.list_all_tools().await.unwrap();
    let manifest: Value = serde_json::from_str(vtoc_mcp::generated::TOOLS_JSON).unwrap();
    let mut expected: Vec<&str> =
        manifest["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    // The hand-written tools this build has, after the generated ones.
    expected.extend(vtoc_mcp::bridge::custom::TOOLS.iter().map(|t| t.name));
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(names, expected);
    assert_eq!(names.len(), vtoc_mcp::bridge::tools::all().count());
    for tool in &tools {
        let name = tool.name.as_ref();
        assert!(
            name.len() <= 48 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'),
            "{name}"
        );
        assert_eq!(tool.input_schema.get("type").and_then(Value::as_str), Some("object"), "{name}");
        assert!(tool.description.as_deref().is_some_and(|d| !d.is_empty()), "{name}");
        let annotations = tool.annotations.as_ref().expect("annotations");
        assert!(annotations.read_only_hint.is_some() && annotations.destructive_hint.is_some(), "{name}");
        if let Some(out) = &tool.output_schema {
            assert_eq!(out.get("type").and_then(Value::as_str), Some("object"), "{name}");
        }
    }
    let delete = delete_tool().name;
    let listed = tools.iter().find(|t| t.name == delete).unwrap_or_else(|| panic!("`{delete}` is not listed"));
    assert_eq!(listed.annotations.as_ref().and_then(|a| a.destructive_hint), Some(true));
    assert!(backend.requests().is_empty(), "listing tools must not call the backend");
    client.cancel().await.unwrap();
}
