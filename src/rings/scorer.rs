//! Learning from confirmed mule cards: a gradient-boosted tree scorer over the account features.
//!
//! A 断卡 team's past operations leave a list of cards confirmed as mule cards. The scorer learns from that
//! list what mule cards look like in this data: the confirmed cards are the positives, every other account
//! with transfers a negative. Some negatives are mule cards nobody has confirmed yet, so precision measured
//! against the list is a lower bound. It reports cross-validated precision and recall (out-of-fold scores
//! against the list), and scores every account. The rules stay the explanation: an account the scorer flags
//! enters ring detection as a suspect, and its evidence shows its rule signals and the features that
//! raised its score.

use std::collections::HashSet;

use forust_ml::gradientbooster::ContributionsMethod;
use forust_ml::{GradientBooster, Matrix};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::Serialize;

use super::features::AccountFeatures;
use crate::model::AccountId;
use crate::policy;

/// One input of the scorer: its name (in reports), what it measures (in evidence), and how it is read.
pub struct Feature {
    pub name: &'static str,
    pub words: &'static str,
    pub value: fn(&AccountFeatures) -> f64,
}

fn share(part: i64, whole: i64) -> f64 {
    if whole > 0 {
        part as f64 / whole as f64
    } else {
        0.0
    }
}

fn log_yuan(fen: i64) -> f64 {
    (fen.max(0) as f64 / 100.0 + 1.0).log10()
}

/// The features the scorer reads, in matrix column order. Absolute times and ids are left out: they would
/// let a model learn when or where this data's confirmed cards were, not what they did.
pub const FEATURES: &[Feature] = &[
    Feature { name: "in_count", words: "transfers in", value: |f| f64::from(f.in_count) },
    Feature { name: "out_count", words: "transfers out", value: |f| f64::from(f.out_count) },
    Feature { name: "in_yuan_log10", words: "money in", value: |f| log_yuan(f.in_fen) },
    Feature { name: "out_yuan_log10", words: "money out", value: |f| log_yuan(f.out_fen) },
    Feature { name: "senders", words: "senders", value: |f| f64::from(f.senders) },
    Feature { name: "receivers", words: "receivers", value: |f| f64::from(f.receivers) },
    Feature { name: "pass_through_1h", words: "money passed on within the hour", value: |f| f.pass_through_1h },
    Feature { name: "pass_through_24h", words: "money passed on within the day", value: |f| f.pass_through_24h },
    Feature { name: "lifo_pass_1h", words: "latest money passed on within the hour", value: |f| f.lifo_pass_1h },
    Feature { name: "lifo_pass_24h", words: "latest money passed on within the day", value: |f| f.lifo_pass_24h },
    Feature {
        name: "one_off_in_share",
        words: "money from one-off senders",
        value: |f| share(f.one_off_in_fen, f.in_fen),
    },
    Feature { name: "one_off_senders", words: "one-off senders", value: |f| f64::from(f.one_off_senders) },
    Feature {
        name: "one_off_pass_24h",
        words: "one-off senders' money passed on within the day",
        value: |f| f.one_off_pass_24h,
    },
    Feature { name: "burst_share", words: "activity in a three-day burst", value: |f| f.burst_share },
    Feature {
        name: "median_dwell_min",
        words: "short stay of money",
        value: |f| f.median_dwell_min.unwrap_or(f64::NAN),
    },
    Feature { name: "balance_left_share", words: "little money kept", value: |f| f.balance_left_share },
    Feature {
        name: "age_at_first_activity_days",
        words: "a new card",
        value: |f| f.age_at_first_activity_days.map_or(f64::NAN, |d| d as f64),
    },
    Feature {
        name: "dormancy_before_burst_days",
        words: "dormant before its busiest day",
        value: |f| f.dormancy_before_burst_days as f64,
    },
    Feature { name: "night_share", words: "night-time transfers", value: |f| f.night_share },
    Feature {
        name: "round_or_under_limit_share",
        words: "round or just-under-limit amounts",
        value: |f| f.round_or_under_limit_share,
    },
    Feature { name: "salary_in_share", words: "salary in", value: |f| f.salary_in_share },
    Feature { name: "salary_out_share", words: "salary paid out", value: |f| f.salary_out_share },
    Feature {
        name: "terminal_out_share",
        words: "money to ATMs, OTC sellers, platforms",
        value: |f| f.terminal_out_share,
    },
    Feature { name: "holders_on_device", words: "holders on its device", value: |f| f64::from(f.holders_on_device) },
    Feature { name: "holders_on_phone", words: "holders on its phone", value: |f| f64::from(f.holders_on_phone) },
    Feature { name: "cards_of_holder", words: "cards of its holder", value: |f| f64::from(f.cards_of_holder) },
    Feature {
        name: "holders_in_phone_run",
        words: "holders in its phone-number run",
        value: |f| f64::from(f.holders_in_phone_run),
    },
    Feature {
        name: "holders_in_branch_cohort",
        words: "holders opening cards at its branch that week",
        value: |f| f64::from(f.holders_in_branch_cohort),
    },
    Feature {
        name: "holders_on_login",
        words: "holders on its login IP or MAC",
        value: |f| f64::from(f.holders_on_login),
    },
    Feature {
        name: "kind_personal",
        words: "a personal account",
        value: |f| f64::from(u8::from(f.kind == "personal")),
    },
];

