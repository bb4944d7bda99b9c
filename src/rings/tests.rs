//! A hand-built world: a three-card ring on one device, a merchant both victims also pay, a family of two
//! sharing a device, and a salary forwarder. Only the ring's cards are flagged, in one ring, with roles.

use super::*;
use crate::graph::MemGraph;
use crate::model::{AccountAttrs, AccountKind, Channel};

const DAY: i64 = 86_400_000;
const T0: i64 = 1_767_196_800_000; // 2026-01-01 00:00 +08:00
const OPENED_OLD: i32 = 19_000; // 2022
const OPENED_NEW: i32 = 20_450; // 2025-12-28

fn card(holder: &str, device: &str, phone: &str, opened: i32, kind: AccountKind) -> AccountAttrs {
    AccountAttrs {
        holder_id: holder.into(),
        holder_name: holder.into(),
        device_id: device.into(),
        phone: phone.into(),
        opened_at_days: Some(opened),
        kind,
        ..Default::default()
    }
}

#[test]
fn only_the_ring_is_flagged_with_roles() {
    let mut g = MemGraph::new();
    // Ring: collector 1, relay 2, cashout 3 — three holders on device D1.
    for (id, h) in [(1, "h1"), (2, "h2"), (3, "h3")] {
        g.set_attrs(id, card(h, "D1", &format!("1380000000{id}"), OPENED_NEW, AccountKind::Personal));
    }
    g.set_attrs(50, card("", "", "", OPENED_OLD, AccountKind::Atm));
    g.set_attrs(60, card("m", "", "", OPENED_OLD, AccountKind::Merchant));
    // Family sharing a device (two holders): ordinary people.
    g.set_attrs(20, card("f1", "D2", "139", OPENED_OLD, AccountKind::Personal));
    g.set_attrs(21, card("f2", "D2", "139", OPENED_OLD, AccountKind::Personal));
    // Victims 10, 11; forwarder 30 gets salary from employer 40 and forwards to family 31.
    for id in [10, 11, 30, 31] {
        g.set_attrs(
            id,
            card(&format!("p{id}"), &format!("DEV{id}"), &format!("PH{id}"), OPENED_OLD, AccountKind::Personal),
        );
    }
    g.set_attrs(40, card("corp", "", "", OPENED_OLD, AccountKind::Corporate));
    let mut seq = 0;
    let mut add = |ts: i64, s: u32, d: u32, fen: i64, ch: Channel| {
        seq += 1;
        g.add(seq, ts, s, d, fen, ch);
    };
    let t = T0 + 3 * DAY;
    add(t, 10, 1, 50_000_00, Channel::Transfer); // victims pay the collector
    add(t + 60_000, 11, 1, 30_000_00, Channel::Transfer);
    add(t + 600_000, 1, 2, 79_000_00, Channel::Transfer); // layering
    add(t + 900_000, 2, 3, 78_500_00, Channel::Transfer);
    for k in 0..4 {
        add(t + 1_200_000 + k * 60_000, 3, 50, 19_900_00, Channel::AtmWithdrawal);
        // cash-out
    }
    add(t + 2_000_000, 10, 60, 300_00, Channel::Pos); // the merchant
    add(t + 2_100_000, 11, 60, 200_00, Channel::Pos);
    add(t, 20, 21, 500_00, Channel::Transfer); // family
    add(t + DAY, 21, 20, 400_00, Channel::Transfer);
    add(t, 40, 30, 12_000_00, Channel::Salary); // forwarder
    add(t + 1_800_000, 30, 31, 10_000_00, Channel::Transfer);

    let (rings, feats, _) = detect_rings(&g, &DetectParams::default(), &[], crate::timefmt::DEFAULT_TZ).unwrap();
    assert_eq!(rings.len(), 1, "{rings:?}");
    let roles: Vec<(u32, Role)> = rings[0].members.iter().map(|m| (m.id, m.role)).collect();
    assert_eq!(roles, vec![(1, Role::Collector), (2, Role::Relay), (3, Role::Cashout)]);
    assert_eq!(rings[0].money_in_fen, 80_000_00, "victims' money into the ring");
    assert_eq!(rings[0].shared.len(), 1, "device D1 ties the ring");
    // 1→2 then 2→3: a time-respecting chain of two transfers through the ring.
    assert!(
        rings[0].patterns.iter().any(|p| p.starts_with("layering: a time-respecting chain of 2")),
        "{:?}",
        rings[0].patterns
    );
    // Card 1 passed on 79,000 of 80,000 within 10 minutes; card 3 sent all it sent to the ATM.
    assert_eq!(feats[1].pass_through_1h, 79_000.0 / 80_000.0);
    assert_eq!(feats[3].terminal_out_share, 1.0);
    assert_eq!((feats[1].senders, feats[1].holders_on_device), (2, 3));
}

