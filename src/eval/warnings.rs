//! 资金预警 measured as it would run: a world replayed upload by upload into a new store through the same
//! desk a server uses, each case registered once the upload after its report time has landed, rings
//! detected daily; scored against the victims' payments the truth knows.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use chrono_tz::Tz;
use serde::Serialize;

use super::truth;
use crate::app::{AppError, AppResult, Clock, Desk};
use crate::model::{AccountId, CaseRecord, Seq, WarningRecord};
use crate::timefmt::{DAY_MS, HOUR_MS, MINUTE_MS};

/// A reported case: id, report time, seed transfer ids.
struct TruthCase {
    id: String,
    report_ms: i64,
    seeds: Vec<String>,
}

/// How a world is replayed.
#[derive(Clone, Copy, Debug)]
pub struct ReplayOptions {
    /// Transfers arrive in uploads of this much time (default an hour).
    pub upload_every_ms: i64,
    /// Rings are detected again this often (None: ring cards are not watched).
    pub rings_every_ms: Option<i64>,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        ReplayOptions { upload_every_ms: HOUR_MS, rings_every_ms: Some(DAY_MS) }
    }
}

/// `eval warnings`: how the warnings would have done, run as they would run.
#[derive(Debug, Serialize)]
pub struct WarningEval {
    pub world: String,
    pub transfers: u64,
    pub uploads: usize,
    pub cases_registered: usize,
    /// Every victim payment of the world's cases.
    pub victim_payments: usize,
    /// Those made into an account after it became known (the ones a warning can catch).
    pub victim_payments_into_known: usize,
    pub warned: usize,
    /// `warned / victim_payments_into_known`.
    pub warned_share: f64,
    /// Warned by the check of the very upload that brought the payment.
    pub warned_in_same_upload: usize,
    pub warnings: usize,
    pub warnings_about_victims: usize,
    /// `warnings_about_victims / warnings`.
    pub precision: f64,
    /// Minutes from a victim's payment to its warning: median and 90th percentile.
    pub minutes_to_warning_p50: f64,
    pub minutes_to_warning_p90: f64,
    /// Accounts watched at the end, by source of the earliest knowledge.
    pub watched_at_end: usize,
    /// The per-upload check (ms): median and maximum.
    pub check_ms_p50: f64,
    pub check_ms_max: f64,
    /// Victims' payments into known accounts that were not warned, by the reason the check gave.
    pub missed: BTreeMap<String, usize>,
    /// All payments into watched accounts that raised no warning, by reason.
    pub skipped: BTreeMap<String, u64>,
    /// Warnings that were not victims' payments, by what the world's truth says the watched account and the
    /// payer were (`ring collector (rented) <- ordinary person`): where precision is lost.
    pub not_victims: BTreeMap<String, usize>,
}

impl crate::output::Report for WarningEval {
    fn sections(&self) -> Vec<crate::output::Section> {
        let mut s = crate::output::Section::new("Warnings, replayed upload by upload", &["measure", "value"]);
        let pct = |x: f64| format!("{:.1}%", 100.0 * x);
        for (k, v) in [
            ("world", self.world.clone()),
            (
                "transfers, uploads, cases registered",
                format!("{}, {}, {}", self.transfers, self.uploads, self.cases_registered),
            ),
            (
                "victim payments (into accounts already known)",
                format!("{} ({})", self.victim_payments, self.victim_payments_into_known),
            ),
            ("of those warned", format!("{} ({})", self.warned, pct(self.warned_share))),
            ("warned by the upload that brought them", self.warned_in_same_upload.to_string()),
            (
                "warnings (about victims)",
                format!("{} ({}, {})", self.warnings, self.warnings_about_victims, pct(self.precision)),
            ),
            (
                "minutes to warning p50 / p90",
                format!("{:.0} / {:.0}", self.minutes_to_warning_p50, self.minutes_to_warning_p90),
            ),
            ("accounts watched at the end", self.watched_at_end.to_string()),
            ("check per upload p50 / max (ms)", format!("{:.2} / {:.2}", self.check_ms_p50, self.check_ms_max)),
            ("victims' payments missed, by reason", format!("{:?}", self.missed)),
            ("payments into watched accounts not warned, by reason", format!("{:?}", self.skipped)),
            ("warnings not about victims, by watched account <- payer", format!("{:?}", self.not_victims)),
        ] {
            s.row(vec![k.to_string(), v]);
        }
        vec![s]
    }
}

