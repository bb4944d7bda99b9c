//! Fuzzes every decoder of on-disk bytes (`keys.rs`): whatever a damaged or hostile store holds is either
//! decoded or refused (the store then reports the key as corrupt), never a panic; and what decodes encodes
//! to bytes that decode to the same record, so a record read and written back is not changed.
#![no_main]
#![allow(dead_code)]

#[path = "../../src/keys.rs"]
mod keys;
#[path = "../../src/model.rs"]
mod model;

use libfuzzer_sys::fuzz_target;

/// `decode(encode(decode(b))) == decode(b)` for a decoder and its encoder.
macro_rules! stable {
    ($decoded:expr, $encode:expr, $decode:expr) => {
        if let Some(d) = $decoded {
            let again = $decode(&$encode(&d));
            assert_eq!(again.as_ref(), Some(&d), "re-encoded record decodes differently");
        }
    };
}

fuzz_target!(|data: &[u8]| {
    stable!(keys::decode_transfer(data), keys::encode_transfer, keys::decode_transfer);
    stable!(keys::decode_stop(data), keys::encode_stop, keys::decode_stop);
    stable!(keys::decode_case(data), keys::encode_case, keys::decode_case);
    stable!(keys::decode_warning(data), keys::encode_warning, keys::decode_warning);
    stable!(keys::decode_attrs(data), keys::encode_attrs, keys::decode_attrs);
    stable!(keys::EdgeKey::decode(data), keys::EdgeKey::encode, keys::EdgeKey::decode);
    stable!(keys::EdgeValue::decode(data), keys::EdgeValue::encode, keys::EdgeValue::decode);
    stable!(keys::TxnIndexValue::decode(data), keys::TxnIndexValue::encode, keys::TxnIndexValue::decode);
    stable!(keys::Watermark::decode(data), keys::Watermark::encode, keys::Watermark::decode);
    if let Some((kind, value, account)) = keys::decode_attr_index_key(data) {
        assert_eq!(
            keys::decode_attr_index_key(&keys::attr_index_key(kind, &value, account)),
            Some((kind, value, account))
        );
    }
    if let Some((fingerprint, outcome)) = keys::decode_request(data) {
        let again = keys::decode_request(&keys::encode_request(&fingerprint, &outcome));
        assert_eq!(again, Some((fingerprint, outcome)));
    }
    if let Some((seq, side)) = keys::decode_line_target(data) {
        assert_eq!(keys::decode_line_target(&keys::encode_line_target(seq, side)), Some((seq, side)));
    }
    // Keyed values: the first bytes as the key, the rest as the value.
    if let Some((file_no, rest)) = data.split_first_chunk::<4>() {
        let file_no = u32::from_be_bytes(*file_no);
        if let Some(f) = keys::decode_statement_file(file_no, rest) {
            assert_eq!(keys::decode_statement_file(file_no, &keys::encode_statement_file(&f)), Some(f));
        }
    }
    if data.len() >= keys::EdgeKey::LEN {
        let (key, value) = data.split_at(keys::EdgeKey::LEN);
        if let Some(e) = keys::decode_ledger_entry(key, value) {
            let key = keys::ledger_key(e.account, e.ts_ms, e.line_no);
            assert_eq!(keys::decode_ledger_entry(&key, &keys::encode_ledger_entry(&e)), Some(e));
        }
    }
});
