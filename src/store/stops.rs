//! The stop-payment registry: stops placed (48 hours, at most two renewals), renewed and released.

use rocksdb::{ReadOptions, WriteBatch};

use super::{corrupt, rocks, RequestKey, Result, StoreError, StoreView, TransferStore, Written};
use crate::keys::{self, cf, MetaKey, RequestOutcome};
use crate::model::{AccountId, CaseRecord, StopRecord, WarningRecord};
use crate::policy::{STOP_DURATION_MS, STOP_MAX_RENEWALS};

/// What a new stop records.
#[derive(Clone, Debug, Default)]
pub struct NewStop {
    pub account: String,
    pub amount_fen: i64,
    pub placed_at_ms: i64,
    pub case_id: String,
    pub placed_by: String,
    pub basis_txn: String,
    pub note: String,
}

impl TransferStore {
    /// Records a stop placed on an account. Refused if one is already in force there (renew it). With a
    /// request key seen before, answers the stop that request placed, as it stands now.
    pub fn place_stop(&self, new: &NewStop, request: Option<&RequestKey>) -> Result<Written<StopRecord>> {
        let _guard = self.ingest_lock.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(done) = self.recall(request)? {
            return self.replay_stop(done);
        }
        let view = self.view()?;
        let account = view.account_id(&new.account)?.ok_or_else(|| StoreError::UnknownAccount(new.account.clone()))?;
        if new.amount_fen <= 0 {
            return Err(StoreError::StopRule("a stop needs a positive amount".into()));
        }
        if let Some(active) = view.stops_of(account)?.into_iter().find(|s| s.active_at(new.placed_at_ms)) {
            return Err(StoreError::StopRule(format!(
                "account {} is already stopped (stop #{} until {} ms); renew it instead",
                new.account, active.id, active.expires_at_ms
            )));
        }
        let next =
            self.db.get_cf(self.cf(cf::META), MetaKey::NEXT_STOP_ID).map_err(rocks("reading the stop counter"))?;
        let id = next.as_deref().map_or(Ok(1), |b| {
            b.try_into().map(u64::from_be_bytes).map_err(|_| corrupt("stop counter", MetaKey::NEXT_STOP_ID))
        })?;
        let rec = StopRecord {
            id,
            account,
            amount_fen: new.amount_fen,
            placed_at_ms: new.placed_at_ms,
            expires_at_ms: new.placed_at_ms + STOP_DURATION_MS,
            renewals: 0,
            released_at_ms: None,
            case_id: new.case_id.clone(),
            placed_by: new.placed_by.clone(),
            basis_txn: new.basis_txn.clone(),
            note: new.note.clone(),
        };
        let mut batch = WriteBatch::default();
        batch.put_cf(self.cf(cf::STOPS), keys::stop_key(account, id), keys::encode_stop(&rec));
        batch.put_cf(self.cf(cf::META), MetaKey::NEXT_STOP_ID, (id + 1).to_be_bytes());
        self.remember(&mut batch, request, &RequestOutcome::Stop(id));
        self.write_synced(batch)?;
        Ok(Written::new(rec))
    }

    /// The answer to a repeated stop request: the stop as it stands now.
    fn replay_stop(&self, done: RequestOutcome) -> Result<Written<StopRecord>> {
        let RequestOutcome::Stop(id) = done else { return Err(StoreError::KeyReused) };
        let rec = self.view()?.all_stops()?.into_iter().find(|s| s.id == id).ok_or(StoreError::NoSuchStop(id))?;
        Ok(Written { value: rec, replayed: true })
    }

    /// Registers a case. Refused if the id is taken. With a request key seen before, answers the case that
    /// request registered.
    pub fn put_case(&self, case: &CaseRecord, request: Option<&RequestKey>) -> Result<Written<CaseRecord>> {
        let _guard = self.ingest_lock.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(done) = self.recall(request)? {
            let RequestOutcome::Case(id) = done else { return Err(StoreError::KeyReused) };
            let rec = self.view()?.case(&id)?.ok_or_else(|| corrupt("request record's case", id.as_bytes()))?;
            return Ok(Written { value: rec, replayed: true });
        }
        if case.case_id.is_empty() {
            return Err(StoreError::StopRule("a case needs an id".into()));
        }
        if self.db.get_cf(self.cf(cf::CASES), case.case_id.as_bytes()).map_err(rocks("reading cases"))?.is_some() {
            return Err(StoreError::StopRule(format!("case {} exists already", case.case_id)));
        }
        let mut batch = WriteBatch::default();
        batch.put_cf(self.cf(cf::CASES), case.case_id.as_bytes(), keys::encode_case(case));
        self.remember(&mut batch, request, &RequestOutcome::Case(case.case_id.clone()));
        self.write_synced(batch)?;
        Ok(Written::new(case.clone()))
    }

