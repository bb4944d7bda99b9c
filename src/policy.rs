//! Every number that decides what moneytrail flags, proposes or grades, with the reason for its value.
//!
//! A threshold written in the analysis code would be found by nobody who wants to know why an account was
//! (not) flagged; here each one is named, explained and used from one place. Changing a value here changes
//! behaviour everywhere it is used: the rings and warnings evaluations say whether it was for the better.

use crate::model::AccountKind;
use crate::timefmt::{DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS};

// ---------------------------------------------------------------------------------------------------------
// Hubs: accounts that are not mule cards whatever their money does.
// ---------------------------------------------------------------------------------------------------------

/// Distinct counterparties (accounts it paid or was paid by, each counted once) at which an account is a
/// hub: a merchant, payroll account or platform. A mule card of a ring sees tens of counterparties over its
/// short life; in the generated worlds no mule card reaches 60, while shops and payroll pass 100 within a
/// month. Hubs are never proposed for stopping without review, never ring members, never glue two rings.
pub const HUB_COUNTERPARTIES: usize = 100;

/// Account kinds that end the bank trail (ATM, OTC seller, merchant, payment platform): never mule cards.
pub fn is_terminal_kind(kind: &AccountKind) -> bool {
    matches!(kind, AccountKind::Atm | AccountKind::Otc | AccountKind::Merchant | AccountKind::ThirdParty)
}

/// An account paying at least this share of its outgoing money as salary is an employer's payroll account:
/// never a ring suspect, whatever money reached it (a payroll account passes on all it receives, to many).
pub const PAYROLL_SALARY_OUT_SHARE: f64 = 0.5;

/// Whether an account is a payroll account (see [`PAYROLL_SALARY_OUT_SHARE`]).
pub fn is_payroll(salary_out_share: f64) -> bool {
    salary_out_share >= PAYROLL_SALARY_OUT_SHARE
}

/// The one definition of a hub, used by freeze proposals and ring detection alike.
pub fn is_hub(kind: &AccountKind, distinct_counterparties: usize, hub_counterparties: usize) -> bool {
    is_terminal_kind(kind) || distinct_counterparties >= hub_counterparties
}

// ---------------------------------------------------------------------------------------------------------
// Freeze proposals and stops.
// ---------------------------------------------------------------------------------------------------------

/// Accounts holding less traced money than this (fen) are listed, not proposed: 100 yuan. A stop-payment
/// request costs an officer and a bank's time; below this it recovers less than it costs, and the
/// anti-fraud centres' own practice starts at this order of amount.
pub const FREEZE_THRESHOLD_FEN: i64 = 10_000;

/// Urgency of a proposal by the time since traced money last arrived: a mule card passes money on within
/// minutes to hours, so money that arrived within the hour is very likely still there only if stopped now.
pub const URGENCY_CRITICAL_WITHIN_MS: i64 = HOUR_MS;
pub const URGENCY_HIGH_WITHIN_MS: i64 = 6 * HOUR_MS;
pub const URGENCY_MEDIUM_WITHIN_MS: i64 = 48 * HOUR_MS;

/// A layout proposal (`statements layout`) guesses a column's field from its values alone when this share
/// of them look alike (dates, account numbers, direction words, amounts): most, allowing a stray note.
pub const STATEMENT_PROPOSAL_VALUE_SHARE: f64 = 0.8;

/// Two banks' clocks may differ by this much for the two records of one transfer in their statements
/// (`statements import --skew`): a few seconds is what core banking clocks differ by in practice.
pub const STATEMENT_SKEW_DEFAULT_MS: i64 = 10 * SECOND_MS;
/// The largest tolerance a user may set: beyond a few minutes, genuine repeated payments of one amount
/// between the same two accounts would be merged into one.
pub const STATEMENT_SKEW_MAX_MS: i64 = 10 * MINUTE_MS;

/// An emergency stop-payment lasts 48 hours (银发〔2016〕86号, the stop-payment rules).
pub const STOP_DURATION_MS: i64 = 48 * HOUR_MS;
/// …and may be renewed at most twice; after that a judicial freeze (冻结) is needed.
pub const STOP_MAX_RENEWALS: u8 = 2;

// ---------------------------------------------------------------------------------------------------------
// Mule-card evidence (rings).
// ---------------------------------------------------------------------------------------------------------

