//! Hardware (`/api/v1/hardware/...`), simulated.
//!
//! Two fake serial ports, a GPS test that "reads" an NMEA sentence from a known port, base
//! station registration, ADS-B configuration, H4M archive import (paths only, nothing is
//! written) and the status report built from that configuration.

use serde_json::{Value, json};

use super::Obj;
use super::context::Req;
use super::errors::{ApiResult, created, ok};
use super::model::{ADSB, BASE_STATION, GPS_TEST, H4M};
use super::store::{Db, int, text};
use super::time::now;
use super::validation::V;

impl Db {
    fn hw(&self, k: &str) -> Value {
        self.hardware.get(k).cloned().unwrap_or(Value::Null)
    }

    fn hw_config(&self) -> Value {
        json!({
            "base_station": self.hw("base_station"),
            "adsb": self.hw("adsb"),
            "last_h4m_import_at": self.hw("last_h4m_import_at"),
        })
    }
}

fn serial_ports() -> Value {
    json!([
        {"device": "/dev/ttyUSB0", "description": "u-blox 7 GPS/GNSS receiver",
         "hwid": "USB VID:PID=1546:01A7 SER=DEMO01"},
        {"device": "/dev/ttyACM0", "description": "Meshtastic radio (demo)",
         "hwid": "USB VID:PID=239A:8029 SER=DEMO02"},
    ])
}

pub(super) fn hw_list_serial(_db: &mut Db, _r: &Req) -> ApiResult {
    ok(serial_ports())
}

pub(super) fn hw_test_gps(_db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let body = v.body(r, &GPS_TEST)?;
    v.finish()?;
    let port = text(&body, "port").unwrap_or_default();
    let baud = int(&body, "baudrate").unwrap_or(9600).to_string();
    let command = ["gpsctl", "--device", port, "--baud", baud.as_str()];
    let known = serial_ports().as_array().is_some_and(|ports| ports.iter().any(|p| p["device"] == port));
    let (output, error) = if known {
        let nmea = "$GPGGA,120000.00,3403.1320,N,11814.6220,W,1,09,0.9,89.0,M,-33.9,M,,*6B";
        (Some(nmea.to_owned()), None)
    } else {
        (None, Some(format!("Command failed: {}: no such device", command.join(" "))))
    };
    ok(json!({"success": known, "command": command, "output": output, "error": error}))
}

pub(super) fn hw_register_base_station(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let mut body = v.body(r, &BASE_STATION)?;
    v.finish()?;
    body.insert("registered_at".into(), now().into());
    db.hardware.insert("base_station".into(), Value::Object(body.clone()));
    created(Value::Object(body))
}

pub(super) fn hw_enable_adsb(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let body = v.body(r, &ADSB)?;
    v.finish()?;
    let mut config: Obj = ["enabled", "device", "gain", "frequency", "options"]
        .iter()
        .map(|k| (k.to_string(), body.get(*k).cloned().unwrap_or(Value::Null)))
        .collect();
    config.insert("last_updated_at".into(), now().into());
    db.hardware.insert("adsb".into(), Value::Object(config.clone()));
    ok(Value::Object(config))
}

pub(super) fn hw_status(db: &mut Db, _r: &Req) -> ApiResult {
    let ports = serial_ports();
    let adsb = db.hw("adsb");
    let health = json!({
        "gps": if db.hw("base_station").is_null() { "unconfigured" } else { "configured" },
        "adsb": if adsb["enabled"] == true { "enabled" } else { "disabled" },
        "h4m": if db.hw("last_h4m_import_at").is_null() { "missing" } else { "imported" },
        "generated_at": now(),
        "details": {"serial_ports": ports.as_array().map_or(0, Vec::len),
            "adsb_device": adsb["device"]},
    });
    ok(json!({"configuration": db.hw_config(), "serial_ports": ports, "health": health}))
}