#[test]
fn a_known_mule_anchors_its_ring_even_with_weak_signals() {
    // Card 5: an old card of one holder (no shared device), receives a victim's money and passes it
    // on to card 6 within minutes; card 6 passes it on fast too. Neither has attribute evidence, so
    // nothing is flagged, until card 5 is given as a known mule.
    let mut g = MemGraph::new();
    for id in [5, 6, 7, 10, 11] {
        g.set_attrs(
            id,
            card(&format!("p{id}"), &format!("DEV{id}"), &format!("PH{id}"), OPENED_OLD, AccountKind::Personal),
        );
    }
    let t = T0 + 3 * DAY;
    g.add(1, t, 10, 5, 30_000_00, Channel::Transfer);
    g.add(2, t + 60_000, 11, 5, 20_000_00, Channel::Transfer);
    g.add(3, t + 300_000, 5, 6, 50_000_00, Channel::Transfer);
    g.add(4, t + 320_000, 10, 6, 1_000_00, Channel::Transfer);
    g.add(5, t + 600_000, 6, 7, 51_000_00, Channel::Transfer);
    let tz = crate::timefmt::DEFAULT_TZ;
    let (none, _, _) = detect_rings(&g, &DetectParams::default(), &[], tz).unwrap();
    assert!(none.is_empty());
    let (rings, _, _) = detect_rings(&g, &DetectParams::default(), &[Known::given(5)], tz).unwrap();
    let members: Vec<u32> = rings[0].members.iter().map(|m| m.id).collect();
    assert_eq!(members.len(), 2);
    assert!(members.contains(&5) && members.contains(&6), "{members:?}");
}

#[test]
fn cycles_and_scatter_gather_among_ring_cards() {
    let mut g = MemGraph::new();
    for id in 1..=4 {
        g.set_attrs(id, card(&format!("h{id}"), "D9", &format!("P{id}"), OPENED_NEW, AccountKind::Personal));
    }
    g.set_attrs(10, card("v", "DV", "PV", OPENED_OLD, AccountKind::Personal));
    let t = T0 + 3 * DAY;
    // Victim → 1; 1 scatters to 2 and 3; both gather into 4; 4 sends back to 1 (a cycle within a day).
    g.add(1, t, 10, 1, 90_000_00, Channel::Transfer);
    g.add(2, t + 60_000, 1, 2, 45_000_00, Channel::Transfer);
    g.add(3, t + 120_000, 1, 3, 45_000_00, Channel::Transfer);
    g.add(4, t + 600_000, 2, 4, 45_000_00, Channel::Transfer);
    g.add(5, t + 660_000, 3, 4, 45_000_00, Channel::Transfer);
    g.add(6, t + 900_000, 4, 1, 89_000_00, Channel::Transfer);
    let (rings, _, _) = detect_rings(&g, &DetectParams::default(), &[], crate::timefmt::DEFAULT_TZ).unwrap();
    let p = &rings[0].patterns;
    assert!(p.iter().any(|x| x.starts_with("cycle")), "{p:?}");
    assert!(p.iter().any(|x| x.starts_with("scatter-gather: money split over 2 cards")), "{p:?}");
    assert!(p.iter().any(|x| x.starts_with("layering: a time-respecting chain of 3")), "{p:?}");
}

