//! Ring detection through the binary on the committed sample world, against its truth labels.

use std::collections::{BTreeMap, BTreeSet};
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

/// A world of a habits setting, generated into `dir` (2,500 persons, 30 days, a seed no tuning used).
fn habits_world(dir: &Path, setting: &str) -> PathBuf {
    habits_world_of(dir, setting, 2500)
}

/// The same with `persons` persons.
fn habits_world_of(dir: &Path, setting: &str, persons: u32) -> PathBuf {
    let out = dir.join(setting);
    let habits = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("datasets/settings/{setting}.toml"));
    let status = bin()
        .args(["gen", "--persons", &persons.to_string(), "--days", "30", "--seed", "41", "--habits"])
        .arg(&habits)
        .arg("--out")
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    out
}

fn eval(world: &Path, extra: &[&str]) -> serde_json::Value {
    let db = world.join("db");
    let mut args = vec!["eval", "rings", "--world", world.to_str().unwrap(), "--db", db.to_str().unwrap()];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--format", "json"]);
    json(&args)
}

/// The targets on the held-out settings (never used to choose a threshold), from the case registry:
/// with attributes, precision ≥ 0.95 and recall ≥ 0.90; money only, precision ≥ 0.90 and recall ≥ 0.80;
/// no hub, merchant, payroll account or platform flagged, with or without the registry.
#[test]
fn held_out_habits_meet_the_targets_from_the_case_registry() {
    let dir = tempfile::tempdir().unwrap();
    for (setting, precision, recall) in
        [("heldout-fast-rented", 0.95, 0.90), ("heldout-slow-own", 0.95, 0.90), ("heldout-money-only", 0.90, 0.80)]
    {
        let world = habits_world(dir.path(), setting);
        let with = eval(&world, &[]);
        assert!(with["precision"].as_f64().unwrap() >= precision, "{setting}: {with}");
        assert!(with["recall"].as_f64().unwrap() >= recall, "{setting}: {with}");
        let without = eval(&world, &["--no-cases"]);
        for e in [&with, &without] {
            assert_eq!(e["hubs_flagged"], 0, "{setting}: {e}");
            for kind in ["merchant", "payroll", "platform"] {
                assert!(e["lookalikes_flagged"].get(kind).is_none(), "{setting}: a {kind} was flagged: {e}");
            }
        }
        // The registry is what carries recall on worlds unlike the generator's defaults.
        assert!(with["recall"].as_f64() >= without["recall"].as_f64(), "{setting}: {with} vs {without}");
    }
}

/// 串并 on the held-out settings at the scale (15,000 persons × 30 days: about 12 rings and 200
/// cases; OTC sellers, shops and platforms shared by many rings and unlabelled in the accounts file; some
/// rings sharing a cash-out crew): pairs of cases put in one group are pairs one ring ran (precision ≥ 0.90,
/// recall ≥ 0.85), the groups match the rings (adjusted Rand index ≥ 0.8), and no link is made through an
/// OTC seller's card, which is shown as a shared sink instead.
#[test]
fn held_out_worlds_link_cases_by_gang_not_by_shared_sinks() {
    let dir = tempfile::tempdir().unwrap();
    for setting in ["heldout-fast-rented", "heldout-slow-own", "heldout-money-only"] {
        let world = habits_world_of(dir.path(), setting, 15_000);
        let db = world.join("db");
        let (w, d) = (world.to_str().unwrap(), db.to_str().unwrap());
        let e = json(&["eval", "link", "--world", w, "--db", d, "--format", "json"]);
        assert!(e["rings"].as_u64().unwrap() >= 8 && e["cases"].as_u64().unwrap() >= 100, "{setting}: {e}");
        assert!(e["grouped"]["precision"].as_f64().unwrap() >= 0.9, "{setting}: {e}");
        assert!(e["grouped"]["recall"].as_f64().unwrap() >= 0.85, "{setting}: {e}");
        assert!(e["adjusted_rand_index"].as_f64().unwrap() >= 0.8, "{setting}: {e}");
        let otc: BTreeSet<String> = csv::Reader::from_path(world.join("truth/lookalikes.csv"))
            .unwrap()
            .records()
            .map(|r| r.unwrap())
            .filter(|r| &r[1] == "otc")
            .map(|r| r[0].to_string())
            .collect();
        assert!(!otc.is_empty(), "{setting}: the world must have OTC sellers for the test to mean anything");
        let cases = world.join("truth/cases.csv");
        let l = json(&["link", "--db", d, "--cases", cases.to_str().unwrap(), "--format", "json"]);
        for link in l["links"].as_array().unwrap() {
            for ev in link["evidence"].as_array().unwrap() {
                let a = ev["account"].as_str().unwrap();
                assert!(!otc.contains(a), "{setting}: a link through OTC seller {a}: {link}");
            }
        }
        let sinks: BTreeSet<&str> =
            l["sinks"].as_array().unwrap().iter().map(|s| s["account"].as_str().unwrap()).collect();
        assert!(otc.iter().any(|a| sinks.contains(a.as_str())), "{setting}: OTC sellers shown as sinks: {sinks:?}");
    }
}

/// A confirmed list through the CLI: the scorer's report, every account's score, the confirmed cards named
/// with their line in the evidence; a bad line is refused naming the file and line.
#[test]
fn rings_learn_from_a_confirmed_list() {
    let dir = tempfile::tempdir().unwrap();
    let world = habits_world(dir.path(), "heldout-money-only");
    eval(&world, &["--no-cases"]); // ingests the world
    let db = world.join("db");
    let mules: Vec<String> = csv::Reader::from_path(world.join("truth/mules.csv"))
        .unwrap()
        .records()
        .map(|r| r.unwrap()[0].to_string())
        .collect();
    let list = dir.path().join("confirmed.csv");
    let text: String = mules.iter().step_by(2).map(|a| format!("{a},seized\n")).collect();
    std::fs::write(&list, format!("account,note\n{text}")).unwrap();
    let scores = dir.path().join("scores.csv");
    let r = json(&[
        "rings",
        "--db",
        db.to_str().unwrap(),
        "--confirmed",
        list.to_str().unwrap(),
        "--scores",
        scores.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(r["scorer"]["confirmed"].as_u64().unwrap() as usize, mules.iter().step_by(2).count());
    let first = &mules[0];
    let evidence: Vec<String> = r["rings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["members"].as_array().unwrap())
        .filter(|m| m["account"] == first.as_str())
        .flat_map(|m| m["evidence"].as_array().unwrap().iter().map(|e| e.as_str().unwrap().to_string()))
        .collect();
    assert!(evidence.contains(&"confirmed mule card (confirmed.csv line 2)".to_string()), "{evidence:?}");
    let rows: Vec<(String, f64)> = csv::Reader::from_path(&scores)
        .unwrap()
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_string(), r[1].parse().unwrap())
        })
        .collect();
    assert!(rows.windows(2).all(|w| w[0].1 >= w[1].1), "highest first");
    assert!(rows.len() > 1000, "every account with transfers is scored");
    std::fs::write(&list, "6222001\n6222 002\n").unwrap();
    let out =
        bin().args(["rings", "--db", db.to_str().unwrap(), "--confirmed", list.to_str().unwrap()]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("confirmed.csv") && err.contains("line 2"), "{err}");
}
