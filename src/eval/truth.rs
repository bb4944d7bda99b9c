//! The truth files of a generated world (`truth/` as `moneytrail gen` writes them), read for scoring.

use std::collections::BTreeMap;
use std::path::Path;

use chrono_tz::Tz;

use super::bad_world;
use crate::app::AppResult;
use crate::model::CaseSpec;

/// Every record of `WORLD/truth/FILE` (CSV with a header).
fn records(world: &Path, file: &str) -> AppResult<Vec<csv::StringRecord>> {
    let path = world.join("truth").join(file);
    let mut rdr = csv::Reader::from_path(&path).map_err(|e| bad_world(&path, e))?;
    rdr.records().map(|r| r.map_err(|e| bad_world(&path, e))).collect()
}

/// A record's field, or an error naming the file, the line and the column.
fn field<'r>(world: &Path, file: &str, r: &'r csv::StringRecord, i: usize) -> AppResult<&'r str> {
    r.get(i).ok_or_else(|| {
        let line = r.position().map_or(0, |p| p.line());
        bad_world(&world.join("truth").join(file), format!("line {line}: no column {}", i + 1))
    })
}

/// The reported cases (`truth/cases.csv`: case_id, victim_account, scam_type, report_time, stolen_amount,
/// seed_txn_ids), as a case file gives them.
pub fn cases(world: &Path, tz: Tz) -> AppResult<Vec<CaseSpec>> {
    let path = world.join("truth/cases.csv");
    crate::ingest::lists::read_cases(&path, tz).map_err(|e| bad_world(&path, e))
}

/// Each reported case's victim account.
pub fn victims(world: &Path) -> AppResult<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for r in records(world, "cases.csv")? {
        out.insert(field(world, "cases.csv", &r, 0)?.to_string(), field(world, "cases.csv", &r, 1)?.to_string());
    }
    Ok(out)
}

/// A mule card as the truth has it (`truth/mules.csv`: account, ring_id, role, rented).
#[derive(Clone, Debug)]
pub struct MuleCard {
    pub ring: String,
    pub role: String,
    pub rented: bool,
}

/// The world's mule cards by account.
pub fn mule_cards(world: &Path) -> AppResult<BTreeMap<String, MuleCard>> {
    let mut out = BTreeMap::new();
    for r in records(world, "mules.csv")? {
        let f = |i| field(world, "mules.csv", &r, i);
        out.insert(f(0)?.to_string(), MuleCard { ring: f(1)?.into(), role: f(2)?.into(), rented: f(3)? == "true" });
    }
    Ok(out)
}

/// The world's mule cards: account → ring.
pub fn mules(world: &Path) -> AppResult<BTreeMap<String, String>> {
    Ok(mule_cards(world)?.into_iter().map(|(a, m)| (a, m.ring)).collect())
}

/// Accounts that look like mule cards and are not (`truth/lookalikes.csv`: account, kind — payroll,
/// merchant, otc…).
pub fn lookalikes(world: &Path) -> AppResult<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for r in records(world, "lookalikes.csv")? {
        out.insert(
            field(world, "lookalikes.csv", &r, 0)?.to_string(),
            field(world, "lookalikes.csv", &r, 1)?.to_string(),
        );
    }
    Ok(out)
}

/// Where each case's stolen money sat at its report time, in accounts that are not terminals
/// (`truth/holdings.csv`: case_id, account, amount): case → account → fen.
pub fn holdings(world: &Path) -> AppResult<BTreeMap<String, BTreeMap<String, i64>>> {
    let mut out: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for r in records(world, "holdings.csv")? {
        let f = |i| field(world, "holdings.csv", &r, i);
        let amount = f(2)?;
        let fen = crate::money::parse_yuan(amount).map_err(|e| {
            let line = r.position().map_or(0, |p| p.line());
            bad_world(&world.join("truth/holdings.csv"), format!("line {line}: amount {amount:?}: {e}"))
        })?;
        *out.entry(f(0)?.to_string()).or_default().entry(f(1)?.to_string()).or_default() += fen;
    }
    Ok(out)
}
