//! Synthetic world generator with exact ground truth.
//!
//! [`generate`] writes a world of ordinary bank activity with telecom-fraud cases laundered
//! through mule-card rings, plus the ground truth of where every fen of stolen money went.
//! Every later feature (tracing, freeze proposals, mule-ring detection) is evaluated on it.
//!
//! # Files written in `out_dir`
//! * `transfers.csv` — `txn_id,ts,src,dst,amount,channel,currency,src_name,dst_name,src_bank,dst_bank,memo`,
//!   sorted by `ts` (ties in processing order, which is also `txn_id` order).
//! * `accounts.csv` — `account_id,holder_id,holder_name,phone,device_id,bank,branch,opened_at,kind`,
//!   sorted by `account_id`.
//! * `truth/cases.csv`, `truth/case_flows.csv`, `truth/holdings.csv`, `truth/terminals.csv`,
//!   `truth/mules.csv`, `truth/lookalikes.csv` — the ground truth, described at [`generate`].
//! * `truth/opening_balances.csv` — `account,amount`: funds each account held before the first
//!   day (not explained by any recorded inflow; omitted when zero). With it, every account's
//!   balance can be replayed from `transfers.csv` and never goes negative.
//! * `world.json` — `{"config": …, "summary": …}`.
//!
//! Times are local Asia/Shanghai wall time (UTC+8, no DST) as `YYYY-MM-DD HH:MM:SS`; money is
//! decimal yuan with two decimals, computed from integer fen.
//!
//! # The world, in short
//! * About 0.93 transfers per person per day (measured: 930–942 per 1,000 person-days), so
//!   `persons × days` sets the size: 170,000 × 60 gives ≈ 9.6 M transfers.
//! * Mule cards are `personal` accounts. Cards opened for a ring belong to recruited holders
//!   (holder ids of the same form as anyone's), are opened 2–21 days before their first use at a
//!   few branches, and share the ring's few devices and a batch of consecutive phone numbers.
//!   Rented cards are ordinary people's old cards that keep their everyday activity.
//! * OTC sellers (U商) are accounts of kind `otc` (personal bank cards of crypto sellers,
//!   labelled); ordinary people occasionally buy from them too.
//! * Stolen money in a card is held as lots; each outgoing mule transfer takes lots in the card's
//!   own order (FIFO for about half the cards, LIFO for the others), never lots that arrived
//!   less than 30 s earlier. A mule transfer carries only stolen money (a rented card's own money
//!   is spent only by its owner), so in `case_flows.csv` its rows add up to its amount.
//! * Layering: collector → 0–3 tiers of relays → cashout (2–5 levels), splits to 1–4 cards with
//!   odd, round or just-under-limit amounts (49,900 / 19,999 …), chunks of ≈ 49,900 for big
//!   parts, small residues left behind; relays are shared, so cases merge. Most hops take
//!   minutes, some hours; cashout cards prefer ATM sessions at night (several withdrawals of
//!   2,000–5,000 yuan, ≤ 20,000 per card per day), else OTC, platforms, or goods at shops.
//! * Legitimate confounders: ~5 % of ordinary cards were opened within 90 days of the start;
//!   ~4 % of people share a family member's device (half of them the phone number too);
//!   merchants, payroll, platforms, forwarders and wholesalers (`lookalikes.csv`).
//! * A case's report comes after its last victim payment (minutes to hours; days for 杀猪盘);
//!   money keeps moving after the report, and the world ends with some still in cards.

mod names;
mod sim;
pub mod statements;
mod time;
mod util;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

/// What world to generate.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WorldConfig {
    /// Ordinary persons (victims come from them; rings, employers, merchants scale with it).
    pub persons: usize,
    /// Number of simulated days.
    pub days: u32,
    /// RNG seed: the same config gives byte-identical files.
    pub seed: u64,
    /// First local date `(year, month, day)`.
    pub start_date: (i32, u32, u32),
    /// How the world's card dealers and their look-alikes behave (defaults: the generator's original habits).
    pub habits: Habits,
}

impl Default for WorldConfig {
    fn default() -> Self {
        Self { persons: 2000, days: 30, seed: 1, start_date: (2026, 1, 1), habits: Habits::default() }
    }
}

