//! Looking at the store: whole-store statistics and one account's record.

use std::collections::BTreeMap;

use chrono_tz::Tz;
use serde::Serialize;

use crate::model::{AccountKind, Channel};
use crate::money::Fen;
use crate::output::{Report, Section};
use crate::store::{Direction, Edge, StoreError, StoreView};
use crate::timefmt::{format_date_days, format_rfc3339, format_ts};

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("unknown account '{0}': it appears in no loaded transfer or accounts file")]
    UnknownAccount(String),
    #[error("bad page cursor '{0}' (use the value printed as next_cursor)")]
    BadCursor(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Graph(crate::graph::GraphError),
}

#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct ChannelTotals {
    pub channel: String,
    pub transfers: u64,
    pub amount: Fen,
}

#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct KindTotals {
    pub kind: String,
    pub accounts: u64,
    pub transfers_in: u64,
    pub amount_in: Fen,
    pub transfers_out: u64,
    pub amount_out: Fen,
}

/// `moneytrail stats`.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct StoreStats {
    pub accounts: u64,
    pub accounts_with_attributes: u64,
    pub transfers: u64,
    pub total_amount: Fen,
    pub first_transfer_at: Option<String>,
    pub last_transfer_at: Option<String>,
    pub by_channel: Vec<ChannelTotals>,
    pub by_account_kind: Vec<KindTotals>,
    pub size_on_disk_bytes: u64,
}

/// Scans every committed transfer once (seconds for millions of rows).
pub fn store_stats(view: &StoreView<'_>, tz: Tz, size_on_disk_bytes: u64) -> Result<StoreStats, QueryError> {
    let mut kinds: Vec<AccountKind> = vec![AccountKind::Unknown; view.account_count() as usize];
    let mut with_attrs = 0u64;
    view.for_each_account_attrs(|id, a| {
        with_attrs += 1;
        if let Some(k) = kinds.get_mut(id as usize) {
            *k = a.kind;
        }
    })?;
    let mut by_kind: BTreeMap<String, KindTotals> = BTreeMap::new();
    for k in &kinds {
        by_kind.entry(k.as_str().to_string()).or_default().accounts += 1;
    }
    let mut by_channel: BTreeMap<String, ChannelTotals> = BTreeMap::new();
    let mut s = StoreStats {
        accounts: view.account_count(),
        accounts_with_attributes: with_attrs,
        size_on_disk_bytes,
        ..Default::default()
    };
    let (mut first, mut last) = (i64::MAX, i64::MIN);
    view.for_each_transfer(|_, t| {
        s.transfers += 1;
        s.total_amount += Fen(t.amount_fen);
        first = first.min(t.ts_ms);
        last = last.max(t.ts_ms);
        let name = match &t.channel {
            Channel::Unspecified => "(unspecified)".to_string(),
            c => c.as_str().to_string(),
        };
        let c = by_channel.entry(name).or_default();
        c.transfers += 1;
        c.amount += Fen(t.amount_fen);
        let kind_of = |id: u32| kinds.get(id as usize).map_or("unknown", AccountKind::as_str).to_string();
        let out = by_kind.entry(kind_of(t.src)).or_default();
        out.transfers_out += 1;
        out.amount_out += Fen(t.amount_fen);
        let inn = by_kind.entry(kind_of(t.dst)).or_default();
        inn.transfers_in += 1;
        inn.amount_in += Fen(t.amount_fen);
    })?;
    if s.transfers > 0 {
        s.first_transfer_at = Some(format_rfc3339(first, tz));
        s.last_transfer_at = Some(format_rfc3339(last, tz));
    }
    s.by_channel = by_channel
        .into_iter()
        .map(|(channel, mut c)| {
            c.channel = channel;
            c
        })
        .collect();
    s.by_account_kind = by_kind
        .into_iter()
        .map(|(kind, mut k)| {
            k.kind = kind;
            k
        })
        .collect();
    Ok(s)
}

impl Report for StoreStats {
    fn sections(&self) -> Vec<Section> {
        let mut overview = Section::fields(
            "Store",
            vec![
                ("accounts", self.accounts.to_string()),
                ("accounts with attributes", self.accounts_with_attributes.to_string()),
                ("transfers", self.transfers.to_string()),
                ("total amount (yuan)", self.total_amount.to_string()),
                ("first transfer", self.first_transfer_at.clone().unwrap_or_default()),
                ("last transfer", self.last_transfer_at.clone().unwrap_or_default()),
                ("size on disk (MiB)", format!("{:.1}", self.size_on_disk_bytes as f64 / 1048576.0)),
            ],
        );
        overview.headers = vec![String::new(), String::new()];
        let mut ch = Section::new("By channel", &["channel", "transfers", "amount"]);
        for c in &self.by_channel {
            ch.row(vec![c.channel.clone(), c.transfers.to_string(), c.amount.to_string()]);
        }
        let mut kinds = Section::new(
            "By account kind",
            &["kind", "accounts", "transfers in", "amount in", "transfers out", "amount out"],
        );
        for k in &self.by_account_kind {
            kinds.row(vec![
                k.kind.clone(),
                k.accounts.to_string(),
                k.transfers_in.to_string(),
                k.amount_in.to_string(),
                k.transfers_out.to_string(),
                k.amount_out.to_string(),
            ]);
        }
        vec![overview, ch, kinds]
    }

