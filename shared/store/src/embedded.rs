//! The embedded adapter: the whole table in one redb file (or in memory).
//!
//! Layout: `items` maps `(pk, sk)` to the postcard-encoded item; each GSI is a
//! table of `(index pk, index sk, pk, sk)` keys; `ttl` maps
//! `(expires_at, pk, sk)` so a sweeper can delete expired items in order.
//! Keys are raw UTF-8 bytes, so ranges sort exactly as DynamoDB sorts string
//! keys. A byte `0xFF` (never present in UTF-8) bounds ranges from above.
//!
//! redb serialises write transactions. Reads run inline (microseconds).
//! Writes go to one writer thread that commits in groups: it takes every
//! write waiting, applies them one after the other in one redb transaction
//! (each sees the ones before it, as if serial), commits once (one fsync),
//! and only then answers each. A write whose condition fails changes
//! nothing: every write checks all its conditions and computes all its new
//! items before its first change, so its failure leaves the group's
//! transaction as it was. Only a storage error (I/O) aborts the whole group;
//! every write in it then gets that error and none is applied.

use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use redb::{Database, ReadableTable, TableDefinition, WriteTransaction};

use crate::model::{
    Condition, CursorKey, Index, Item, Key, Page, Query, SortKey, TxOp, Update, now_epoch_seconds,
};
use crate::port::{Store, StoreError, StoreResult};
use crate::validate;

type ItemsKey = (&'static [u8], &'static [u8]);
type IndexKey = (&'static [u8], &'static [u8], &'static [u8], &'static [u8]);
type TtlKey = (i64, &'static [u8], &'static [u8]);

const ITEMS: TableDefinition<ItemsKey, &[u8]> = TableDefinition::new("items");
const GSI1: TableDefinition<IndexKey, ()> = TableDefinition::new("gsi1");
const GSI2: TableDefinition<IndexKey, ()> = TableDefinition::new("gsi2");
const TTL: TableDefinition<TtlKey, ()> = TableDefinition::new("ttl");

const TOP: &[u8] = &[0xFF];

fn index_table(ix: Index) -> TableDefinition<'static, IndexKey, ()> {
    match ix {
        Index::Gsi1 => GSI1,
        Index::Gsi2 => GSI2,
    }
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// A write waiting for the writer thread: applies itself to the group's
/// transaction and returns whether storage failed (the group must abort),
/// and what to do once the group's commit is known.
type Job = Box<dyn FnOnce(&WriteTransaction, i64) -> (bool, Reply) + Send>;
type Reply = Box<dyn FnOnce(StoreResult<()>) + Send>;

/// Most writes committed in one transaction.
const GROUP_MAX: usize = 256;

/// The redb-backed [`Store`].
#[derive(Clone)]
pub struct EmbeddedStore {
    db: Arc<Database>,
    writer: std::sync::mpsc::Sender<Job>,
}

/// The writer thread: one transaction and one durable commit per group of
/// waiting writes.
fn writer_loop(db: &Database, jobs: &std::sync::mpsc::Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        let mut group = vec![first];
        while group.len() < GROUP_MAX {
            match jobs.try_recv() {
                Ok(j) => group.push(j),
                Err(_) => break,
            }
        }
        let Ok(txn) = db.begin_write() else {
            // Dropping the jobs unanswered tells each writer it failed;
            // nothing was applied.
            drop(group);
            continue;
        };
        let now = now_epoch_seconds();
        let mut replies = Vec::with_capacity(group.len());
        let mut broken = false;
        for j in group {
            // A panicking write must not take the writer thread with it:
            // it counts as a storage failure (the group aborts, its waiter
            // hears that the writer stopped for it).
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| j(&txn, now))) {
                Ok((failed, reply)) => {
                    broken |= failed;
                    replies.push(reply);
                }
                Err(_) => broken = true,
            }
        }
        let outcome = if broken {
            drop(txn);
            Err(StoreError::Backend(
                "storage failed; nothing in this group of writes was applied".into(),
            ))
        } else {
            txn.commit().map_err(backend)
        };
        for r in replies {
            r(outcome.clone());
        }
    }
}

impl std::fmt::Debug for EmbeddedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedStore").finish_non_exhaustive()
    }
}