/// The habits of a world, each a range drawn per ring (or a probability), so that detection is measured on
/// dealers that do not all behave alike. The defaults reproduce the generator's original world exactly (the
/// sample world and its tests depend on that); `moneytrail gen --habits FILE` reads a TOML of these fields.
/// Randomness for habits comes from a second generator, so the original stream is untouched by defaults.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Habits {
    /// Multiplier on how long mule cards wait before passing money on, drawn log-uniformly per ring from
    /// this range: 1 is minutes (the original), 0.05 seconds, 50 a day or more.
    pub dwell: (f64, f64),
    /// Share of a ring's cards that are rented ordinary cards keeping their everyday life, per ring from this
    /// range; `None` keeps the original 0–2 rented cards per ring.
    pub rented_share: Option<(f64, f64)>,
    /// Probability a ring card uses one of the ring's devices (else its holder's own).
    pub shared_device: f64,
    /// Probability a ring card's phone is one of the ring's numbers (else its holder's own).
    pub shared_phone: f64,
    /// Probability a ring buys its numbers in a run of consecutive numbers (号段) rather than scattered.
    pub phone_runs: f64,
    /// Probability a mule card passes on only part of what arrived and the rest hours to days later.
    pub partial_pass: f64,
    /// Write device and phone columns in accounts.csv (most bank data has neither).
    pub attributes: bool,
    /// More look-alikes that share one trait each with mule cards: families of three on one phone and
    /// device, wholesalers passing money on within the hour, students whose new cards are busy.
    pub more_lookalikes: bool,
    /// Sinks as most bank data has them: no account kinds. OTC sellers' cards and personal shops are written
    /// as `personal`, other shops and payment platforms as `corporate`, and mule cards pay shops by QR-code
    /// transfer rather than card purchase, so traces run into these shared sinks instead of ending there.
    pub unlabelled_sinks: bool,
    /// Probability that a ring's last layer pays a cash-out crew shared with other rings (rings come in
    /// threes that share the first one's cash-out cards, a 水房 serving several gangs) instead of its own
    /// cash-out cards: deep accounts that many gangs' cases reach but that pass money on, unlike sinks.
    pub shared_cashout: f64,
    /// Rings as large gangs run them: fewer, bigger rings (a third as many), 3–5 relay tiers of 6–12 cards,
    /// 3–5 collectors, 4–8 cash-out cards, and each card splitting what it passes on over 3–6 next cards, so
    /// a case reaches tens of accounts and a collector is paid by many victims. Drawn only when on.
    pub wide_rings: bool,
    /// Days at the start with everyday life only, no fraud case begun: the history a store holds before the
    /// fraud it is asked about (banks answer 调单 with a year of a card's statement), so that a rented card's
    /// owner has contacts from before the card was rented. 0 starts the fraud on the first day.
    pub quiet_days: u32,
}

impl Default for Habits {
    fn default() -> Self {
        Habits {
            dwell: (1.0, 1.0),
            rented_share: None,
            shared_device: 1.0,
            shared_phone: 1.0,
            phone_runs: 1.0,
            partial_pass: 0.0,
            attributes: true,
            more_lookalikes: false,
            unlabelled_sinks: false,
            shared_cashout: 0.0,
            wide_rings: false,
            quiet_days: 0,
        }
    }
}

impl Habits {
    /// Reads a habits file (TOML, the fields of [`Habits`]; missing ones keep their defaults).
    pub fn from_file(path: &Path) -> Result<Habits, GenError> {
        let text = std::fs::read_to_string(path).map_err(|source| GenError::Io { path: path.into(), source })?;
        toml::from_str(&text).map_err(|e| GenError::InvalidConfig(format!("{}: {e}", path.display())))
    }
}