/// Money that leaves a card within this long after arriving counts as passed through (快进快出): the
/// `pass_through_1h` features and the signals over them. Mule cards forward victims' money within minutes;
/// an hour covers a card waiting for its next instruction without taking in an ordinary person's day.
pub const RING_PASS_WINDOW_MS: i64 = HOUR_MS;
/// The slower pass-through window of the `*_24h` features: a card held overnight before it pays on (cards
/// rented with daily withdrawal limits) still moves money within the day.
pub const RING_PASS_DAY_WINDOW_MS: i64 = DAY_MS;
/// Transfer and withdrawal limits (yuan) mule cards keep just under (banks' and platforms' usual single
/// and daily limits: 5,000 to 100,000 yuan), for the round-amount feature.
pub const RING_ROUND_LIMITS_YUAN: [i64; 5] = [5_000, 10_000, 20_000, 50_000, 100_000];
/// How far under such a limit an amount counts as just under it (fen): 200 yuan.
pub const RING_UNDER_LIMIT_FEN: i64 = 20_000;
/// Amounts that are whole multiples of this (fen) are round: 100 yuan, the unit scammers name sums in.
pub const RING_ROUND_FEN: i64 = 10_000;
/// Laundering patterns among a ring's cards (cycles, scatter-gather) count when they close within this
/// long: layering through rented cards is done within the day the money arrived.
pub const PATTERN_WINDOW_MS: i64 = DAY_MS;
/// A cycle is looked for through at most this many transfers after the first (four in all: a card, three
/// others, back to it): longer loops are chains, not cycles, and the search would grow with the ring's
/// density.
pub const PATTERN_CYCLE_HOPS: usize = 3;

/// Holders sharing one device or phone before it counts as a card dealer's: a family shares with one other
/// person at most; three or more holders on one phone is how rented cards are run.
pub const RING_SHARED_HOLDERS: u32 = 3;
/// A card first used within this many days of opening is new: rented and bought cards are put to work
/// within weeks of opening, ordinary accounts are used from the start but rarely at a mule's volume.
pub const RING_NEW_CARD_DAYS: i64 = 30;
/// Share of incoming money that must leave within the hour for the fast pass-through (快进快出) signal.
pub const RING_PASS_THROUGH: f64 = 0.8;
/// A weaker pass-through share that, with shared attributes, still counts (a card passing half its money
/// on within the hour is not an ordinary account's pattern).
pub const RING_PASS_THROUGH_WEAK: f64 = 0.5;
/// Share of the money that may stay on a pass-through card: a mule card keeps almost nothing.
pub const RING_BALANCE_LEFT_MAX: f64 = 0.05;
/// Least money through a card (fen) for the money signal: 20,000 yuan, below which everyday transfers
/// between friends look the same.
pub const RING_MIN_FLOW_FEN: i64 = 2_000_000;
/// Share of outgoing money to ATMs, OTC sellers, platforms or shops for the cash-out signal…
pub const RING_CASHOUT_SHARE: f64 = 0.9;
/// …over at least this many outgoing transfers (one big purchase is not cashing out).
pub const RING_CASHOUT_MIN_OUT: u32 = 3;
/// A salary forwarder passes money on too, but it comes from an employer: above this salary share the
/// money signal does not count.
pub const RING_SALARY_SHARE_MAX: f64 = 0.2;
/// A card paying out more than this many times what it received is spending its own money: no money
/// signal. Mule cards pay out what arrives (out/in at most 1.3 on the tuning worlds, 1.0 typically).
pub const RING_OUT_IN_MAX: f64 = 1.5;
/// The money signal needs several senders (a forwarder of one person's money is not collecting).
pub const RING_MIN_SENDERS: u32 = 2;
/// One-off senders (seen on one day only, not paying salary) whose money a card must pass on within the day
/// for the one-off signal: victims pay a collector once or twice; two is already unlike a person's life.
pub const RING_ONE_OFF_SENDERS: u32 = 2;
/// Cards with money evidence, linked by money or ties, that make a ring on money alone (with at least one
/// strong money signal among them): a wholesaler and its supplier are two.
pub const RING_MONEY_ONLY_MIN_CARDS: usize = 3;
/// Median minutes money stays on a card for the money signal.
pub const RING_MEDIAN_DWELL_MAX_MIN: f64 = 60.0;
/// A member sending at least this share of its money to terminals is the ring's cash-out card…
pub const RING_ROLE_CASHOUT_SHARE: f64 = 0.5;
/// …one receiving at least this share from outside the ring is its collector (level 1); else a relay.
pub const RING_ROLE_COLLECTOR_SHARE: f64 = 0.5;