impl EmbeddedStore {
    /// Opens (creating if needed, repairing after a crash) the store file.
    pub fn open(path: &Path) -> StoreResult<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(backend)?;
        }
        let db = Database::create(path).map_err(backend)?;
        // The table holds everyone's data: only this user may read it.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                .map_err(backend)?;
        }
        Self::init(db)
    }

    /// A store that lives in memory only (tests, benchmarks).
    pub fn in_memory() -> StoreResult<Self> {
        let db = Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .map_err(backend)?;
        Self::init(db)
    }

    fn init(db: Database) -> StoreResult<Self> {
        let txn = db.begin_write().map_err(backend)?;
        {
            txn.open_table(ITEMS).map_err(backend)?;
            txn.open_table(GSI1).map_err(backend)?;
            txn.open_table(GSI2).map_err(backend)?;
            txn.open_table(TTL).map_err(backend)?;
        }
        txn.commit().map_err(backend)?;
        let db = Arc::new(db);
        let (writer, jobs) = std::sync::mpsc::channel::<Job>();
        let for_thread = db.clone();
        std::thread::Builder::new()
            .name("redb-writer".into())
            .spawn(move || writer_loop(&for_thread, &jobs))
            .map_err(backend)?;
        Ok(Self { db, writer })
    }

    /// Physically deletes items whose `expires_at` is at or before `now`;
    /// returns how many. Reads already hide them, so this only reclaims space.
    pub async fn purge_expired(&self, now: i64) -> StoreResult<usize> {
        let db = self.db.clone();
        run_blocking(move || {
            let txn = db.begin_write().map_err(backend)?;
            let mut purged = 0;
            {
                let due: Vec<(i64, Key)> = {
                    let ttl = txn.open_table(TTL).map_err(backend)?;
                    let hi: TtlKey = (now, TOP, TOP);
                    let mut due = Vec::new();
                    for entry in ttl.range(..=hi).map_err(backend)? {
                        let (k, _) = entry.map_err(backend)?;
                        let (at, pk, sk) = k.value();
                        due.push((at, key_from_bytes(pk, sk)?));
                    }
                    due
                };
                let mut tables = Tables::open(&txn)?;
                for (_, key) in due {
                    if let Some(item) = tables.get(&key)?
                        && item.is_expired(now)
                        && let Some(m) = Marks::of(&item)
                    {
                        tables.delete(&m)?;
                        purged += 1;
                    }
                }
            }
            txn.commit().map_err(backend)?;
            Ok(purged)
        })
        .await
    }

    /// Writes many items unconditionally in one transaction: for imports,
    /// migrations and benchmarks on the embedded store only (DynamoDB has
    /// no equivalent beyond 25-item batches; code that must run on both
    /// uses [`Store::transact_write`]).
    pub async fn bulk_put(&self, items: Vec<Item>) -> StoreResult<()> {
        let encoded = items
            .into_iter()
            .map(|item| validate::encoded(&item).map(|bytes| (item, bytes)))
            .collect::<StoreResult<Vec<_>>>()?;
        self.write(move |txn, _| {
            let mut tables = Tables::open(txn)?;
            for (item, bytes) in &encoded {
                let key = item
                    .key()
                    .ok_or_else(|| StoreError::Invalid("no key".into()))?;
                let old = tables.get(&key)?;
                tables.store(old.as_ref().and_then(Marks::of).as_ref(), item, bytes)?;
            }
            Ok(())
        })
        .await
    }

    fn read_visible(&self, key: &Key, now: i64) -> StoreResult<Option<Item>> {
        let txn = self.db.begin_read().map_err(backend)?;
        let items = txn.open_table(ITEMS).map_err(backend)?;
        let got = items
            .get((key.pk.as_bytes(), key.sk.as_bytes()))
            .map_err(backend)?;
        match got {
            Some(bytes) => {
                let item = decode(bytes.value())?;
                Ok((!item.is_expired(now)).then_some(item))
            }
            None => Ok(None),
        }
    }

    /// Runs `f` in the writer thread's next group. `f` must make no change
    /// before it has checked everything that can refuse the write.
    fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&WriteTransaction, i64) -> StoreResult<T> + Send + 'static,
    ) -> impl std::future::Future<Output = StoreResult<T>> {
        let (tx, rx) = tokio::sync::oneshot::channel::<StoreResult<T>>();
        let job: Job = Box::new(move |txn: &WriteTransaction, now| {
            let result = f(txn, now);
            let failed = matches!(result, Err(StoreError::Backend(_)));
            let reply: Reply = Box::new(move |committed: StoreResult<()>| {
                let _ = tx.send(match (result, committed) {
                    (Ok(out), Ok(())) => Ok(out),
                    (Err(e), _) | (Ok(_), Err(e)) => Err(e),
                });
            });
            (failed, reply)
        });
        let queued = self.writer.send(job);
        async move {
            queued.map_err(|_| StoreError::Backend("the store's writer has stopped".into()))?;
            rx.await
                .map_err(|_| StoreError::Backend("the store's writer has stopped".into()))?
        }
    }
}