    /// Stores new warnings; those already stored (same transfer) are left as they are. Returns the new
    /// ones (a transfer's first warning only, if one is given twice).
    pub fn add_warnings(&self, warnings: &[WarningRecord]) -> Result<Vec<WarningRecord>> {
        let _guard = self.ingest_lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut batch = WriteBatch::default();
        let mut added: Vec<WarningRecord> = Vec::new();
        for w in warnings {
            let key = w.seq.to_be_bytes();
            if added.iter().all(|a| a.seq != w.seq)
                && self.db.get_cf(self.cf(cf::WARNINGS), key).map_err(rocks("reading warnings"))?.is_none()
            {
                batch.put_cf(self.cf(cf::WARNINGS), key, keys::encode_warning(w));
                added.push(w.clone());
            }
        }
        self.write_synced(batch)?;
        Ok(added)
    }

    /// Records that someone acknowledged a warning.
    pub fn ack_warning(&self, seq: u64, by: &str, at_ms: i64) -> Result<WarningRecord> {
        let _guard = self.ingest_lock.lock().unwrap_or_else(|p| p.into_inner());
        let key = seq.to_be_bytes();
        let raw = self.db.get_cf(self.cf(cf::WARNINGS), key).map_err(rocks("reading warnings"))?;
        let mut w = raw.as_deref().and_then(keys::decode_warning).ok_or(StoreError::NoSuchWarning(seq))?;
        if w.acked_at_ms.is_none() {
            w.acked_at_ms = Some(at_ms);
            w.acked_by = by.to_string();
            let mut batch = WriteBatch::default();
            batch.put_cf(self.cf(cf::WARNINGS), key, keys::encode_warning(&w));
            self.write_synced(batch)?;
        }
        Ok(w)
    }

    /// Renews a stop in force at `at_ms` for another 48 hours from `at_ms`; at most twice.
    pub fn renew_stop(&self, id: u64, at_ms: i64, request: Option<&RequestKey>) -> Result<Written<StopRecord>> {
        self.update_stop(id, request, |s| {
            if !s.active_at(at_ms) {
                return Err(StoreError::StopRule(format!(
                    "stop #{id} is not in force at that time (expired or released)"
                )));
            }
            if s.renewals >= STOP_MAX_RENEWALS {
                return Err(StoreError::StopRule(format!(
                    "stop #{id} was renewed {} times already: a judicial freeze (冻结) is needed",
                    s.renewals
                )));
            }
            s.renewals += 1;
            s.expires_at_ms = at_ms + STOP_DURATION_MS;
            Ok(())
        })
    }

    /// Records the release of a stop.
    pub fn release_stop(&self, id: u64, at_ms: i64, request: Option<&RequestKey>) -> Result<Written<StopRecord>> {
        self.update_stop(id, request, |s| {
            if s.released_at_ms.is_some() {
                return Err(StoreError::StopRule(format!("stop #{id} was already released")));
            }
            s.released_at_ms = Some(at_ms.max(s.placed_at_ms));
            Ok(())
        })
    }

    fn update_stop(
        &self,
        id: u64,
        request: Option<&RequestKey>,
        f: impl FnOnce(&mut StopRecord) -> Result<()>,
    ) -> Result<Written<StopRecord>> {
        let _guard = self.ingest_lock.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(done) = self.recall(request)? {
            return self.replay_stop(done);
        }
        let mut rec = self.view()?.all_stops()?.into_iter().find(|s| s.id == id).ok_or(StoreError::NoSuchStop(id))?;
        f(&mut rec)?;
        let mut batch = WriteBatch::default();
        batch.put_cf(self.cf(cf::STOPS), keys::stop_key(rec.account, id), keys::encode_stop(&rec));
        self.remember(&mut batch, request, &RequestOutcome::Stop(id));
        self.write_synced(batch)?;
        Ok(Written::new(rec))
    }
}