/// Counts and totals of a generated world.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct WorldSummary {
    /// Rows of `transfers.csv`.
    pub transfers: u64,
    /// Rows of `accounts.csv`.
    pub accounts: u64,
    /// Rows of `truth/cases.csv`.
    pub cases: u64,
    /// Mule rings (card dealers) that used at least one card.
    pub rings: u64,
    /// Rows of `truth/mules.csv`.
    pub mule_cards: u64,
    /// Of which rented ordinary cards.
    pub rented_mule_cards: u64,
    /// Σ stolen_amount over cases, in fen.
    pub stolen_fen: i64,
    /// Σ holdings at report times, in fen (what immediate freezes could save).
    pub held_fen: i64,
    /// Σ terminals at report times, in fen (cash + otc + platform + merchant).
    pub terminal_fen: i64,
    /// Transfers carrying stolen money (victim payments included).
    pub fraud_transfers: u64,
    /// Rows of `truth/case_flows.csv`.
    pub case_flow_rows: u64,
    /// Rows of `truth/lookalikes.csv`.
    pub lookalikes: u64,
    /// Ordinary persons (from the config).
    pub persons: u64,
    /// Days simulated.
    pub days: u64,
    /// transfers * 1000 / (persons * days).
    pub transfers_per_1000_person_days: u64,
    /// Mule-card transfers (sent by a mule card) between 20:00 and 06:00, per mille of all.
    pub mule_night_permille: u64,
    /// First and last timestamp of the world (inclusive start, exclusive end).
    pub world_start: String,
    pub world_end: String,
}

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
pub enum GenError {
    #[error("I/O error on {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("CSV error on {path}: {source}")]
    Csv { path: PathBuf, source: csv::Error },
    #[error("JSON error on {path}: {source}")]
    Json { path: PathBuf, source: serde_json::Error },
    #[error("invalid world config: {0}")]
    InvalidConfig(String),
}

/// Largest supported world, as a guard against typos (≈ 2.7 billion transfers).
const MAX_PERSON_DAYS: u64 = 3_000_000_000;

fn validate(config: &WorldConfig) -> Result<(), GenError> {
    let (y, m, d) = config.start_date;
    if config.persons < 200 {
        return Err(GenError::InvalidConfig(format!("persons must be at least 200 (got {})", config.persons)));
    }
    if config.persons > 50_000_000 {
        return Err(GenError::InvalidConfig(format!("persons must be at most 50,000,000 (got {})", config.persons)));
    }
    if config.days == 0 || config.days > 3660 {
        return Err(GenError::InvalidConfig(format!("days must be in 1..=3660 (got {})", config.days)));
    }
    if (config.persons as u64).saturating_mul(u64::from(config.days)) > MAX_PERSON_DAYS {
        return Err(GenError::InvalidConfig("persons × days is too large".to_string()));
    }
    if !(1990..=9000).contains(&y) || !time::is_valid_date(y, m, d) {
        return Err(GenError::InvalidConfig(format!(
            "start_date {y:04}-{m:02}-{d:02} is not a valid date in 1990..=9000"
        )));
    }
    Ok(())
}

/// Generate a world into `out_dir` (created if missing; existing files are overwritten).
///
/// Deterministic: the same config gives byte-identical files. Prints nothing.
///
/// Ground truth (`truth/`):
/// * `cases.csv` — `case_id,victim_account,scam_type,report_time,stolen_amount,seed_txn_ids`
///   (seed ids `;`-separated: the victim's payments to first-level cards).
/// * `case_flows.csv` — `txn_id,case_id,amount`: how much of each case's money a transfer
///   carries, by construction.
/// * `holdings.csv` — `case_id,account,amount`: the case's money in each non-terminal account at
///   its report time.
/// * `terminals.csv` — `case_id,account,kind,amount`: the case's money that reached a terminal
///   (`cash`, `otc`, `platform`, `merchant`) by its report time.
/// * `mules.csv` — `account,ring_id,role,rented` (role `collector`, `relay`, `cashout`).
/// * `lookalikes.csv` — `account,kind` (`merchant`, `payroll`, `platform`, `forwarder`,
///   `wholesaler`).
///
/// For every case: stolen_amount = Σ holdings + Σ terminals, to the fen.
pub fn generate(config: &WorldConfig, out_dir: &Path) -> Result<WorldSummary, GenError> {
    validate(config)?;
    let truth = out_dir.join("truth");
    std::fs::create_dir_all(&truth).map_err(|source| GenError::Io { path: truth.clone(), source })?;
    let summary = sim::run(config, out_dir)?;
    let path = out_dir.join("world.json");
    #[derive(serde::Serialize)]
    struct WorldFile<'a> {
        config: &'a WorldConfig,
        summary: &'a WorldSummary,
    }
    let file = WorldFile { config, summary: &summary };
    let mut text =
        serde_json::to_string_pretty(&file).map_err(|source| GenError::Json { path: path.clone(), source })?;
    text.push('\n');
    std::fs::write(&path, text).map_err(|source| GenError::Io { path, source })?;
    Ok(summary)
}