async fn run_blocking<T: Send + 'static>(
    f: impl FnOnce() -> StoreResult<T> + Send + 'static,
) -> StoreResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Backend(format!("store task failed: {e}")))?
}

fn decode(bytes: &[u8]) -> StoreResult<Item> {
    postcard::from_bytes(bytes).map_err(|e| StoreError::Backend(format!("corrupt item: {e}")))
}

fn encode(item: &Item) -> StoreResult<Vec<u8>> {
    postcard::to_allocvec(item).map_err(backend)
}

fn key_from_bytes(pk: &[u8], sk: &[u8]) -> StoreResult<Key> {
    let s = |b: &[u8]| String::from_utf8(b.to_vec()).map_err(backend);
    Ok(Key::new(s(pk)?, s(sk)?))
}

/// The item as conditions see it: expired items are absent.
fn visible(item: Option<&Item>, now: i64) -> Option<&Item> {
    item.filter(|i| !i.is_expired(now))
}

/// Where an item is entered besides its own row: its index keys and its
/// expiry, to take out when it changes (without keeping the whole item).
struct Marks {
    pk: String,
    sk: String,
    index: Vec<(Index, String, String)>,
    expires_at: Option<i64>,
}

impl Marks {
    fn of(item: &Item) -> Option<Self> {
        let key = item.key()?;
        Some(Self {
            pk: key.pk,
            sk: key.sk,
            index: Index::ALL
                .into_iter()
                .filter_map(|ix| {
                    let (p, s) = ix.key_of(item)?;
                    Some((ix, p.to_owned(), s.to_owned()))
                })
                .collect(),
            expires_at: item.n(crate::ATTR_EXPIRES_AT),
        })
    }
}

/// The store's tables, opened once for a write (not once per item).
struct Tables<'t> {
    items: redb::Table<'t, ItemsKey, &'static [u8]>,
    gsi1: redb::Table<'t, IndexKey, ()>,
    gsi2: redb::Table<'t, IndexKey, ()>,
    ttl: redb::Table<'t, TtlKey, ()>,
}

impl<'t> Tables<'t> {
    fn open(txn: &'t WriteTransaction) -> StoreResult<Self> {
        Ok(Self {
            items: txn.open_table(ITEMS).map_err(backend)?,
            gsi1: txn.open_table(GSI1).map_err(backend)?,
            gsi2: txn.open_table(GSI2).map_err(backend)?,
            ttl: txn.open_table(TTL).map_err(backend)?,
        })
    }

