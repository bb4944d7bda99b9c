//! `gen` and `gen-statements`: synthetic worlds with ground truth, and bank statements of their accounts as
//! banks send them (the generator lives in `crate::gen`; this is its use case, as the CLI asks for it).

use std::path::{Path, PathBuf};

use super::{AppError, AppResult};
use crate::gen::statements::{StatementConfig, StatementsWritten};
use crate::gen::{GenError, Habits, WorldConfig, WorldSummary};

/// What is wrong with a world's options or files is said as the generator says it.
impl From<GenError> for AppError {
    fn from(e: GenError) -> AppError {
        AppError::unprocessable("file", e.to_string())
    }
}

/// A world to make: its size, seed, first day (local date) and the card dealers' habits (a TOML file;
/// default: the generator's own).
#[derive(Clone, Debug)]
pub struct WorldRequest {
    pub persons: usize,
    pub days: u32,
    pub seed: u64,
    pub start: String,
    pub habits: Option<PathBuf>,
}

/// `gen`: a world (transfers, accounts, ground truth) under `out`.
pub fn world(req: &WorldRequest, out: &Path) -> AppResult<WorldSummary> {
    use chrono::Datelike;
    let days = crate::timefmt::parse_date_days(&req.start)
        .map_err(|e| AppError::bad_input("start", format!("{:?}: {e}", req.start)))?;
    let date =
        chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default() + chrono::Duration::days(i64::from(days));
    let config = WorldConfig {
        persons: req.persons,
        days: req.days,
        seed: req.seed,
        start_date: (date.year(), date.month(), date.day()),
        habits: match &req.habits {
            Some(f) => Habits::from_file(f)?,
            None => Habits::default(),
        },
    };
    Ok(crate::gen::generate(&config, out)?)
}

/// Whose statements to write: accounts named, and/or the accounts a case's money reached by level (0: the
/// victim), as of `until` (a local time; default: all).
#[derive(Clone, Debug)]
pub struct StatementsRequest {
    pub accounts: Vec<String>,
    pub case: Option<String>,
    pub from_level: u32,
    pub to_level: u32,
    pub until: Option<String>,
    pub seed: u64,
    pub broken: f64,
    pub drop: f64,
}

/// `gen-statements`: the statements of a world's accounts under `out`, with the manifest of which transfer
/// each line is.
pub fn statements(world: &Path, req: &StatementsRequest, out: &Path) -> AppResult<StatementsWritten> {
    let mut accounts = req.accounts.clone();
    if let Some(case) = &req.case {
        let levels = crate::gen::statements::case_accounts(world, case, req.to_level)?;
        for level in
            levels.iter().skip(req.from_level as usize).take((req.to_level + 1).saturating_sub(req.from_level) as usize)
        {
            accounts.extend(level.iter().cloned());
        }
    }
    if accounts.is_empty() {
        return Err(AppError::bad_input(
            "account",
            "give --account ACCOUNT[,…] or --case CASE (with --from-level/--to-level)",
        ));
    }
    let until_ms = match &req.until {
        Some(t) => Some(
            crate::timefmt::parse_ts(t, crate::timefmt::DEFAULT_TZ)
                .map_err(|e| AppError::bad_input("until", format!("{t:?}: {e}")))?,
        ),
        None => None,
    };
    let config = StatementConfig { accounts, seed: req.seed, broken_rate: req.broken, drop_rate: req.drop, until_ms };
    Ok(crate::gen::statements::write_statements(world, out, &config)?)
}
