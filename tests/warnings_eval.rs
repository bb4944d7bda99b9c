//! 资金预警 replayed as it would run (`eval warnings`): the sample world uploaded hour by hour through the
//! same check the server runs on every upload, each case registered when the upload after its report time
//! has landed. The figures are checked against the targets, and against a count made here from
//! the world's own files: which victim payments went into accounts a case registered earlier had reached.
//! (The sample world is where the warning rules were looked at while writing them: the README reports
//! them on held-out worlds.)

use std::path::{Path, PathBuf};
use std::process::Command;

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