    fn index(&mut self, ix: Index) -> &mut redb::Table<'t, IndexKey, ()> {
        match ix {
            Index::Gsi1 => &mut self.gsi1,
            Index::Gsi2 => &mut self.gsi2,
        }
    }

    fn get(&self, key: &Key) -> StoreResult<Option<Item>> {
        let got = self
            .items
            .get((key.pk.as_bytes(), key.sk.as_bytes()))
            .map_err(backend)?;
        got.map(|b| decode(b.value())).transpose()
    }

    /// Takes an item's index and expiry entries out.
    fn unmark(&mut self, m: &Marks) -> StoreResult<()> {
        for (ix, ipk, isk) in &m.index {
            self.index(*ix)
                .remove((
                    ipk.as_bytes(),
                    isk.as_bytes(),
                    m.pk.as_bytes(),
                    m.sk.as_bytes(),
                ))
                .map_err(backend)?;
        }
        if let Some(at) = m.expires_at {
            self.ttl
                .remove((at, m.pk.as_bytes(), m.sk.as_bytes()))
                .map_err(backend)?;
        }
        Ok(())
    }

    /// Writes `item` (encoded as `bytes`) over the one `old` marks.
    fn store(&mut self, old: Option<&Marks>, item: &Item, bytes: &[u8]) -> StoreResult<()> {
        let key = item
            .key()
            .ok_or_else(|| StoreError::Invalid("item without key".into()))?;
        if let Some(old) = old {
            self.unmark(old)?;
        }
        self.items
            .insert((key.pk.as_bytes(), key.sk.as_bytes()), bytes)
            .map_err(backend)?;
        for ix in Index::ALL {
            if let Some((ipk, isk)) = ix.key_of(item) {
                self.index(ix)
                    .insert(
                        (
                            ipk.as_bytes(),
                            isk.as_bytes(),
                            key.pk.as_bytes(),
                            key.sk.as_bytes(),
                        ),
                        (),
                    )
                    .map_err(backend)?;
            }
        }
        if let Some(at) = item.n(crate::ATTR_EXPIRES_AT) {
            self.ttl
                .insert((at, key.pk.as_bytes(), key.sk.as_bytes()), ())
                .map_err(backend)?;
        }
        Ok(())
    }

    fn delete(&mut self, m: &Marks) -> StoreResult<()> {
        self.unmark(m)?;
        self.items
            .remove((m.pk.as_bytes(), m.sk.as_bytes()))
            .map_err(backend)?;
        Ok(())
    }
}

fn check(condition: Option<&Condition>, current: Option<&Item>) -> bool {
    condition.is_none_or(|c| c.evaluate(current))
}

/// Sort-key bounds of a query, before they are combined with the partition.
fn sk_bounds(sk: Option<&SortKey>) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    use Bound::{Excluded, Included, Unbounded};
    let b = |s: &String| s.as_bytes().to_vec();
    match sk {
        None => (Unbounded, Unbounded),
        Some(SortKey::Eq(v)) => (Included(b(v)), Included(b(v))),
        Some(SortKey::BeginsWith(p)) => {
            let mut hi = b(p);
            hi.push(0xFF);
            (Included(b(p)), Excluded(hi))
        }
        Some(SortKey::Between(lo, hi)) => (Included(b(lo)), Included(b(hi))),
        Some(SortKey::Lt(v)) => (Unbounded, Excluded(b(v))),
        Some(SortKey::Le(v)) => (Unbounded, Included(b(v))),
        Some(SortKey::Gt(v)) => (Excluded(b(v)), Unbounded),
        Some(SortKey::Ge(v)) => (Included(b(v)), Unbounded),
    }
}

#[async_trait]
impl Store for EmbeddedStore {
    async fn get(&self, key: &Key) -> StoreResult<Option<Item>> {
        validate::key(key)?;
        self.read_visible(key, now_epoch_seconds())
    }

