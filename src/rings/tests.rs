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
    let (rings, _, _) = detect_rings(&g, &DetectParams::default(), &[5], tz).unwrap();
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