/// Features by hand: a rented card (its owner's salary and spending beside a victim's money) whose
/// pass-through only LIFO sees, one-off senders, the three-day burst.
#[test]
fn lifo_pass_through_and_one_off_senders_see_a_rented_card() {
    let mut g = MemGraph::new();
    for id in [1, 2, 3, 4, 5, 6] {
        g.set_attrs(id, card(&format!("p{id}"), "", "", OPENED_OLD, AccountKind::Personal));
    }
    let t = T0 + 10 * DAY;
    // Day 0: salary 8,000 from employer 2 (also day 20: not one-off, and salary anyway).
    g.add(1, t, 2, 1, 8_000_00, Channel::Salary);
    g.add(2, t + 20 * DAY, 2, 1, 8_000_00, Channel::Salary);
    // Day 5: victims 3 and 4 pay 30,000 and 20,000; 50,000 leaves 3 hours later to card 5.
    g.add(3, t + 5 * DAY, 3, 1, 30_000_00, Channel::Transfer);
    g.add(4, t + 5 * DAY + 60_000, 4, 1, 20_000_00, Channel::Transfer);
    g.add(5, t + 5 * DAY + 3 * 3_600_000, 1, 5, 50_000_00, Channel::Transfer);
    // Day 6: a 1,000 purchase; friend 6 sends 500 on days 7 and 9 (a repeat sender).
    g.add(6, t + 6 * DAY, 1, 5, 1_000_00, Channel::Transfer);
    g.add(7, t + 7 * DAY, 6, 1, 500_00, Channel::Transfer);
    g.add(8, t + 9 * DAY, 6, 1, 500_00, Channel::Transfer);
    let table = features::AttrTable::load(&g).unwrap();
    let f = features::account_features(&g, &table, 1, crate::timefmt::DEFAULT_TZ).unwrap();
    let in_fen = 8_000_00 * 2 + 50_000_00 + 1_000_00;
    assert_eq!(f.in_fen, in_fen);
    // FIFO sends the salary out first: of the 50,000 out, 8,000 is 5-day-old salary, 42,000 victim money
    // within the day, and the 1,000 purchase takes victim money 23h59m old; LIFO takes the victims'
    // 50,000 (3 hours old), and the purchase the salary.
    assert_eq!(f.pass_through_24h, 4_300_000.0 / in_fen as f64);
    assert_eq!(f.lifo_pass_24h, 5_000_000.0 / in_fen as f64);
    assert_eq!(f.lifo_pass_1h, 0.0);
    // One-off senders: the victims (one day each); not the employer (salary), not the friend (two days).
    assert_eq!((f.one_off_senders, f.one_off_in_fen), (2, 50_000_00));
    assert_eq!(f.one_off_pass_24h, 1.0);
    // Transfers on days 0,5,5,5,6,7,9,20: the busiest three days (5-7) hold 5 of 8.
    assert_eq!(f.burst_share, 5.0 / 8.0);
    let sus = detect::suspects(&[f], &table, &DetectParams::default(), &[]);
    assert!(sus[0].strong_money, "{:?}", sus[0].reasons);
    assert!(
        sus[0].reasons.iter().any(|r| r.contains("of 2 one-off senders left within the day")),
        "{:?}",
        sus[0].reasons
    );
}