/// Phone numbers at most this far apart chain into one run (号段): a dealer buys consecutive numbers, and
/// an operator hands out a batch with small gaps where some numbers were sold to others.
pub const RING_PHONE_RUN_GAP: u64 = 3;
/// Cards opened at one branch within this many days of each other form one opening cohort: a dealer brings
/// the holders he recruited to the branch together, in a week. Said in evidence and read by the scorer; not
/// a tie between suspects (a busy branch opens many people's cards in a week).
pub const RING_COHORT_DAYS: i32 = 7;

/// Money of one registered case an account must have received (under any conserving rule, over everything
/// recorded) for that case to count against it: 500 yuan, below which rule artefacts (a proportional
/// reading spreads every case thinly; a rented card's everyday payments carry a few yuan of traced money)
/// would name innocent people.
pub const RING_CASE_MIN_FEN: i64 = 50_000;
/// …and, past the first hop, the share of it the account passed on: mule cards pass on what they receive;
/// a person paid out of a rented card's commingled balance (living costs to the owner's family) keeps it.
pub const RING_CASE_PASSED_ON: f64 = 0.5;
/// …and the share of all the money it ever received that was the cases' money, unless two cases reached
/// it. Mule cards carry little else (10–100% on the tuning worlds, most above 50%); a wholesaler, a shop
/// or a person paid once by a rented card carries cases' money as a sliver of its own flow (under 9% on
/// the tuning worlds, most under 1%).
pub const RING_CASE_MIN_SHARE: f64 = 0.1;

/// The registered cases' money at one account: what it received (from the cases that gave it at least
/// [`RING_CASE_MIN_FEN`] each), what of that it passed on, and all it ever received.
#[derive(Clone, Copy, Debug)]
pub struct CaseMoney {
    pub received_fen: i64,
    pub passed_on_fen: i64,
    pub all_in_fen: i64,
}

/// Whether an account the registered cases' money reached is a suspect by that fact (涉案账户): a victim paid
/// it directly (hop 1: a collector); or it passed the money on and either two or more unrelated cases
/// passed through it or the cases' money is a real part of its flow.
pub fn is_case_account(m: &CaseMoney, cases: usize, nearest_hop: u32) -> bool {
    cases >= 1
        && (nearest_hop == 1
            || (m.passed_on_fen as f64 >= RING_CASE_PASSED_ON * m.received_fen as f64
                && (cases >= 2 || m.received_fen as f64 >= RING_CASE_MIN_SHARE * m.all_in_fen.max(1) as f64)))
}

/// The scorer learnt from confirmed cards (`rings --confirmed`): fewer confirmed cards than this found in the
/// store cannot both train a model and cross-validate it (five folds of two).
pub const RING_SCORER_MIN_CONFIRMED: usize = 10;
/// Cross-validation folds: each confirmed card is scored once by a model that never saw it.
pub const RING_SCORER_FOLDS: usize = 5;
/// The scorer's threshold is chosen per list, at the best cross-validated F1 against the list; never below
/// this, so a model that separates nothing flags nothing rather than everything.
pub const RING_SCORER_MIN_THRESHOLD: f64 = 0.5;
/// Boosted trees, learning rate and depth: small, shallow trees learn the few interactions the features
/// have (fast pass-through *and* one-off senders) without memorising the few hundred positives.
pub const RING_SCORER_TREES: usize = 100;
pub const RING_SCORER_LEARNING_RATE: f32 = 0.1;
pub const RING_SCORER_DEPTH: usize = 4;
/// Negatives kept for training (the rest are represented by weights): 50,000 keeps training in seconds at
/// the 10M-transfer scale, and is hundreds of times the positives.
pub const RING_SCORER_MAX_NEGATIVES: usize = 50_000;
/// Accounts scored per batch (bounds the scoring matrix's memory to a few tens of MB).
pub const RING_SCORER_CHUNK: usize = 100_000;
/// The scorer's random seed: the same list on the same data gives the same model and the same flags.
pub const RING_SCORER_SEED: u64 = 0x6d75_6c65;

// ---------------------------------------------------------------------------------------------------------
// Linking cases (串并).
// ---------------------------------------------------------------------------------------------------------

/// An account paid by at least this many distinct accounts may be a sink (an OTC seller's card, a shop's):
/// mule collectors are paid by their victims and their ring, at most 18 senders on the tuning worlds; an
/// OTC seller by dozens of buyers and rings, a shop by hundreds.
pub const SINK_MIN_SENDERS: u32 = 30;
/// …and it keeps at least this share of all it received (sellers and shops hold, mule cards pass on)…
pub const SINK_HELD_SHARE: f64 = 0.5;
/// …or pays at least this share of its outflow to ATMs, OTC sellers, platforms or shops.
pub const SINK_CASHOUT_SHARE: f64 = 0.8;