#[derive(Debug, thiserror::Error)]
pub enum ScorerError {
    #[error(
        "{found} confirmed card(s) found in the store; the scorer needs at least {need} to learn from \
         (and cross-validate on) — without the list, the rules work alone"
    )]
    TooFew { found: usize, need: usize },
    #[error("the scorer failed to train: {0}")]
    Train(String),
}

pub use crate::model::ListedCard;

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct FeatureWeight {
    pub feature: &'static str,
    /// Share of the model's total split gain.
    pub weight: f64,
}

/// What the scorer learnt and how well it does, cross-validated on the confirmed list.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ScorerReport {
    /// Confirmed cards found in the store (the positives).
    pub confirmed: usize,
    /// Listed cards the store does not hold (reported, not used).
    pub confirmed_not_in_store: Vec<String>,
    /// Accounts the model was trained on: the confirmed cards and a sample of the others.
    pub trained_on: usize,
    pub folds: usize,
    /// Score at or above which an account is flagged: the one with the best cross-validated F1.
    pub threshold: f64,
    /// Out-of-fold precision against the confirmed list: a lower bound, since unconfirmed mule cards count
    /// as errors here.
    pub cv_precision: f64,
    /// Out-of-fold share of the confirmed cards the scorer finds again.
    pub cv_recall: f64,
    /// Accounts scoring at or above the threshold, not confirmed and not hubs: new suspects.
    pub flagged: usize,
    /// The features that weigh most in the model, heaviest first (at most ten).
    pub importance: Vec<FeatureWeight>,
}

/// The scorer's verdict on every account.
pub struct Scores {
    /// Score per account id (0–1; with the classes balanced in training, a ranking rather than a
    /// probability); 0 for accounts without transfers.
    pub score: Vec<f64>,
    /// Flagged accounts (not confirmed, not hubs) with the features that raised their score, in words.
    pub flagged: Vec<(AccountId, f64, Vec<String>)>,
    pub report: ScorerReport,
}

fn booster(seed: u64) -> GradientBooster {
    GradientBooster::default()
        .set_iterations(policy::RING_SCORER_TREES)
        .set_learning_rate(policy::RING_SCORER_LEARNING_RATE)
        .set_max_depth(policy::RING_SCORER_DEPTH)
        .set_min_leaf_weight(1.0)
        .set_seed(seed)
        .set_missing(f64::NAN)
        .set_parallel(true)
}

/// The column-major matrix of the given accounts' features.
fn matrix_data(feats: &[AccountFeatures], rows: &[usize]) -> Vec<f64> {
    let mut data = Vec::with_capacity(rows.len() * FEATURES.len());
    for feature in FEATURES {
        data.extend(rows.iter().map(|&r| (feature.value)(&feats[r])));
    }
    data
}

fn fit(
    feats: &[AccountFeatures],
    rows: &[usize],
    y: &[f64],
    w: &[f64],
    seed: u64,
) -> Result<GradientBooster, ScorerError> {
    let data = matrix_data(feats, rows);
    let m = Matrix::new(&data, rows.len(), FEATURES.len());
    let mut b = booster(seed);
    b.fit(&m, y, w, None).map_err(|e| ScorerError::Train(e.to_string()))?;
    Ok(b)
}