    async fn batch_get(&self, keys: &[Key]) -> StoreResult<Vec<Item>> {
        validate::batch_keys(keys)?;
        let now = now_epoch_seconds();
        let txn = self.db.begin_read().map_err(backend)?;
        let items = txn.open_table(ITEMS).map_err(backend)?;
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            if let Some(bytes) = items
                .get((key.pk.as_bytes(), key.sk.as_bytes()))
                .map_err(backend)?
            {
                let item = decode(bytes.value())?;
                if !item.is_expired(now) {
                    out.push(item);
                }
            }
        }
        Ok(out)
    }

    async fn put(&self, item: Item, condition: Option<Condition>) -> StoreResult<()> {
        let bytes = validate::encoded(&item)?;
        self.write(move |txn, now| {
            let key = item
                .key()
                .ok_or_else(|| StoreError::Invalid("no key".into()))?;
            let mut tables = Tables::open(txn)?;
            let old = tables.get(&key)?;
            if !check(condition.as_ref(), visible(old.as_ref(), now)) {
                return Err(StoreError::ConditionFailed);
            }
            tables.store(old.as_ref().and_then(Marks::of).as_ref(), &item, &bytes)
        })
        .await
    }

    async fn update(
        &self,
        key: &Key,
        update: Update,
        condition: Option<Condition>,
    ) -> StoreResult<Item> {
        validate::update(key, &update)?;
        let key = key.clone();
        self.write(move |txn, now| {
            let mut tables = Tables::open(txn)?;
            let old = tables.get(&key)?;
            if !check(condition.as_ref(), visible(old.as_ref(), now)) {
                return Err(StoreError::ConditionFailed);
            }
            let marks = old.as_ref().and_then(Marks::of);
            let new = update.apply(&key, old)?;
            let bytes = validate::encoded(&new)?;
            tables.store(marks.as_ref(), &new, &bytes)?;
            Ok(new)
        })
        .await
    }

    async fn delete(&self, key: &Key, condition: Option<Condition>) -> StoreResult<()> {
        validate::key(key)?;
        let key = key.clone();
        self.write(move |txn, now| {
            let mut tables = Tables::open(txn)?;
            let old = tables.get(&key)?;
            if !check(condition.as_ref(), visible(old.as_ref(), now)) {
                return Err(StoreError::ConditionFailed);
            }
            match old.as_ref().and_then(Marks::of) {
                Some(m) => tables.delete(&m),
                None => Ok(()),
            }
        })
        .await
    }

    async fn query(&self, query: &Query) -> StoreResult<Page> {
        validate::query(query)?;
        let cursor = query
            .cursor
            .as_ref()
            .map(|c| CursorKey::decode(c, query))
            .transpose()?;
        let now = now_epoch_seconds();
        let txn = self.db.begin_read().map_err(backend)?;
        let items = txn.open_table(ITEMS).map_err(backend)?;
        let (lo, hi) = sk_bounds(query.sk.as_ref());
        let pk = query.pk.as_bytes();
        let mut out = Vec::new();
        let mut more = false;

        match query.index {
            None => {
                let table_lo: Bound<(&[u8], &[u8])> = match &lo {
                    Bound::Included(v) => Bound::Included((pk, v.as_slice())),
                    Bound::Excluded(v) => Bound::Excluded((pk, v.as_slice())),
                    Bound::Unbounded => Bound::Included((pk, &[][..])),
                };
                let table_hi: Bound<(&[u8], &[u8])> = match &hi {
                    Bound::Included(v) => Bound::Included((pk, v.as_slice())),
                    Bound::Excluded(v) => Bound::Excluded((pk, v.as_slice())),
                    Bound::Unbounded => Bound::Excluded((pk, TOP)),
                };
                let (table_lo, table_hi) = match (&cursor, query.descending) {
                    (Some(c), false) => (max_lower(table_lo, (pk, c.sk.as_bytes())), table_hi),
                    (Some(c), true) => (table_lo, min_upper(table_hi, (pk, c.sk.as_bytes()))),
                    (None, _) => (table_lo, table_hi),
                };
                let range = items
                    .range::<(&[u8], &[u8])>((table_lo, table_hi))
                    .map_err(backend)?;
                let iter: Box<dyn Iterator<Item = _>> = if query.descending {
                    Box::new(range.rev())
                } else {
                    Box::new(range)
                };
                for entry in iter {
                    let (_, v) = entry.map_err(backend)?;
                    if out.len() == query.limit {
                        more = true;
                        break;
                    }
                    let item = decode(v.value())?;
                    if !item.is_expired(now) {
                        out.push(item);
                    }
                }
            }
            Some(ix) => {
                let table = txn.open_table(index_table(ix)).map_err(backend)?;
                let e: &[u8] = &[];
                let ix_lo: Bound<(&[u8], &[u8], &[u8], &[u8])> = match &lo {
                    Bound::Included(v) => Bound::Included((pk, v.as_slice(), e, e)),
                    Bound::Excluded(v) => Bound::Included((pk, v.as_slice(), TOP, e)),
                    Bound::Unbounded => Bound::Included((pk, e, e, e)),
                };
                let ix_hi: Bound<(&[u8], &[u8], &[u8], &[u8])> = match &hi {
                    Bound::Included(v) => Bound::Excluded((pk, v.as_slice(), TOP, e)),
                    Bound::Excluded(v) => Bound::Excluded((pk, v.as_slice(), e, e)),
                    Bound::Unbounded => Bound::Excluded((pk, TOP, e, e)),
                };
                let cur;
                let (ix_lo, ix_hi) = match &cursor {
                    Some(c) => {
                        let isk = c.isk.as_deref().unwrap_or_default().as_bytes();
                        cur = (pk, isk, c.pk.as_bytes(), c.sk.as_bytes());
                        if query.descending {
                            (ix_lo, min_upper(ix_hi, cur))
                        } else {
                            (max_lower(ix_lo, cur), ix_hi)
                        }
                    }
                    None => (ix_lo, ix_hi),
                };
                let range = table
                    .range::<(&[u8], &[u8], &[u8], &[u8])>((ix_lo, ix_hi))
                    .map_err(backend)?;
                let iter: Box<dyn Iterator<Item = _>> = if query.descending {
                    Box::new(range.rev())
                } else {
                    Box::new(range)
                };
                for entry in iter {
                    let (k, _) = entry.map_err(backend)?;
                    if out.len() == query.limit {
                        more = true;
                        break;
                    }
                    let (_, _, pk, sk) = k.value();
                    if let Some(bytes) = items.get((pk, sk)).map_err(backend)? {
                        let item = decode(bytes.value())?;
                        if !item.is_expired(now) {
                            out.push(item);
                        }
                    }
                }
            }
        }
        let next = if more {
            out.last()
                .and_then(|i| CursorKey::of(i, query.index))
                .map(|c| c.encode())
        } else {
            None
        };
        Ok(Page { items: out, next })
    }

    async fn transact_write(&self, ops: Vec<TxOp>) -> StoreResult<()> {
        validate::transaction(&ops)?;
        self.write(move |txn, now| {
            let mut tables = Tables::open(txn)?;
            // Read and check everything first: one failed condition cancels all.
            let mut current = Vec::with_capacity(ops.len());
            let mut failed = Vec::new();
            for (i, op) in ops.iter().enumerate() {
                let key = op
                    .key()
                    .ok_or_else(|| StoreError::Invalid("no key".into()))?;
                let old = tables.get(&key)?;
                if !check(op.condition(), visible(old.as_ref(), now)) {
                    failed.push(i);
                }
                current.push((key, old));
            }
            if !failed.is_empty() {
                return Err(StoreError::TransactionCanceled { failed });
            }
            // Every new item is computed and valid before the first change.
            let mut changes: Vec<(Option<Marks>, Option<(Item, Vec<u8>)>)> =
                Vec::with_capacity(ops.len());
            for (op, (key, old)) in ops.into_iter().zip(current) {
                let marks = old.as_ref().and_then(Marks::of);
                match op {
                    TxOp::Put { item, .. } => {
                        let bytes = encode(&item)?;
                        changes.push((marks, Some((item, bytes))));
                    }
                    TxOp::Update { update, .. } => {
                        let new = update.apply(&key, old)?;
                        let bytes = validate::encoded(&new)?;
                        changes.push((marks, Some((new, bytes))));
                    }
                    TxOp::Delete { .. } if old.is_some() => changes.push((marks, None)),
                    TxOp::Delete { .. } | TxOp::Check { .. } => {}
                }
            }
            for (old, new) in changes {
                match (old, new) {
                    (old, Some((new, bytes))) => tables.store(old.as_ref(), &new, &bytes)?,
                    (Some(old), None) => tables.delete(&old)?,
                    (None, None) => {}
                }
            }
            Ok(())
        })
        .await
    }
}

/// The tighter of a lower bound and "strictly after `cursor`".
fn max_lower<T: PartialOrd + Copy>(lo: Bound<T>, cursor: T) -> Bound<T> {
    match lo {
        Bound::Included(v) | Bound::Excluded(v) if v > cursor => lo,
        _ => Bound::Excluded(cursor),
    }
}

/// The tighter of an upper bound and "strictly before `cursor`".
fn min_upper<T: PartialOrd + Copy>(hi: Bound<T>, cursor: T) -> Bound<T> {
    match hi {
        Bound::Included(v) | Bound::Excluded(v) if v < cursor => hi,
        _ => Bound::Excluded(cursor),
    }
}