/// …or the traced cases' money is under this share of all it received: a merchant's collection account
/// that settles to its owner daily passes money on, but its customers', not the cases'.
pub const SINK_CASE_SHARE: f64 = 0.05;

/// Upstream runs the conduit tests of a card's own senders in parallel from this many on (below it, the
/// threads cost more than the ledgers they read). Speed only: answers do not depend on it.
pub const UPSTREAM_PARALLEL_SENDERS: usize = 16;

/// Upstream trace: a sender is a conduit (followed further back) when at least this share of what it
/// received up to the window's end left again within `UPSTREAM_PASS_WINDOW_MS` (oldest money first). Mule
/// cards pass on nearly everything within hours; victims and other ordinary payers pay from savings and
/// salary, which sat for days — they are where the money came from.
pub const UPSTREAM_CONDUIT_PASS_SHARE: f64 = 0.5;
pub const UPSTREAM_PASS_WINDOW_MS: i64 = DAY_MS;
/// Origin payments more than this before the window are not looked for: money that sat in the chain
/// longer is left to the conduits' own money (a mule chain moves money within days).
pub const UPSTREAM_LOOKBACK_MS: i64 = 7 * DAY_MS;

/// Paths between two accounts: at most this many transfers (each hop multiplies the search).
pub const PATHS_MAX_HOPS: u32 = 10;
/// Out-transfers kept per account when searching paths, newest first (FinBench's truncation; a hub's
/// thousands of payments would otherwise make every path through it).
pub const PATHS_TRUNCATION: usize = 1000;
/// The all-paths search stops after looking at this many transfers (and says so): bounded time whatever
/// the graph.
pub const PATHS_MAX_STEPS: usize = 2_000_000;
/// Paths listed by default.
pub const PATHS_LIMIT: usize = 100;

/// A shared account's weight by its level in a case: a level-1 collector card says most about who ran a
/// case, each level down less (levels 1–4), deeper ones little.
pub const LINK_LEVEL_WEIGHTS: [f64; 4] = [1.0, 0.5, 0.25, 0.12];
pub const LINK_LEVEL_WEIGHT_DEEPER: f64 = 0.06;
/// The money both cases put on a shared account, on a log scale from this (the floor weight) to the full
/// amount (weight 1): a few hundred yuan can be a rule's artefact, ten thousand is a transfer of the gang.
pub const LINK_MONEY_FLOOR_YUAN: f64 = 100.0;
pub const LINK_MONEY_FULL_YUAN: f64 = 10_000.0;
pub const LINK_MONEY_MIN_WEIGHT: f64 = 0.3;
/// Time between the two cases' money arriving: the surplus over the floor halves every week; a gang uses
/// its cards for weeks, so far apart still counts for the floor.
pub const LINK_TIME_HALF_LIFE_DAYS: f64 = 7.0;
pub const LINK_TIME_FLOOR: f64 = 0.5;
/// Cards of two cases (levels 1–2) sharing a device, phone, holder or login: one dealer's cards. Weighed
/// below a shared card, since families and shops share devices too.
pub const LINK_ATTR_WEIGHT: f64 = 0.5;
pub const LINK_ATTR_MAX_LEVEL: u32 = 2;
/// Links below this strength are not reported (one weak clue: a level-3 account several cases share).
pub const LINK_MIN_STRENGTH: f64 = 0.1;
/// Links that shape groups: at least this strong.
pub const LINK_GROUP_MIN_STRENGTH: f64 = 0.2;
/// Leiden's resolution (modularity): 1, the standard; higher splits groups finer.
pub const LINK_LEIDEN_RESOLUTION: f64 = 1.0;
/// Fixed seed: the same cases on the same data give the same groups.
pub const LINK_LEIDEN_SEED: u64 = 0x6c69_6e6b;
/// Clues shown per link (the strongest).
pub const LINK_EVIDENCE_SHOWN: usize = 5;

/// Ring score (0–100) = 100 × (w_attr·attribute share + w_money·money share + w_size·size + w_flow·flow).
/// Attribute and money evidence weigh most and equally (each alone is how a ring is found); size and the
/// money that entered only rank rings of the same evidence.
pub const RING_SCORE_WEIGHT_ATTRIBUTES: f64 = 0.35;
pub const RING_SCORE_WEIGHT_MONEY: f64 = 0.35;
pub const RING_SCORE_WEIGHT_SIZE: f64 = 0.15;
pub const RING_SCORE_WEIGHT_FLOW: f64 = 0.15;
/// Members at which the size term saturates (a dealer's batch of cards is about ten).
pub const RING_SCORE_FULL_SIZE: f64 = 10.0;
/// Decimal orders of magnitude of yuan at which the flow term saturates: 10^7 yuan into the ring.
pub const RING_SCORE_FULL_FLOW_LOG10_YUAN: f64 = 7.0;

