//! Writes a client may repeat: the HTTP API's `Idempotency-Key`. A registry write that carries a key
//! records, in the same batch as the write, the key, a digest of the request and what it made. A repeat of
//! the key finds that record and is answered from it instead of writing again, so a client whose answer was
//! lost (the server killed, the connection dropped) repeats the request safely: a renewal is not renewed
//! twice, a placed stop is not refused as "already stopped" to the one who placed it.

use rocksdb::WriteBatch;
use sha2::{Digest, Sha256};

use super::{corrupt, rocks, Result, StoreError, TransferStore};
use crate::keys::{self, cf, RequestOutcome};

/// Longest idempotency key accepted, in bytes.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;

/// A client's key for one write, and a digest of what it asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestKey {
    /// SHA-256 of (client, key): keys of different clients never meet.
    id: [u8; 32],
    /// SHA-256 of the request as the client made it (operation and body), to refuse a key reused for a
    /// different request.
    fingerprint: [u8; 32],
}

impl RequestKey {
    /// `client` is who asked (the token's name), `key` the client's idempotency key, `operation` names the
    /// write and its target (`"POST /v1/stops/7/renew"`), `request` is the body as the client gave it.
    pub fn new(client: &str, key: &str, operation: &str, request: &[u8]) -> RequestKey {
        let framed = |parts: &[&[u8]]| {
            let mut h = Sha256::new();
            for p in parts {
                h.update((p.len() as u64).to_be_bytes());
                h.update(p);
            }
            h.finalize().into()
        };
        RequestKey {
            id: framed(&[client.as_bytes(), key.as_bytes()]),
            fingerprint: framed(&[operation.as_bytes(), request]),
        }
    }
}

/// What a write returns: the record, and whether an earlier request with the same key made it.
#[derive(Clone, Debug, PartialEq)]
pub struct Written<T> {
    pub value: T,
    pub replayed: bool,
}

impl<T> Written<T> {
    pub(crate) fn new(value: T) -> Written<T> {
        Written { value, replayed: false }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Written<U> {
        Written { value: f(self.value), replayed: self.replayed }
    }
}

impl TransferStore {
    /// What an earlier request with this key made, if there was one. Call under the ingest lock, so that
    /// a concurrent repeat waits for the first to finish and then finds its record.
    pub(super) fn recall(&self, key: Option<&RequestKey>) -> Result<Option<RequestOutcome>> {
        let Some(key) = key else { return Ok(None) };
        let Some(raw) = self.db.get_cf(self.cf(cf::REQUESTS), key.id).map_err(rocks("reading requests"))? else {
            return Ok(None);
        };
        let (fingerprint, outcome) = keys::decode_request(&raw).ok_or_else(|| corrupt("request record", &key.id))?;
        if fingerprint != key.fingerprint {
            return Err(StoreError::KeyReused);
        }
        Ok(Some(outcome))
    }

    /// Adds the record of a keyed write to the write's own batch.
    pub(super) fn remember(&self, batch: &mut WriteBatch, key: Option<&RequestKey>, outcome: &RequestOutcome) {
        if let Some(key) = key {
            batch.put_cf(self.cf(cf::REQUESTS), key.id, keys::encode_request(&key.fingerprint, outcome));
        }
    }
}