/// Replays a generated world (`transfers.csv`, `accounts.csv`, `truth/cases.csv`) into a new store under
/// `work`: the accounts first, then the transfers in uploads of `upload_every_ms` in time order, each
/// checked on arrival as the server checks uploads; each case registered when the first upload after its
/// report time has landed (its seeds are in the store then), its accounts' payments checked; rings
/// detected again every `rings_every_ms`.
pub fn replay(world: &Path, work: &Path, opts: ReplayOptions, tz: Tz) -> AppResult<WarningEval> {
    std::fs::create_dir_all(work).map_err(|e| AppError::bad_input("world", format!("{}: {e}", work.display())))?;
    use crate::app::ingest::{check as check_ingest, run as run_ingest};
    use crate::ingest::IngestOptions;
    let bad = |m: String| AppError::bad_input("world", m);
    // The world's clock: each upload is checked at the time it would have landed.
    let clock = Clock::manual(i64::MIN);
    let desk = Desk::open(&work.join("db"), tz)?.with_clock(clock.clone()).logging_skips();
    let ingest_opts = IngestOptions { tz, ..Default::default() };
    let prepared = check_ingest(&[], &[world.join("accounts.csv")], &ingest_opts)
        .map_err(|e| bad(format!("{}: {e}", world.join("accounts.csv").display())))?;
    run_ingest(&desk, prepared, &|_| {})?;

    // The transfers by upload: rows kept as text, header once.
    let path = world.join("transfers.csv");
    let text = std::fs::read_to_string(&path).map_err(|e| bad(format!("{}: {e}", path.display())))?;
    let mut lines = text.lines();
    let header = lines.next().ok_or_else(|| bad(format!("{}: empty", path.display())))?;
    let ts_col =
        header.split(',').position(|h| h == "ts").ok_or_else(|| bad(format!("{}: no ts column", path.display())))?;
    let mut uploads: BTreeMap<i64, Vec<&str>> = BTreeMap::new();
    for line in lines {
        let ts = line.split(',').nth(ts_col).unwrap_or_default();
        let ms = crate::timefmt::parse_ts(ts, tz).map_err(|e| bad(format!("{}: ts {ts:?}: {e}", path.display())))?;
        // An upload at the end of each period carries the period's transfers.
        let at = (ms.div_euclid(opts.upload_every_ms) + 1) * opts.upload_every_ms;
        uploads.entry(at).or_default().push(line);
    }
    // The reported cases in the order they were reported.
    let mut cases: Vec<TruthCase> = truth::cases(world, tz)?
        .into_iter()
        .map(|c| {
            let report_ms = c.as_of_ms.ok_or_else(|| bad(format!("case {}: no report_time", c.case_id)))?;
            Ok(TruthCase { id: c.case_id, report_ms, seeds: c.seed_txn_ids })
        })
        .collect::<AppResult<_>>()?;
    cases.sort_by(|a, b| (a.report_ms, &a.id).cmp(&(b.report_ms, &b.id)));
    let mut next_case = 0;
    let mut last_rings_at: Option<i64> = None;
    let mut check_ms = Vec::new();
    let mut known_at: HashMap<AccountId, i64> = HashMap::new();
    let file = work.join("upload.csv");
    let mut transfers = 0u64;
    for (&at, rows) in &uploads {
        std::fs::write(&file, format!("{header}\n{}\n", rows.join("\n"))).map_err(|e| bad(e.to_string()))?;
        transfers += rows.len() as u64;
        clock.set(at);
        let prepared = check_ingest(std::slice::from_ref(&file), &[], &ingest_opts).map_err(|e| bad(e.to_string()))?;
        let summary = run_ingest(&desk, prepared, &|_| {})?;
        check_ms.push(summary.warnings_check_ms.unwrap_or_default());
        // Cases reported before this upload landed are registered now, and their accounts checked.
        while next_case < cases.len() && cases[next_case].report_ms < at {
            let tc = &cases[next_case];
            next_case += 1;
            let record = CaseRecord {
                case_id: tc.id.clone(),
                seed_txn_ids: tc.seeds.clone(),
                report_time_ms: Some(tc.report_ms),
                created_at_ms: at,
                created_by: "eval".into(),
                ..Default::default()
            };
            desk.write(|tx| tx.put_case(&record, None))?;
        }
        if let Some(every) = opts.rings_every_ms {
            if last_rings_at.is_none_or(|last| at - last >= every) {
                desk.detect_rings_now()?;
                last_rings_at = Some(at);
            }
        }
        for (a, w) in desk.watch_list()?.iter() {
            known_at.entry(a).or_insert(w.since_ms);
        }
    }
    let view = desk.view()?;
    // Victims' payments and when each account they went into became known.
    let mut victim_payments: HashMap<Seq, (i64, AccountId)> = HashMap::new();
    for tc in &cases {
        for id in &tc.seeds {
            if let Some((seq, t)) = view.transfer_by_txn_id(id)? {
                victim_payments.insert(seq, (t.ts_ms, t.dst));
            }
        }
    }
    let warnings: HashMap<Seq, WarningRecord> = view.all_warnings()?.into_iter().map(|w| (w.seq, w)).collect();
    let upload_of = |ts: i64| (ts.div_euclid(opts.upload_every_ms) + 1) * opts.upload_every_ms;
    let (mut into_known, mut warned, mut same) = (0, 0, 0);
    let mut minutes = Vec::new();
    let mut missed: BTreeMap<String, usize> = BTreeMap::new();
    for (seq, (ts, dst)) in &victim_payments {
        if known_at.get(dst).is_some_and(|k| *k <= *ts) {
            into_known += 1;
            if let Some(w) = warnings.get(seq) {
                warned += 1;
                same += usize::from(w.created_at_ms == upload_of(*ts));
                minutes.push((w.created_at_ms - ts) as f64 / MINUTE_MS as f64);
            } else {
                let why = desk.skip_of(*seq).map_or_else(|| "not checked".to_string(), |s| format!("{s:?}"));
                *missed.entry(why).or_default() += 1;
            }
        }
    }
    let skipped = desk.skipped_payments().into_iter().map(|(k, v)| (format!("{k:?}"), v)).collect();
    let about_victims = warnings.keys().filter(|s| victim_payments.contains_key(s)).count();
    let truth = WorldRoles::read(world)?;
    let mut not_victims: BTreeMap<String, usize> = BTreeMap::new();
    // Every warning with what the truth says of it, for looking into (kept with `--keep`).
    let mut table =
        String::from("seq,ts_ms,account,payer,amount_fen,grade,victim_payment,account_is,payer_is,reasons\n");
    let mut sorted: Vec<&WarningRecord> = warnings.values().collect();
    sorted.sort_by_key(|w| w.seq);
    for w in sorted {
        let name = |id: AccountId| -> AppResult<String> { Ok(view.account_external(id)?.unwrap_or_default()) };
        let (account_is, payer_is) = (truth.role(&name(w.account)?), truth.role(&name(w.sender)?));
        let victim = victim_payments.contains_key(&w.seq);
        table.push_str(&format!(
            "{},{},{},{},{},{:?},{victim},{account_is},{payer_is},\"{}\"\n",
            w.seq,
            w.ts_ms,
            view.account_external(w.account)?.unwrap_or_default(),
            view.account_external(w.sender)?.unwrap_or_default(),
            w.amount_fen,
            w.grade,
            w.reasons.join("; ").replace('"', "'"),
        ));
        if !victim {
            *not_victims.entry(format!("{account_is} <- {payer_is}")).or_default() += 1;
        }
    }
    std::fs::write(work.join("warnings.csv"), table).map_err(|e| bad(format!("{}: {e}", work.display())))?;
    let pct = |sorted: &[f64], p: f64| {
        if sorted.is_empty() {
            0.0
        } else {
            sorted[((sorted.len() - 1) as f64 * p).round() as usize]
        }
    };
    minutes.sort_by(f64::total_cmp);
    check_ms.sort_by(f64::total_cmp);
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    Ok(WarningEval {
        world: world.display().to_string(),
        transfers,
        uploads: uploads.len(),
        cases_registered: next_case,
        victim_payments: victim_payments.len(),
        victim_payments_into_known: into_known,
        warned,
        warned_share: ratio(warned, into_known),
        warned_in_same_upload: same,
        warnings: warnings.len(),
        warnings_about_victims: about_victims,
        precision: ratio(about_victims, warnings.len()),
        minutes_to_warning_p50: pct(&minutes, 0.5),
        minutes_to_warning_p90: pct(&minutes, 0.9),
        watched_at_end: known_at.len(),
        check_ms_p50: pct(&check_ms, 0.5),
        check_ms_max: check_ms.last().copied().unwrap_or(0.0),
        missed,
        skipped,
        not_victims,
    })
}

/// What a generated world's truth says an account is: a ring's card (its role, rented or not), a
/// look-alike (merchant, payroll, otc…), a victim who reported, or an ordinary person.
struct WorldRoles {
    by_external: HashMap<String, String>,
}

impl WorldRoles {
    fn read(world: &Path) -> AppResult<WorldRoles> {
        let mut by_external = HashMap::new();
        for (account, card) in truth::mule_cards(world)? {
            let rented = if card.rented { " (rented)" } else { "" };
            by_external.entry(account).or_insert(format!("ring {}{rented}", card.role));
        }
        for (account, kind) in truth::lookalikes(world)? {
            by_external.entry(account).or_insert(kind);
        }
        for (_, victim) in truth::victims(world)? {
            by_external.entry(victim).or_insert_with(|| "victim (other payment)".to_string());
        }
        Ok(WorldRoles { by_external })
    }

    fn role(&self, external: &str) -> String {
        self.by_external.get(external).cloned().unwrap_or_else(|| "ordinary".to_string())
    }
}