impl StoreView<'_> {
    fn scan_stops(&self, prefix: Option<AccountId>) -> Result<Vec<StopRecord>> {
        let mut ro = ReadOptions::default();
        let (lower, upper) = match prefix {
            Some(a) => (a.to_be_bytes().to_vec(), (u64::from(a) + 1).to_be_bytes()[4..].to_vec()),
            None => (Vec::new(), vec![0xff; 13]),
        };
        ro.set_iterate_lower_bound(lower.clone());
        if prefix.is_some_and(|a| a == AccountId::MAX) {
            ro.set_iterate_upper_bound(vec![0xff; 13]);
        } else {
            ro.set_iterate_upper_bound(upper);
        }
        let mut it = self.snap.raw_iterator_cf_opt(self.store.cf(cf::STOPS), ro);
        it.seek(&lower);
        let mut out = Vec::new();
        while let Some((k, v)) = it.item() {
            out.push(keys::decode_stop(v).ok_or_else(|| corrupt("stop record", k))?);
            it.next();
        }
        it.status().map_err(rocks("scanning stops"))?;
        Ok(out)
    }

    /// Every stop ever recorded on an account.
    pub fn stops_of(&self, account: AccountId) -> Result<Vec<StopRecord>> {
        self.scan_stops(Some(account))
    }

    /// Every stop in the registry, by account.
    pub fn all_stops(&self) -> Result<Vec<StopRecord>> {
        self.scan_stops(None)
    }

    /// A registered case.
    pub fn case(&self, case_id: &str) -> Result<Option<CaseRecord>> {
        match self.snap.get_cf(self.store.cf(cf::CASES), case_id.as_bytes()).map_err(rocks("reading cases"))? {
            Some(raw) => keys::decode_case(&raw).map(Some).ok_or_else(|| corrupt("case record", case_id.as_bytes())),
            None => Ok(None),
        }
    }

    /// A digest of the case and stop registries: equal digests, equal registries (as far as a 64-bit hash
    /// tells). Whole-graph results that read the registries (rings) are cached under it.
    pub fn registry_digest(&self) -> Result<u64> {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        for c in self.all_cases()? {
            let e = keys::encode_case(&c);
            h.update(&(e.len() as u64).to_be_bytes());
            h.update(&e);
        }
        h.update(b"stops");
        for s in self.all_stops()? {
            let e = keys::encode_stop(&s);
            h.update(&(e.len() as u64).to_be_bytes());
            h.update(&e);
        }
        Ok(h.digest())
    }

    /// Every registered case, by id.
    pub fn all_cases(&self) -> Result<Vec<CaseRecord>> {
        let mut ro = ReadOptions::default();
        ro.set_total_order_seek(true);
        let mut it = self.snap.raw_iterator_cf_opt(self.store.cf(cf::CASES), ro);
        it.seek_to_first();
        let mut out = Vec::new();
        while let Some((k, v)) = it.item() {
            out.push(keys::decode_case(v).ok_or_else(|| corrupt("case record", k))?);
            it.next();
        }
        it.status().map_err(rocks("scanning cases"))?;
        Ok(out)
    }

    /// Every stored warning, oldest transfer first.
    pub fn all_warnings(&self) -> Result<Vec<WarningRecord>> {
        let mut ro = ReadOptions::default();
        ro.set_total_order_seek(true);
        let mut it = self.snap.raw_iterator_cf_opt(self.store.cf(cf::WARNINGS), ro);
        it.seek_to_first();
        let mut out = Vec::new();
        while let Some((k, v)) = it.item() {
            out.push(keys::decode_warning(v).ok_or_else(|| corrupt("warning", k))?);
            it.next();
        }
        it.status().map_err(rocks("scanning warnings"))?;
        Ok(out)
    }

    /// Accounts with a stop in force at `t`.
    pub fn stopped_at(&self, t: i64) -> Result<std::collections::BTreeSet<AccountId>> {
        Ok(self.all_stops()?.into_iter().filter(|s| s.active_at(t)).map(|s| s.account).collect())
    }
}