/// Pattern descriptions (not flags): gather-scatter needs a card collecting from and paying this many
/// accounts, passing at least [`RING_PASS_THROUGH_WEAK`] on within the hour; one holder with this many
/// cards in one ring is worth saying.
pub const PATTERN_FAN: usize = 3;
pub const PATTERN_HOLDER_CARDS: usize = 3;

// ---------------------------------------------------------------------------------------------------------
// Warnings (资金预警, 四色分级).
// ---------------------------------------------------------------------------------------------------------

/// A payer that received, in this window before paying a watched account, at least
/// [`WARN_PASS_THROUGH_SHARE`] of the payment from accounts not watched is passing money on (快进快出), not
/// a victim paying from their own money: 12 hours. Chosen from how mule cards are described (money leaves
/// within minutes to hours), not fitted to a world; `eval warnings` reports it on worlds of every setting.
pub const WARN_PASS_THROUGH_WINDOW_MS: i64 = 12 * HOUR_MS;
/// See [`WARN_PASS_THROUGH_WINDOW_MS`]: 90% of the payment.
pub const WARN_PASS_THROUGH_SHARE: f64 = 0.9;

/// An account's established contacts (never warned) are those who exchanged money with it at least this
/// long before its first fraud inflow known: 7 days. The first inflow a registered case saw is seldom the
/// card's first: it may have collected from victims who report later for days before (cards are used
/// for one to three weeks), and those victims are not its owner's contacts.
pub const WARN_CONTACT_MARGIN_MS: i64 = 7 * 24 * HOUR_MS;

/// A ring card's first fraud inflow, which detection does not give, is taken as this long before it
/// first exchanged money with another card of its ring: a day (collectors forward within hours).
pub const WARN_RING_FRAUD_LEAD_MS: i64 = 24 * HOUR_MS;

/// Payments are warned only into accounts at most this far from the victims: 1, the accounts victims pay
/// (a case's first level, a ring's collectors). Deeper accounts are where money is passed on, spent or
/// converted — OTC sellers, wholesalers, shops — and ordinary people pay them as customers. They stay on
/// the watch list (payments among watched accounts are layering), unwarned.
pub const WARN_MAX_LEVEL: u32 = 1;

/// A payer's first payment into watched accounts below this is not warned: 200 yuan. A call or a visit
/// is an officer's hour, and the everyday payments a rented card keeps receiving from people its owner
/// met after renting it out (a meal shared, a small debt) are mostly this small; a victim's payments are
/// seldom, and a victim who goes on paying is warned at the next payment, which counts this one.
pub const WARN_MIN_FIRST_PAYMENT_YUAN: i64 = 200;

/// Grade thresholds in yuan. Purple: a single payment of 500,000 or a payer's total of 1,000,000 (a life's
/// savings: the police go in person). Red: 50,000 in one payment, 100,000 in total, or the third payment
/// (a victim who keeps paying is being worked on now). Yellow: 5,000. Blue: the rest.
pub const GRADE_PURPLE_PAYMENT_YUAN: i64 = 500_000;
pub const GRADE_PURPLE_TOTAL_YUAN: i64 = 1_000_000;
pub const GRADE_RED_PAYMENT_YUAN: i64 = 50_000;
pub const GRADE_RED_TOTAL_YUAN: i64 = 100_000;
pub const GRADE_RED_PAYMENTS: usize = 3;
pub const GRADE_YELLOW_PAYMENT_YUAN: i64 = 5_000;

/// How long there is to reach the payer, by grade: purple within 30 minutes, red within the hour, yellow
/// within 6 hours, blue within a day (the 深圳 practice the seeds describe: 见面劝阻 within the hour).
pub fn grade_window_ms(grade: crate::model::Grade) -> i64 {
    use crate::model::Grade;
    match grade {
        Grade::Purple => 30 * MINUTE_MS,
        Grade::Red => HOUR_MS,
        Grade::Yellow => 6 * HOUR_MS,
        Grade::Blue => 24 * HOUR_MS,
    }
}

/// A warning not acknowledged escalates one level per hour, to at most this level.
pub const ESCALATION_STEP_MS: i64 = HOUR_MS;
pub const ESCALATION_MAX: u8 = 3;
