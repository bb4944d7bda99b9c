//! Ring detection through the binary on the committed sample world, against its truth labels.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_moneytrail"))
}

fn world() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/sample")
}

fn json(args: &[&str]) -> serde_json::Value {
    let out = bin().args(args).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn rings_on_the_sample_world_meet_the_quality_targets() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let e = json(&[
        "eval",
        "rings",
        "--world",
        world().to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(e["precision"].as_f64().unwrap() >= 0.95, "{e}");
    assert!(e["recall"].as_f64().unwrap() >= 0.9, "{e}");
    for kind in ["merchant", "payroll", "platform"] {
        assert!(e["lookalikes_flagged"].get(kind).is_none(), "a {kind} was flagged: {e}");
    }

    // Every member the CLI reports is checked against truth/mules.csv independently here.
    let truth: BTreeMap<String, (String, String)> = csv::Reader::from_path(world().join("truth/mules.csv"))
        .unwrap()
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_string(), (r[1].to_string(), r[2].to_string()))
        })
        .collect();
    let rings = json(&["rings", "--db", db.to_str().unwrap(), "--format", "json"]);
    let mut flagged = 0;
    let mut true_mules = 0;
    let mut role_agrees = 0;
    for r in rings["rings"].as_array().unwrap() {
        for m in r["members"].as_array().unwrap() {
            flagged += 1;
            let account = m["account"].as_str().unwrap();
            assert!(["collector", "relay", "cashout"].contains(&m["role"].as_str().unwrap()));
            assert!(!m["evidence"].as_array().unwrap().is_empty(), "every member carries evidence");
            if let Some((_, role)) = truth.get(account) {
                true_mules += 1;
                role_agrees += usize::from(role == m["role"].as_str().unwrap());
            }
        }
    }
    assert!(true_mules as f64 >= 0.95 * flagged as f64);
    assert!(role_agrees as f64 >= 0.8 * true_mules as f64, "roles: {role_agrees} of {true_mules} agree with truth");

    // The ring around a known collector contains it.
    let collector = truth.iter().find(|(_, (_, role))| role == "collector").unwrap().0;
    let around = json(&["rings", "--db", db.to_str().unwrap(), "--around", collector, "--format", "json"]);
    let members: Vec<&str> =
        around["rings"][0]["members"].as_array().unwrap().iter().map(|m| m["account"].as_str().unwrap()).collect();
    assert!(members.contains(&collector.as_str()));
    let ring_id = &truth[collector].0;
    let same_ring = members.iter().filter(|a| truth.get(**a).is_some_and(|(r, _)| r == ring_id)).count();
    assert!(same_ring as f64 >= 0.9 * members.len() as f64, "the ring around a collector is its dealer's ring");
}