pub(super) fn h4m_import(db: &mut Db, r: &Req) -> ApiResult {
    let mut v = V::default();
    let body = v.body(r, &H4M)?;
    v.finish()?;
    let source = text(&body, "source_path").unwrap_or_default();
    let dest = text(&body, "destination_dir").filter(|d| !d.is_empty()).unwrap_or("/var/lib/vtoc/h4m");
    let dest = dest.trim_end_matches('/');
    let name = source.rsplit('/').next().filter(|n| !n.is_empty()).unwrap_or("h4m-archive");
    let archive_stem = name
        .len()
        .checked_sub(4)
        .filter(|_| body.get("extract") == Some(&Value::Bool(true)))
        .and_then(|cut| Some((name.get(..cut)?, name.get(cut..)?)))
        .filter(|(stem, ext)| {
            !stem.is_empty() && (ext.eq_ignore_ascii_case(".zip") || ext.eq_ignore_ascii_case(".kmz"))
        })
        .map(|(stem, _)| stem);
    let (destination, files) = match archive_stem {
        Some(stem) => {
            let target = format!("{dest}/{stem}");
            let files = vec![format!("{target}/airspace.geojson"), format!("{target}/manifest.json")];
            (target, files)
        }
        None => {
            let target = format!("{dest}/{name}");
            (target.clone(), vec![target])
        }
    };
    db.hardware.insert("last_h4m_import_at".into(), now().into());
    ok(json!({"imported": true, "destination": destination, "files": files}))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::demo::DemoState;
    use crate::demo::testkit::{pick, start};

    #[tokio::test]
    async fn hardware_is_simulated() {
        let s = start(DemoState::empty()).await;
        let status = s.get("/api/v1/hardware/status").await;
        let config = json!({"base_station": null, "adsb": null, "last_h4m_import_at": null});
        assert_eq!(status["configuration"], config);
        assert_eq!(status["health"]["gps"], "unconfigured");
        let gps = s.post("/api/v1/hardware/test-gps", json!({"port": "/dev/ttyS9"})).await.body;
        assert_eq!(pick(&gps, &["success", "output"]), json!({"success": false, "output": null}));
        assert!(gps["error"].as_str().is_some_and(|e| e.contains("/dev/ttyS9")));
        let gps = s.post("/api/v1/hardware/test-gps", json!({"port": "/dev/ttyUSB0"})).await.body;
        assert_eq!(gps["success"], true);
        assert!(gps["output"].as_str().is_some_and(|o| o.starts_with("$GPGGA")));

        let body = json!({"callsign": "VTOC-9", "latitude": "34.5"});
        let reply = s.post("/api/v1/hardware/register-base-station", body).await;
        let base = reply.body;
        let expected = json!({"callsign": "VTOC-9", "latitude": 34.5, "notes": null});
        assert_eq!((reply.status, pick(&base, &["callsign", "latitude", "notes"])), (201, expected));
        let body = json!({"enabled": false, "device": "rtl=1"});
        let adsb = s.post("/api/v1/hardware/enable-adsb", body).await.body;
        assert_eq!(pick(&adsb, &["enabled", "options"]), json!({"enabled": false, "options": {}}));
        let body = json!({"source_path": "/data/airspace.ZIP", "destination_dir": "/srv/h4m/"});
        let import = s.post("/api/v1/hardware/h4m/import", body).await.body;
        let files = json!(["/srv/h4m/airspace/airspace.geojson", "/srv/h4m/airspace/manifest.json"]);
        let expected = json!({"imported": true, "destination": "/srv/h4m/airspace", "files": files});
        assert_eq!(import, expected);
        let body = json!({"source_path": "/data/airspace.zip", "extract": false});
        let import = s.post("/api/v1/hardware/h4m/import", body).await.body;
        assert_eq!(import["files"], json!(["/var/lib/vtoc/h4m/airspace.zip"]));

        let status = s.get("/api/v1/hardware/status").await;
        assert_eq!(status["configuration"]["base_station"], base);
        assert_eq!(status["configuration"]["adsb"], adsb);
        let health = json!({"gps": "configured", "adsb": "disabled", "h4m": "imported"});
        assert_eq!(pick(&status["health"], &["gps", "adsb", "h4m"]), health);
        assert_eq!(status["serial_ports"].as_array().map(Vec::len), Some(2));
    }
}
