//! 资金预警 replayed as it would run (`eval warnings`): the sample world uploaded hour by hour through the
//! same check the server runs on every upload, each case registered when the upload after its report time
//! has landed. The figures are checked against the targets, and against a count made here from
//! the world's own files: which victim payments went into accounts a case registered earlier had reached.
//! (The sample world is where the warning rules were looked at while writing them: docs/methods.md reports
//! them on held-out worlds.)

use std::path::{Path, PathBuf};
use std::process::Command;

/// What the rules reach on the held-out world below: 94.8% when written (91.3% on the larger one in docs/methods.md).
const PRECISION_BOUND: f64 = 0.8;

fn world() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/sample")
}

#[test]
fn replayed_hour_by_hour_warnings_reach_victims_still_paying() {
    let out = Command::new(env!("CARGO_BIN_EXE_moneytrail"))
        .args(["eval", "warnings", "--world", world().to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let e: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let n = |k: &str| e[k].as_u64().unwrap_or_else(|| panic!("{k}: {e}"));
    let f = |k: &str| e[k].as_f64().unwrap_or_else(|| panic!("{k}: {e}"));

    // The world's own files: every victim payment, from truth/cases.csv.
    let mut seeds = 0;
    for r in csv::Reader::from_path(world().join("truth/cases.csv")).unwrap().records() {
        seeds += r.unwrap()[5].split(';').filter(|s| !s.is_empty()).count();
    }
    assert_eq!(n("victim_payments") as usize, seeds);
    assert_eq!(n("cases_registered"), 14);
    assert!(n("victim_payments_into_known") > 0, "{e}");

    // The targets: 90% of victims' payments into known accounts warned, in the upload that brought
    // them; 70% of warnings about victims.
    assert!(f("warned_share") >= 0.9, "{e}");
    assert_eq!(n("warned_in_same_upload"), n("warned"), "{e}");
    assert!(f("precision") >= 0.7, "{e}");
    // Warned within the hour that brought them (uploads are hourly).
    assert!(f("minutes_to_warning_p90") <= 60.0, "{e}");
}

/// A held-out world, as the table in docs/methods.md has them: the `heldout-fast-rented` setting (cards passing money
/// on within seconds to minutes, a third to two thirds of them rented ordinary cards keeping their owners'
/// everyday life) with two weeks of everyday life before the fraud begins, at a seed no evaluation used.
/// No rule was chosen on this setting; the bounds are what the rules reach on it (docs/methods.md), to catch a
/// change that loses them, not targets fitted to it.
#[test]
fn on_a_held_out_world_warnings_still_reach_victims_and_mostly_victims() {
    let dir = std::env::temp_dir().join(format!("moneytrail-warn-heldout-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let setting = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/settings/heldout-fast-rented.toml");
    let habits = dir.join("habits.toml");
    std::fs::write(&habits, format!("{}\nquiet_days = 14\n", std::fs::read_to_string(setting).unwrap())).unwrap();
    let w = dir.join("world");
    let bin = env!("CARGO_BIN_EXE_moneytrail");
    let gen = Command::new(bin)
        .args(["gen", "--out", w.to_str().unwrap(), "--persons", "8000", "--days", "34", "--seed", "61"])
        .args(["--habits", habits.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(gen.status.success(), "{}", String::from_utf8_lossy(&gen.stderr));
    let out = Command::new(bin)
        .args(["eval", "warnings", "--world", w.to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let e: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let f = |k: &str| e[k].as_f64().unwrap_or_else(|| panic!("{k}: {e}"));
    assert!(e["victim_payments_into_known"].as_u64().unwrap() >= 100, "too few to measure: {e}");
    assert!(f("warned_share") >= 0.9, "{e}");
    assert!(f("precision") >= PRECISION_BOUND, "{e}");
}