    fn csv_section(&self) -> Section {
        self.sections().swap_remove(1)
    }
}

/// One line of an account's statement.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct StatementLine {
    pub ts: String,
    pub txn_id: String,
    /// `in` or `out`, seen from the account.
    pub direction: &'static str,
    pub counterparty: String,
    pub counterparty_name: String,
    pub amount: Fen,
    pub channel: String,
    pub memo: String,
    /// The statement lines this transfer was read from (empty when it came from a transfers table).
    pub sources: Vec<crate::model::SourceLine>,
    #[serde(skip)]
    pub ts_ms: i64,
}

/// `moneytrail account`: what is known about an account, and its transfers in time order.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AccountReport {
    pub account: String,
    pub kind: String,
    pub holder_id: String,
    pub holder_name: String,
    pub phone: String,
    pub device_id: String,
    pub bank: String,
    pub branch: String,
    pub opened_at: Option<String>,
    pub transfers: Vec<StatementLine>,
    /// Mule-card features over the account's whole history (see `moneytrail rings`).
    pub features: Option<crate::rings::features::AccountFeatures>,
    /// Pass as `--after` (API: `after=`) for the next page; absent on the last page.
    pub next_cursor: Option<String>,
    #[serde(skip)]
    tz: Tz,
}

/// Reads one page of an account's statement: transfers in and out with `from <= ts <= to`, in
/// (time, seq) order, starting after `after` (a cursor from a previous page).
#[allow(clippy::too_many_arguments)] // the page's fields; app::query::StatementPage is the caller's struct
pub fn account_report(
    view: &StoreView<'_>,
    external: &str,
    from_ms: i64,
    to_ms: i64,
    after: Option<&str>,
    limit: usize,
    with_features: bool,
    tz: Tz,
) -> Result<AccountReport, QueryError> {
    let id = view.account_id(external)?.ok_or_else(|| QueryError::UnknownAccount(external.to_string()))?;
    let a = view.account_attrs(id)?;
    let cursor = match after {
        None => None,
        Some(c) => {
            let bad = || QueryError::BadCursor(c.into());
            let (rest, dir) = c.rsplit_once('-').ok_or_else(bad)?;
            let (ts, seq) = rest.rsplit_once('-').ok_or_else(bad)?;
            let dir_rank = match dir {
                "o" => 0u8,
                "i" => 1,
                _ => return Err(bad()),
            };
            Some((ts.parse::<i64>().map_err(|_| bad())?, seq.parse::<u64>().map_err(|_| bad())?, dir_rank))
        }
    };
    let start = cursor.map_or(from_ms, |(ts, _, _)| ts.max(from_ms));
    let take = limit.saturating_add(1);
    let mut lines: Vec<(Edge, Direction)> = Vec::new();
    for dir in [Direction::Out, Direction::In] {
        let mut n = 0;
        view.for_each_edge(id, dir, start, to_ms, |e| {
            if cursor.is_some_and(|c| (e.ts_ms, e.seq, u8::from(dir == Direction::In)) <= c) {
                return true;
            }
            lines.push((e, dir));
            n += 1;
            n < take
        })?;
    }
    lines.sort_by_key(|(e, dir)| (e.ts_ms, e.seq, *dir == Direction::In));
    let more = lines.len() > limit;
    lines.truncate(limit);
    let next_cursor = if more {
        lines.last().map(|(e, dir)| format!("{}-{}-{}", e.ts_ms, e.seq, if *dir == Direction::In { "i" } else { "o" }))
    } else {
        None
    };
    let mut transfers = Vec::with_capacity(lines.len());
    for (e, dir) in lines {
        let t = view.transfer(e.seq)?;
        let (txn_id, memo, channel, cp_name) = match &t {
            Some(t) => (
                t.txn_id.clone(),
                t.memo.clone(),
                t.channel.as_str().to_string(),
                if dir == Direction::Out { t.dst_name.clone() } else { t.src_name.clone() },
            ),
            None => Default::default(),
        };
        transfers.push(StatementLine {
            ts: format_rfc3339(e.ts_ms, tz),
            ts_ms: e.ts_ms,
            txn_id,
            direction: if dir == Direction::Out { "out" } else { "in" },
            counterparty: view.account_external(e.counterparty)?.unwrap_or_default(),
            counterparty_name: cp_name,
            amount: Fen(e.amount_fen),
            channel,
            memo,
            sources: view.sources(e.seq)?,
        });
    }
    Ok(AccountReport {
        account: external.to_string(),
        kind: a.kind.as_str().to_string(),
        holder_id: a.holder_id,
        holder_name: a.holder_name,
        phone: a.phone,
        device_id: a.device_id,
        bank: a.bank,
        branch: a.branch,
        opened_at: a.opened_at_days.map(format_date_days),
        transfers,
        features: if with_features {
            Some(
                crate::rings::features::account_features(
                    view,
                    &crate::rings::features::AttrTable::around(view, id).map_err(QueryError::Graph)?,
                    id,
                    tz,
                )
                .map_err(QueryError::Graph)?,
            )
        } else {
            None
        },
        next_cursor,
        tz,
    })
}