#[test]
fn phone_runs_branch_cohorts_and_logins_count_holders() {
    let mut g = MemGraph::new();
    let with = |holder: &str, phone: &str, branch: &str, opened: i32| AccountAttrs {
        holder_id: holder.into(),
        phone: phone.into(),
        branch: branch.into(),
        opened_at_days: Some(opened),
        kind: AccountKind::Personal,
        ..Default::default()
    };
    // A run: 13800000001, …03, …06 (gaps of 2 and 3) of three holders; …10 is four past …06, outside.
    g.set_attrs(1, with("a", "13800000001", "B1", OPENED_NEW));
    g.set_attrs(2, with("b", "13800000003", "B1", OPENED_NEW + 3));
    g.set_attrs(3, with("c", "13800000006", "B1", OPENED_NEW + 7));
    g.set_attrs(4, with("d", "13800000010", "B1", OPENED_NEW + 30));
    // One number of two holders is sharing, not a run.
    g.set_attrs(5, with("e", "13900000000", "B2", OPENED_OLD));
    g.set_attrs(6, with("f", "13900000000", "B2", OPENED_OLD));
    // Logins from statements: one IP behind three holders' cards.
    for id in [1, 5, 6] {
        g.add_seen(id, crate::model::AttrKind::Ip, "10.0.0.7");
    }
    let table = features::AttrTable::load(&g).unwrap();
    let f = |id| features::account_features(&g, &table, id, crate::timefmt::DEFAULT_TZ).unwrap();
    assert_eq!(f(1).holders_in_phone_run, 3);
    assert_eq!(f(3).holders_in_phone_run, 3);
    assert_eq!(f(4).holders_in_phone_run, 1);
    assert_eq!(f(5).holders_in_phone_run, 1);
    assert_eq!(f(5).holders_on_phone, 2);
    assert_eq!(table.phone_run("13800000003"), Some(13_800_000_001));
    // Cohorts (within 7 days either side): card 1 sees 1,2,3 (days 0,3,7); card 3 sees 1,2,3; card 4 alone.
    assert_eq!(f(1).holders_in_branch_cohort, 3);
    assert_eq!(f(2).holders_in_branch_cohort, 3);
    assert_eq!(f(4).holders_in_branch_cohort, 1);
    assert_eq!(f(1).holders_on_login, 3);
    assert_eq!(f(2).holders_on_login, 1);
    // The one-account table gives the same answers as the whole-graph one.
    let around = features::AttrTable::around(&g, 1).unwrap();
    let one = features::account_features(&g, &around, 1, crate::timefmt::DEFAULT_TZ).unwrap();
    assert_eq!((one.holders_in_phone_run, one.holders_in_branch_cohort, one.holders_on_login), (3, 3, 3));
}

/// Money alone: three cards of three holders (nothing shared) pass victims' money down a chain within
/// minutes. A wholesaler passing its customers' money to a supplier within the hour is one card: no ring.
#[test]
fn a_ring_on_money_alone_and_no_lone_wholesaler() {
    let mut g = MemGraph::new();
    for id in 1..=30 {
        g.set_attrs(
            id,
            card(&format!("p{id}"), &format!("D{id}"), &format!("P{id}"), OPENED_OLD, AccountKind::Personal),
        );
    }
    let mut seq = 0;
    let mut add = |ts: i64, s: u32, d: u32, fen: i64| {
        seq += 1;
        g.add(seq, ts, s, d, fen, Channel::Transfer);
    };
    let t = T0 + 3 * DAY;
    // Victims 10, 11, 12 → 1 → 2 → 3 → 4 (an outside account).
    add(t, 10, 1, 20_000_00);
    add(t + 60_000, 11, 1, 15_000_00);
    add(t + 120_000, 12, 1, 10_000_00);
    add(t + 600_000, 1, 2, 45_000_00);
    add(t + 900_000, 2, 3, 45_000_00);
    add(t + 1_200_000, 3, 4, 45_000_00);
    // Wholesaler 20: customers 21..25 pay on several days; it pays supplier 26 within the hour.
    for day in 0..3 {
        for c in 21..=25 {
            add(t + day * DAY + i64::from(c) * 60_000, c, 20, 10_000_00);
        }
        add(t + day * DAY + 3_000_000, 20, 26, 50_000_00);
    }
    let (rings, feats, table) = detect_rings(&g, &DetectParams::default(), &[], crate::timefmt::DEFAULT_TZ).unwrap();
    let sus = detect::suspects(&feats, &table, &DetectParams::default(), &[]);
    assert_eq!(rings.len(), 1, "{rings:?} {sus:?}");
    let members: Vec<u32> = rings[0].members.iter().map(|m| m.id).collect();
    assert_eq!(members, vec![1, 2, 3], "collector, relays; the outside payee and the wholesaler stay out");
}

