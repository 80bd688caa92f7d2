//! Timestamps as the real backend renders them.
//!
//! pydantic's formatting (`Z` for UTC, microseconds only when non-zero), the lax parsing of
//! `datetime` fields (RFC 3339, naive date-times, dates, Unix seconds or milliseconds), the
//! deterministic seed clock and the ordering key used by list and timeline endpoints.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use serde_json::Value;

/// `2026-11-01T12:00:00Z`, the origin of every seed timestamp.
const SEED_EPOCH: i64 = 1_793_534_400;

/// Formats like pydantic: `Z` for UTC, microseconds only when non-zero.
pub(super) fn fmt_time(dt: DateTime<FixedOffset>) -> String {
    let precision = if dt.timestamp_subsec_micros() == 0 { SecondsFormat::Secs } else { SecondsFormat::Micros };
    dt.to_rfc3339_opts(precision, true)
}

pub(super) fn now() -> String {
    fmt_time(Utc::now().fixed_offset())
}

/// Seed timestamp: `2026-11-01T12:00:00Z` plus `minutes`.
pub(super) fn seed_ts(minutes: i64) -> String {
    DateTime::from_timestamp(SEED_EPOCH + minutes * 60, 0).map(|d| fmt_time(d.fixed_offset())).unwrap_or_default()
}

pub(super) fn unix_time(x: f64) -> Option<String> {
    // pydantic reads numbers above 2e10 as milliseconds.
    let secs = if x.abs() > 2e10 { x / 1000.0 } else { x };
    if !secs.is_finite() || secs.abs() > 1e13 {
        return None;
    }
    let whole = secs.floor();
    let nanos = ((secs - whole) * 1e9).round().min(999_999_999.0) as u32;
    DateTime::from_timestamp(whole as i64, nanos).map(|d| fmt_time(d.fixed_offset()))
}

/// Accepts RFC 3339 (aware), naive date-times and plain dates; returns the normalized text.
pub(super) fn coerce_time(s: &str) -> Option<String> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(fmt_time(dt));
    }
    let naive = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .or_else(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)));
    if let Some(n) = naive {
        let secs = n.and_utc().timestamp_subsec_micros();
        let fmt = if secs == 0 { "%Y-%m-%dT%H:%M:%S" } else { "%Y-%m-%dT%H:%M:%S%.6f" };
        return Some(n.format(fmt).to_string());
    }
    s.trim().parse::<f64>().ok().and_then(unix_time)
}

/// Parses a stored timestamp for ordering (naive values are read as UTC).
pub(super) fn parse_time(v: Option<&Value>) -> Option<DateTime<FixedOffset>> {
    let s = v?.as_str()?;
    DateTime::parse_from_rfc3339(s)
        .ok()
        .or_else(|| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").ok().map(|n| n.and_utc().fixed_offset()))
}
