//! Hand-written tools, served beside the generated ones.
//!
//! Use this for what one endpoint cannot do well for an agent: a composite view, a
//! friendlier shape. A hand-written tool is a [`ToolSpec`] whose wrapper calls the same
//! generated typed client, so it gets the same guardrails (scopes, policy, validation,
//! context, audit, limits) as every generated tool. See CONTRIBUTING.md.

use crate::bridge::support::ToolSpec;

/// The hand-written tools, in the order they are listed after the generated ones. Each is
/// in the build only when the spec has the operations it calls (`codegen::profile::PARTS`;
/// the build says which it left out and why).
#[cfg(vtoc_part = "station_brief")]
pub static TOOLS: &[ToolSpec] = &[station_brief::TOOL];
#[cfg(not(vtoc_part = "station_brief"))]
pub static TOOLS: &[ToolSpec] = &[];

/// A station at a glance: three reads in one call.
#[cfg(vtoc_part = "station_brief")]
mod station_brief {
    use crate::bridge::client::Client;
    use crate::bridge::support::{
        Args, CallOutcome, Hints, Location, Method, ParamSpec, ResponseKind, ToolSpec, json_of,
    };
    use rmcp::model::CallToolResult;
    use serde_json::json;

    pub(super) const TOOL: ToolSpec = ToolSpec {
        name: "station_brief",
        title: Some("Station Brief"),
        description: "A station at a glance in one call: the station, its metrics, open tasks and latest timeline \
entries. Try it before the other station_* tools.",
        operation_id: "custom:station_brief",
        method: Method::Get,
        path: "/api/v1/stations/{station_slug}/{dashboard,tasks,timeline}",
        tags: &["station-dashboard"],
        params: &[ParamSpec { name: "station_slug", location: Location::Path }],
        context: &[],
        body: None,
        body_schema: None,
        wire_schema: r#"{"type":"object","properties":{"station_slug":{"type":"string"},"timeline_limit":{"type":"integer","minimum":1,"maximum":50,"default":10}},"required":["station_slug"],"additionalProperties":false}"#,
        output_schema: Some(
            r#"{"type":"object","properties":{"station":{"type":"object"},"metrics":{"type":"object"},"tasks":{"type":"array","items":{"type":"object"}},"timeline":{"type":"array","items":{"type":"object"}},"timeline_total":{"type":["integer","null"]}},"required":["station","metrics","tasks","timeline"]}"#,
        ),
        response: ResponseKind::Object,
        hints: Hints { read_only: true, destructive: false, idempotent: true, open_world: false },
        call: |c, a| Box::pin(station_brief(c, a)),
    };

    async fn station_brief(c: &Client, a: &Args<'_>) -> CallOutcome {
        let slug = a.path_str("station_slug")?;
        let limit = a.opt::<i64>("timeline_limit")?.unwrap_or(10);
        let dashboard = match json_of(c, c.station_dashboard_api_v1_stations_station_slug_dashboard_get(slug).await) {
            Ok(v) => v,
            Err(error) => return Ok(error),
        };
        let tasks = match json_of(c, c.station_task_queue_api_v1_stations_station_slug_tasks_get(slug).await) {
            Ok(v) => v,
            Err(error) => return Ok(error),
        };
        let timeline = match json_of(
            c,
            c.station_timeline_api_v1_stations_station_slug_timeline_get(slug, Some(limit), None).await,
        ) {
            Ok(v) => v,
            Err(error) => return Ok(error),
        };
        Ok(CallToolResult::structured(json!({
            "station": dashboard["station"],
            "metrics": dashboard["metrics"],
            "tasks": tasks["tasks"],
            "timeline": timeline["items"],
            "timeline_total": timeline["total"],
        })))
    }
}