/// A family of three on one phone and one device, one with a new card: tied, but nobody moves money for
/// others, so no ring. Give the same three cards a victim's money passed on, and they are one.
#[test]
fn shared_attributes_without_money_make_no_ring() {
    let build = |with_money: bool| {
        let mut g = MemGraph::new();
        g.set_attrs(1, card("f1", "FD", "FP", OPENED_NEW, AccountKind::Personal));
        g.set_attrs(2, card("f2", "FD", "FP", OPENED_OLD, AccountKind::Personal));
        g.set_attrs(3, card("f3", "FD", "FP", OPENED_OLD, AccountKind::Personal));
        g.set_attrs(9, card("v", "VD", "VP", OPENED_OLD, AccountKind::Personal));
        g.set_attrs(8, card("w", "WD", "WP", OPENED_OLD, AccountKind::Personal));
        let t = T0 + 3 * DAY;
        g.add(1, t, 2, 1, 2_000_00, Channel::Transfer); // pocket money
        g.add(2, t + DAY, 3, 2, 1_500_00, Channel::Transfer);
        if with_money {
            g.add(3, t + 2 * DAY, 9, 1, 30_000_00, Channel::Transfer);
            g.add(4, t + 2 * DAY + 60_000, 8, 1, 30_000_00, Channel::Transfer);
            g.add(5, t + 2 * DAY + 600_000, 1, 3, 61_000_00, Channel::Transfer);
            g.add(6, t + 2 * DAY + 900_000, 3, 7, 61_000_00, Channel::Transfer);
        }
        detect_rings(&g, &DetectParams::default(), &[], crate::timefmt::DEFAULT_TZ).unwrap().0
    };
    assert!(build(false).is_empty(), "{:?}", build(false));
    let rings = build(true);
    assert_eq!(rings.len(), 1);
    let members: Vec<u32> = rings[0].members.iter().map(|m| m.id).collect();
    assert_eq!(members, vec![1, 3], "the two cards moving the victims' money; the third family member stays out");
}

#[test]
fn case_accounts_by_hand() {
    use crate::policy::{is_case_account, CaseMoney};
    let m = |received_fen, passed_on_fen, all_in_fen| CaseMoney { received_fen, passed_on_fen, all_in_fen };
    // A collector (hop 1): whatever else it does.
    assert!(is_case_account(&m(60_000, 0, 10_000_000), 1, 1));
    // Hop 2, passed on, a real part of its flow (20%).
    assert!(is_case_account(&m(200_000, 150_000, 1_000_000), 1, 2));
    // Hop 2, passed on, a sliver of a wholesaler's flow (0.1%), one case: no.
    assert!(!is_case_account(&m(100_000, 100_000, 100_000_000), 1, 2));
    // …unless two cases passed through it.
    assert!(is_case_account(&m(100_000, 100_000, 100_000_000), 2, 2));
    // Kept it (a rented card's owner's family paid out of the commingled balance): no, even from two cases.
    assert!(!is_case_account(&m(400_000, 50_000, 1_400_000), 2, 2));
    // No case gave it 500 yuan: no.
    assert!(!is_case_account(&m(0, 0, 0), 0, 1));
}