impl Report for AccountReport {
    fn sections(&self) -> Vec<Section> {
        let mut info = Section::fields(
            format!("Account {}", self.account),
            vec![
                ("kind", self.kind.clone()),
                ("holder", format!("{} {}", self.holder_name, self.holder_id).trim().to_string()),
                ("phone", self.phone.clone()),
                ("device", self.device_id.clone()),
                ("bank / branch", format!("{} {}", self.bank, self.branch).trim().to_string()),
                ("opened", self.opened_at.clone().unwrap_or_default()),
            ],
        );
        info.headers = vec![String::new(), String::new()];
        let mut t = Section::new(
            "Transfers",
            &["time", "txn_id", "dir", "counterparty", "name", "amount", "channel", "memo", "statement lines"],
        );
        for l in &self.transfers {
            t.row(vec![
                format_ts(l.ts_ms, self.tz),
                l.txn_id.clone(),
                l.direction.to_string(),
                l.counterparty.clone(),
                l.counterparty_name.clone(),
                l.amount.to_string(),
                l.channel.clone(),
                l.memo.clone(),
                l.sources.iter().map(|s| format!("{} row {}", s.file, s.row)).collect::<Vec<_>>().join("; "),
            ]);
        }
        let mut sections = vec![info];
        if let Some(f) = &self.features {
            let pct = |x: f64| format!("{:.0}%", 100.0 * x);
            let mut fs = Section::fields(
                "Mule-card features (whole history)",
                vec![
                    ("money in / out", format!("{} / {}", Fen(f.in_fen), Fen(f.out_fen))),
                    ("senders / receivers", format!("{} / {}", f.senders, f.receivers)),
                    ("left within the hour (快进快出)", pct(f.pass_through_1h)),
                    ("median dwell", f.median_dwell_min.map_or("-".into(), |m| format!("{m:.0} min"))),
                    ("balance left", pct(f.balance_left_share)),
                    (
                        "first used after opening",
                        f.age_at_first_activity_days.map_or("-".into(), |d| format!("{d} days")),
                    ),
                    ("night share (00-06)", pct(f.night_share)),
                    ("round / just-under-limit amounts", pct(f.round_or_under_limit_share)),
                    ("to ATMs, OTC, platforms, shops", pct(f.terminal_out_share)),
                    ("holders on its device / phone", format!("{} / {}", f.holders_on_device, f.holders_on_phone)),
                    ("cards of its holder", f.cards_of_holder.to_string()),
                ],
            );
            fs.headers = vec![String::new(), String::new()];
            sections.push(fs);
        }
        sections.push(t);
        sections
    }

    fn footer(&self) -> Option<String> {
        self.next_cursor.as_ref().map(|c| format!("more: --after {c}"))
    }
}

/// One stop in the registry, for people.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct StopEntry {
    pub id: u64,
    pub account: String,
    pub amount: Fen,
    pub placed_at: String,
    pub expires_at: String,
    pub renewals: u8,
    pub renewals_left: u8,
    pub released_at: Option<String>,
    pub case_id: String,
    pub placed_by: String,
    pub basis_txn: String,
    pub note: String,
}

/// `moneytrail stop list` (and what place/renew/release print).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct StopList {
    pub stops: Vec<StopEntry>,
}

impl StopList {
    pub fn build(view: &StoreView<'_>, stops: Vec<crate::model::StopRecord>, tz: Tz) -> Result<StopList, QueryError> {
        let mut out = Vec::with_capacity(stops.len());
        for s in stops {
            out.push(StopEntry {
                id: s.id,
                account: view.account_external(s.account)?.unwrap_or_default(),
                amount: Fen(s.amount_fen),
                placed_at: format_rfc3339(s.placed_at_ms, tz),
                expires_at: format_rfc3339(s.expires_at_ms, tz),
                renewals: s.renewals,
                renewals_left: crate::policy::STOP_MAX_RENEWALS.saturating_sub(s.renewals),
                released_at: s.released_at_ms.map(|t| format_rfc3339(t, tz)),
                case_id: s.case_id,
                placed_by: s.placed_by,
                basis_txn: s.basis_txn,
                note: s.note,
            });
        }
        Ok(StopList { stops: out })
    }
}

impl Report for StopList {
    fn sections(&self) -> Vec<Section> {
        let mut s = Section::new(
            "Stops",
            &["id", "account", "amount", "placed", "expires", "renewals left", "released", "case"],
        );
        for x in &self.stops {
            s.row(vec![
                format!("#{}", x.id),
                x.account.clone(),
                x.amount.to_string(),
                x.placed_at.clone(),
                x.expires_at.clone(),
                x.renewals_left.to_string(),
                x.released_at.clone().unwrap_or_default(),
                x.case_id.clone(),
            ]);
        }
        vec![s]
    }
}