/// The threshold that maximises F1 of the out-of-fold scores against the confirmed list (never below
/// `policy::RING_SCORER_MIN_THRESHOLD`), with the precision and recall it gives. Sampled negatives count
/// with their weight.
fn choose_threshold(pos: &[f64], neg: &[f64], neg_weight: f64) -> (f64, f64, f64) {
    let mut candidates: Vec<f64> = pos.iter().copied().filter(|&s| s >= policy::RING_SCORER_MIN_THRESHOLD).collect();
    candidates.sort_by(f64::total_cmp);
    candidates.dedup();
    let at = |t: f64| {
        let tp = pos.iter().filter(|&&s| s >= t).count() as f64;
        let fp = neg.iter().filter(|&&s| s >= t).count() as f64 * neg_weight;
        let precision = if tp + fp > 0.0 { tp / (tp + fp) } else { 1.0 };
        let recall = tp / pos.len().max(1) as f64;
        (precision, recall)
    };
    let f1 = |(p, r): (f64, f64)| if p + r > 0.0 { 2.0 * p * r / (p + r) } else { 0.0 };
    let mut best = (1.0, at(1.0));
    for t in candidates {
        let pr = at(t);
        if f1(pr) > f1(best.1) {
            best = (t, pr);
        }
    }
    (best.0, best.1 .0, best.1 .1)
}

