//! Bank data is shaped by whoever opened the accounts: ids and names that try to break out of the formats
//! investigators open (Graphviz, spreadsheets) must stay text. Through the binary, on a small store whose
//! account ids are hostile.

use std::path::Path;
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_moneytrail"))
}

/// An account id that ends a DOT string and adds a node with a link, then one with a backslash escape
/// and a newline, and one that is a spreadsheet formula.
const BREAKOUT: &str = "M1\"];evil[href=\"javascript:alert(1)\"];\"x";
const ESCAPES: &str = "M2\\N\nevil2";
const FORMULA: &str = "=HYPERLINK(\"http://attacker\",\"M3\")";

fn hostile_store(dir: &Path) -> std::path::PathBuf {
    let csv_cell = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let rows = [
        ("T1", "2026-01-05 10:00:00", "VICTIM", BREAKOUT, "5000.00"),
        ("T2", "2026-01-05 10:05:00", BREAKOUT, ESCAPES, "4000.00"),
        ("T3", "2026-01-05 10:10:00", ESCAPES, FORMULA, "3000.00"),
    ];
    let mut text = String::from("txn_id,ts,src,dst,amount\n");
    for (id, ts, src, dst, amount) in rows {
        text.push_str(&format!("{id},{ts},{},{},{amount}\n", csv_cell(src), csv_cell(dst)));
    }
    let csv = dir.join("transfers.csv");
    std::fs::write(&csv, text).unwrap();
    let db = dir.join("db");
    let out = bin().args(["ingest", "--db"]).arg(&db).arg("--transfers").arg(&csv).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    db
}

/// The text of a DOT file outside its double-quoted strings (where `\"` does not end a string).
fn outside_strings(dot: &str) -> String {
    let (mut out, mut in_string, mut escaped) = (String::new(), false, false);
    for c in dot.chars() {
        if in_string {
            match (escaped, c) {
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => escaped = false,
            }
        } else if c == '"' {
            in_string = true;
        } else {
            out.push(c);
        }
    }
    assert!(!in_string, "unterminated string in:\n{dot}");
    out
}

#[test]
fn hostile_account_ids_stay_inside_dot_strings() {
    let dir = tempfile::tempdir().unwrap();
    let db = hostile_store(dir.path());
    let out = bin().args(["trace", "--db"]).arg(&db).args(["--seed-txn", "T1", "--format", "dot"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let dot = String::from_utf8(out.stdout).unwrap();
    // The trace reached all three hostile accounts (so their ids are in the file)…
    assert!(dot.contains("M1") && dot.contains("M2") && dot.contains("M3"), "{dot}");
    // …and nothing of them leaked into the statements: no injected node, attribute or line.
    let bare = outside_strings(&dot);
    for word in ["evil", "href", "javascript", "HYPERLINK"] {
        assert!(!bare.contains(word), "{word} outside a string:\n{dot}");
    }
    // Every statement line is one of ours (a newline in an id would start a line of its own).
    for line in dot.lines().map(str::trim) {
        assert!(
            line.starts_with('"')
                || line.starts_with("digraph")
                || line.starts_with("subgraph")
                || ["rankdir=LR;", "}"].contains(&line)
                || line.starts_with("node ["),
            "unexpected DOT line {line:?}"
        );
    }
}

#[test]
fn hostile_account_ids_do_not_become_spreadsheet_formulas() {
    let dir = tempfile::tempdir().unwrap();
    let db = hostile_store(dir.path());
    let out = bin().args(["trace", "--db"]).arg(&db).args(["--seed-txn", "T1", "--format", "csv"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut cells = Vec::new();
    for record in csv::Reader::from_reader(out.stdout.as_slice()).records() {
        cells.extend(record.unwrap().iter().map(str::to_string));
    }
    assert!(cells.iter().any(|c| c == &format!("'{FORMULA}")), "the formula id is not in the CSV defused: {cells:?}");
    for c in &cells {
        assert!(!c.starts_with(['=', '+', '@']), "a cell a spreadsheet would run: {c:?}");
        assert!(!c.starts_with('-') || c.parse::<f64>().is_ok(), "a cell a spreadsheet would run: {c:?}");
    }
}