/// Rows, labels and weights of a training set: each positive weighs `pos_weight`, each sampled negative
/// `neg_weight`.
fn training_set(
    pos: impl Iterator<Item = usize>,
    neg: impl Iterator<Item = usize>,
    pos_weight: f64,
    neg_weight: f64,
) -> (Vec<usize>, Vec<f64>, Vec<f64>) {
    let (mut rows, mut y, mut w) = (Vec::new(), Vec::new(), Vec::new());
    for r in pos {
        rows.push(r);
        y.push(1.0);
        w.push(pos_weight);
    }
    for r in neg {
        rows.push(r);
        y.push(0.0);
        w.push(neg_weight);
    }
    (rows, y, w)
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn predict(b: &GradientBooster, feats: &[AccountFeatures], rows: &[usize]) -> Vec<f64> {
    let mut out = Vec::with_capacity(rows.len());
    // In chunks: the whole graph's matrix at once would cost as much memory as the features themselves.
    for chunk in rows.chunks(policy::RING_SCORER_CHUNK) {
        let data = matrix_data(feats, chunk);
        let m = Matrix::new(&data, chunk.len(), FEATURES.len());
        out.extend(b.predict(&m, true).into_iter().map(sigmoid));
    }
    out
}

/// Trains on the confirmed cards, cross-validates, and scores every account. `is_hub` names accounts that
/// are never flagged (terminals, platforms, 100+ counterparties).
pub fn train_and_score(
    feats: &[AccountFeatures],
    confirmed: &[AccountId],
    confirmed_not_in_store: Vec<String>,
    is_hub: &dyn Fn(&AccountFeatures) -> bool,
) -> Result<Scores, ScorerError> {
    let positives: HashSet<AccountId> = confirmed.iter().copied().collect();
    let found = positives.iter().filter(|&&id| (id as usize) < feats.len()).count();
    if found < policy::RING_SCORER_MIN_CONFIRMED {
        return Err(ScorerError::TooFew { found, need: policy::RING_SCORER_MIN_CONFIRMED });
    }
    let active: Vec<usize> = (0..feats.len()).filter(|&i| feats[i].in_count + feats[i].out_count > 0).collect();
    let mut pos: Vec<usize> = active.iter().copied().filter(|&i| positives.contains(&(i as AccountId))).collect();
    let mut neg: Vec<usize> = active.iter().copied().filter(|&i| !positives.contains(&(i as AccountId))).collect();
    // A fixed seed: the same list on the same data trains the same model.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(policy::RING_SCORER_SEED);
    neg.shuffle(&mut rng);
    pos.shuffle(&mut rng);
    // Negatives beyond the cap are sampled, each sampled one standing for its share of the rest (a weight),
    // so scores stay probabilities over the whole population.
    let all_neg = neg.len();
    neg.truncate(policy::RING_SCORER_MAX_NEGATIVES);
    let neg_weight = all_neg as f64 / neg.len().max(1) as f64;
    // Classes balanced: the confirmed cards together weigh as much as everything else. Without it a few
    // dozen positives among a million accounts cannot make a leaf of their own.
    let pos_weight = (all_neg as f64 / pos.len() as f64).max(1.0);
    let folds = policy::RING_SCORER_FOLDS;
    let fold_of = |k: usize| k % folds;
    // Out-of-fold scores: each row scored by a model that never saw it.
    let mut oof_pos: Vec<f64> = Vec::with_capacity(pos.len());
    let mut oof_neg: Vec<f64> = Vec::with_capacity(neg.len());
    let mut oof: Vec<(usize, f64)> = Vec::with_capacity(pos.len() + neg.len());
    for fold in 0..folds {
        let train_pos = pos.iter().enumerate().filter(|(k, _)| fold_of(*k) != fold).map(|(_, &r)| r);
        let train_neg = neg.iter().enumerate().filter(|(k, _)| fold_of(*k) != fold).map(|(_, &r)| r);
        let (rows, y, w) = training_set(train_pos, train_neg, pos_weight, neg_weight);
        let b = fit(feats, &rows, &y, &w, policy::RING_SCORER_SEED + fold as u64)?;
        let test_pos: Vec<usize> =
            pos.iter().enumerate().filter(|(k, _)| fold_of(*k) == fold).map(|(_, &r)| r).collect();
        let test_neg: Vec<usize> =
            neg.iter().enumerate().filter(|(k, _)| fold_of(*k) == fold).map(|(_, &r)| r).collect();
        for (&r, s) in test_pos.iter().zip(predict(&b, feats, &test_pos)) {
            oof_pos.push(s);
            oof.push((r, s));
        }
        for (&r, s) in test_neg.iter().zip(predict(&b, feats, &test_neg)) {
            oof_neg.push(s);
            oof.push((r, s));
        }
    }
    let (threshold, cv_precision, cv_recall) = choose_threshold(&oof_pos, &oof_neg, neg_weight);
    // The model that scores: trained on every row.
    let (rows, y, w) = training_set(pos.iter().copied(), neg.iter().copied(), pos_weight, neg_weight);
    let b = fit(feats, &rows, &y, &w, policy::RING_SCORER_SEED)?;
    // Every account the model trained on is scored by its fold's model instead (cross-fitting): the full
    // model has learnt those very accounts' labels, and an unconfirmed mule card among the negatives
    // would be scored as what it was told, not as what it looks like.
    let trained: HashSet<usize> = oof.iter().map(|(r, _)| *r).collect();
    let rest: Vec<usize> = active.iter().copied().filter(|r| !trained.contains(r)).collect();
    let mut score = vec![0.0; feats.len()];
    for (&r, s) in rest.iter().zip(predict(&b, feats, &rest)) {
        score[r] = s;
    }
    for (r, s) in oof {
        score[r] = s;
    }
    let flagged_rows: Vec<usize> = active
        .iter()
        .copied()
        .filter(|&r| score[r] >= threshold && !positives.contains(&(r as AccountId)) && !is_hub(&feats[r]))
        .collect();
    let flagged = explain(&b, feats, &flagged_rows, &score);
    let gains = b.calculate_feature_importance(forust_ml::gradientbooster::ImportanceMethod::TotalGain, true);
    let mut importance: Vec<FeatureWeight> = gains
        .into_iter()
        .filter_map(|(i, g)| FEATURES.get(i).map(|f| FeatureWeight { feature: f.name, weight: f64::from(g) }))
        .collect();
    importance.sort_by(|a, b| b.weight.total_cmp(&a.weight).then(a.feature.cmp(b.feature)));
    importance.truncate(10);
    let report = ScorerReport {
        confirmed: pos.len(),
        confirmed_not_in_store,
        trained_on: rows.len(),
        folds,
        threshold,
        cv_precision,
        cv_recall,
        flagged: flagged.len(),
        importance,
    };
    Ok(Scores { score, flagged, report })
}

/// The features that raised each flagged account's score most, in words.
fn explain(
    b: &GradientBooster,
    feats: &[AccountFeatures],
    rows: &[usize],
    score: &[f64],
) -> Vec<(AccountId, f64, Vec<String>)> {
    let mut out = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(policy::RING_SCORER_CHUNK) {
        let data = matrix_data(feats, chunk);
        let m = Matrix::new(&data, chunk.len(), FEATURES.len());
        // One row per account: a contribution per feature, then the bias.
        let contributions = b.predict_contributions(&m, ContributionsMethod::Average, true);
        let width = FEATURES.len() + 1;
        for (k, &r) in chunk.iter().enumerate() {
            let row = &contributions[k * width..k * width + FEATURES.len()];
            let mut top: Vec<(f64, usize)> =
                row.iter().enumerate().filter(|(_, c)| **c > 0.0).map(|(j, c)| (*c, j)).collect();
            top.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            let words: Vec<String> = top.iter().take(3).map(|(_, j)| FEATURES[*j].words.to_string()).collect();
            out.push((r as AccountId, score[r], words));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    /// A population where mule cards pass one-off senders' money on within the day and ordinary accounts
    /// do not, with noise. Half the mules are confirmed; the scorer must find most of the other half (scored by
    /// models that never saw them as negatives: cross-fitting) and flag few ordinary accounts.
    #[test]
    fn the_scorer_finds_unconfirmed_cards_like_the_confirmed() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let mut feats = Vec::new();
        let mut mules = Vec::new();
        for id in 0..3000u32 {
            let mule = id % 25 == 0;
            let mut f =
                AccountFeatures { id, kind: "personal".into(), in_count: 10, out_count: 10, ..Default::default() };
            f.in_fen = rng.random_range(1_000_000..10_000_000);
            f.salary_in_share = if mule { 0.0 } else { rng.random_range(0.0..0.9) };
            f.one_off_pass_24h = if mule { rng.random_range(0.8..1.0) } else { rng.random_range(0.0..0.7) };
            f.lifo_pass_24h = if mule { rng.random_range(0.85..1.0) } else { rng.random_range(0.0..0.9) };
            f.one_off_senders = if mule { rng.random_range(3..12) } else { rng.random_range(0..4) };
            f.night_share = rng.random_range(0.0..0.3);
            if mule {
                mules.push(id);
            }
            feats.push(f);
        }
        let confirmed: Vec<AccountId> = mules.iter().copied().step_by(2).collect();
        let unconfirmed: Vec<AccountId> = mules.iter().copied().skip(1).step_by(2).collect();
        let s = train_and_score(&feats, &confirmed, vec!["X".into()], &|_| false).unwrap();
        assert!(s.report.cv_recall >= 0.8, "{:?}", s.report);
        assert_eq!(s.report.confirmed, confirmed.len());
        let flagged: HashSet<AccountId> = s.flagged.iter().map(|(id, _, _)| *id).collect();
        let found = unconfirmed.iter().filter(|id| flagged.contains(id)).count();
        assert!(found as f64 >= 0.8 * unconfirmed.len() as f64, "{found} of {}", unconfirmed.len());
        let wrong = flagged.iter().filter(|id| !mules.contains(id)).count();
        assert!(wrong <= 3, "{wrong} ordinary accounts flagged");
        assert!(confirmed.iter().all(|id| !flagged.contains(id)), "confirmed cards are not new flags");
        // The explanation names what separates them.
        let (_, _, words) = &s.flagged[0];
        assert!(words.iter().any(|w| w.contains("one-off") || w.contains("within the day")), "{words:?}");
        // Hubs are never flagged.
        let none = train_and_score(&feats, &confirmed, Vec::new(), &|_| true).unwrap();
        assert!(none.flagged.is_empty());
    }

    #[test]
    fn too_few_confirmed_cards_is_an_error_not_a_guess() {
        let feats: Vec<AccountFeatures> =
            (0..100).map(|id| AccountFeatures { id, in_count: 1, ..Default::default() }).collect();
        let err = train_and_score(&feats, &[1, 2, 3], Vec::new(), &|_| false).err().unwrap();
        assert!(matches!(err, ScorerError::TooFew { found: 3, need: 10 }), "{err}");
    }
}
