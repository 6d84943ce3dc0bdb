//! The data model of the port: values, items, keys, conditions, updates,
//! queries and transaction operations. Shaped after DynamoDB so the cloud
//! adapter is a translation, not an emulation.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::port::StoreError;

pub const ATTR_PK: &str = "pk";
pub const ATTR_SK: &str = "sk";
/// Epoch seconds after which an item is treated as gone (DynamoDB TTL attribute).
pub const ATTR_EXPIRES_AT: &str = "expires_at";

/// Milliseconds since the Unix epoch.
pub fn now_epoch_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Seconds since the Unix epoch, the unit of `expires_at`.
pub fn now_epoch_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// An attribute value. Numbers are integers: money is kept in tenths of a won,
/// times in epoch seconds or milliseconds, so nothing needs floating point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Value {
    S(String),
    N(i64),
    B(Vec<u8>),
    Bool(bool),
    Null,
    L(Vec<Value>),
    M(BTreeMap<String, Value>),
}

impl Value {
    pub fn as_s(&self) -> Option<&str> {
        match self {
            Value::S(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_n(&self) -> Option<i64> {
        match self {
            Value::N(n) => Some(*n),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::S(s.to_owned())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::S(s)
    }
}
impl From<&String> for Value {
    fn from(s: &String) -> Self {
        Value::S(s.clone())
    }
}
impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::N(n)
    }
}
impl From<u32> for Value {
    fn from(n: u32) -> Self {
        Value::N(i64::from(n))
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl From<Vec<u8>> for Value {
    fn from(b: Vec<u8>) -> Self {
        Value::B(b)
    }
}

/// The primary key of an item.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Self {
        Self {
            pk: pk.into(),
            sk: sk.into(),
        }
    }
}

/// An item: a map of attribute names to values, always holding `pk` and `sk`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Item(pub BTreeMap<String, Value>);

impl Item {
    /// A new item with its key attributes set.
    pub fn new(key: &Key) -> Self {
        let mut m = BTreeMap::new();
        m.insert(ATTR_PK.to_owned(), Value::S(key.pk.clone()));
        m.insert(ATTR_SK.to_owned(), Value::S(key.sk.clone()));
        Self(m)
    }

    /// Builder-style attribute setter.
    #[must_use]
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.0.insert(name.to_owned(), value.into());
        self
    }

    /// Sets the attribute only when there is a value (sparse index keys, optional fields).
    #[must_use]
    pub fn with_opt(mut self, name: &str, value: Option<impl Into<Value>>) -> Self {
        if let Some(v) = value {
            self.0.insert(name.to_owned(), v.into());
        }
        self
    }

    pub fn set(&mut self, name: &str, value: impl Into<Value>) {
        self.0.insert(name.to_owned(), value.into());
    }

    pub fn remove(&mut self, name: &str) -> Option<Value> {
        self.0.remove(name)
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    pub fn s(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Value::as_s)
    }

    pub fn n(&self, name: &str) -> Option<i64> {
        self.get(name).and_then(Value::as_n)
    }

    pub fn bool(&self, name: &str) -> Option<bool> {
        self.get(name).and_then(Value::as_bool)
    }

    /// The key, if both key attributes are strings.
    pub fn key(&self) -> Option<Key> {
        Some(Key::new(self.s(ATTR_PK)?, self.s(ATTR_SK)?))
    }

    /// Whether the item is past its `expires_at` at `now` (epoch seconds).
    pub fn is_expired(&self, now: i64) -> bool {
        self.n(ATTR_EXPIRES_AT).is_some_and(|t| t <= now)
    }
}

/// A global secondary index. Sparse: an item is in the index only while it
/// holds both of the index's key attributes as strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Index {
    /// Alternate lookups: an account's own calls, logins, and similar.
    Gsi1,
    /// Pools and work queues: free numbers per region, pending deliveries.
    Gsi2,
}

impl Index {
    pub const ALL: [Index; 2] = [Index::Gsi1, Index::Gsi2];

    pub fn name(self) -> &'static str {
        match self {
            Index::Gsi1 => "gsi1",
            Index::Gsi2 => "gsi2",
        }
    }
    pub fn pk_attr(self) -> &'static str {
        match self {
            Index::Gsi1 => "gsi1pk",
            Index::Gsi2 => "gsi2pk",
        }
    }
    pub fn sk_attr(self) -> &'static str {
        match self {
            Index::Gsi1 => "gsi1sk",
            Index::Gsi2 => "gsi2sk",
        }
    }
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|i| i.name() == name)
    }
    /// The index key of an item, if the item is in this index.
    pub fn key_of(self, item: &Item) -> Option<(&str, &str)> {
        Some((item.s(self.pk_attr())?, item.s(self.sk_attr())?))
    }
}

/// A condition on the current version of an item, evaluated atomically with
/// the write it guards. An absent (or expired) item has no attributes.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Exists(String),
    NotExists(String),
    Eq(String, Value),
    Ne(String, Value),
    Lt(String, Value),
    Le(String, Value),
    Gt(String, Value),
    Ge(String, Value),
    And(Vec<Condition>),
    Or(Vec<Condition>),
    Not(Box<Condition>),
}

impl Condition {
    /// The item must not exist (create-only).
    pub fn absent() -> Self {
        Self::NotExists(ATTR_PK.to_owned())
    }
    /// The item must exist (update-only).
    pub fn present() -> Self {
        Self::Exists(ATTR_PK.to_owned())
    }
    pub fn eq(name: &str, value: impl Into<Value>) -> Self {
        Self::Eq(name.to_owned(), value.into())
    }
    pub fn exists(name: &str) -> Self {
        Self::Exists(name.to_owned())
    }
    pub fn not_exists(name: &str) -> Self {
        Self::NotExists(name.to_owned())
    }
    #[must_use]
    pub fn and(self, other: Condition) -> Self {
        match self {
            Condition::And(mut v) => {
                v.push(other);
                Condition::And(v)
            }
            c => Condition::And(vec![c, other]),
        }
    }

    /// Evaluates against the current item (`None` when absent or expired),
    /// with DynamoDB's semantics: comparisons between different types, or
    /// with a missing attribute, are false.
    pub fn evaluate(&self, item: Option<&Item>) -> bool {
        let attr = |name: &str| item.and_then(|i| i.get(name));
        match self {
            Condition::Exists(a) => attr(a).is_some(),
            Condition::NotExists(a) => attr(a).is_none(),
            Condition::Eq(a, v) => attr(a).is_some_and(|x| x == v),
            Condition::Ne(a, v) => attr(a).is_none_or(|x| x != v),
            Condition::Lt(a, v) => compare(attr(a), v).is_some_and(|o| o.is_lt()),
            Condition::Le(a, v) => compare(attr(a), v).is_some_and(|o| o.is_le()),
            Condition::Gt(a, v) => compare(attr(a), v).is_some_and(|o| o.is_gt()),
            Condition::Ge(a, v) => compare(attr(a), v).is_some_and(|o| o.is_ge()),
            Condition::And(cs) => cs.iter().all(|c| c.evaluate(item)),
            Condition::Or(cs) => cs.iter().any(|c| c.evaluate(item)),
            Condition::Not(c) => !c.evaluate(item),
        }
    }
}

fn compare(left: Option<&Value>, right: &Value) -> Option<std::cmp::Ordering> {
    match (left?, right) {
        (Value::N(a), Value::N(b)) => Some(a.cmp(b)),
        (Value::S(a), Value::S(b)) => Some(a.as_bytes().cmp(b.as_bytes())),
        (Value::B(a), Value::B(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

/// Changes to apply to an item; creates the item when it does not exist
/// (guard with [`Condition::present`] to forbid that).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Update {
    pub set: Vec<(String, Value)>,
    pub remove: Vec<String>,
    /// Atomic numeric increments; a missing attribute counts as 0.
    pub add: Vec<(String, i64)>,
}

impl Update {
    pub fn new() -> Self {
        Self::default()
    }
    #[must_use]
    pub fn set(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.set.push((name.to_owned(), value.into()));
        self
    }
    #[must_use]
    pub fn remove(mut self, name: &str) -> Self {
        self.remove.push(name.to_owned());
        self
    }
    #[must_use]
    pub fn add(mut self, name: &str, delta: i64) -> Self {
        self.add.push((name.to_owned(), delta));
        self
    }

    /// Applies the update to the current item (or a fresh one for `key`).
    pub(crate) fn apply(&self, key: &Key, current: Option<Item>) -> Result<Item, StoreError> {
        let mut item = current.unwrap_or_else(|| Item::new(key));
        for (name, value) in &self.set {
            item.set(name, value.clone());
        }
        for name in &self.remove {
            item.remove(name);
        }
        for (name, delta) in &self.add {
            let old = match item.get(name) {
                None => 0,
                Some(Value::N(n)) => *n,
                Some(_) => {
                    return Err(StoreError::Invalid(format!(
                        "cannot add to non-numeric attribute {name}"
                    )));
                }
            };
            let new = old
                .checked_add(*delta)
                .ok_or_else(|| StoreError::Invalid(format!("numeric overflow adding to {name}")))?;
            item.set(name, new);
        }
        Ok(item)
    }
}

/// A condition on the sort key (or the index sort key) of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortKey {
    Eq(String),
    BeginsWith(String),
    /// Inclusive on both ends, like DynamoDB's BETWEEN.
    Between(String, String),
    Lt(String),
    Le(String),
    Gt(String),
    Ge(String),
}

/// An opaque position to continue a query from. Safe to hand to clients:
/// it only names a key inside the partition the query already asks for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cursor(pub String);

/// The decoded content of a [`Cursor`]: the last key returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CursorKey {
    pub pk: String,
    pub sk: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isk: Option<String>,
}

impl CursorKey {
    pub(crate) fn of(item: &Item, index: Option<Index>) -> Option<Self> {
        let key = item.key()?;
        let (ipk, isk) = match index {
            Some(ix) => {
                let (p, s) = ix.key_of(item)?;
                (Some(p.to_owned()), Some(s.to_owned()))
            }
            None => (None, None),
        };
        Some(Self {
            pk: key.pk,
            sk: key.sk,
            ipk,
            isk,
        })
    }

    pub(crate) fn encode(&self) -> Cursor {
        let json = serde_json::to_vec(self).unwrap_or_default();
        Cursor(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json))
    }

    /// Decodes a cursor and checks it belongs to the query's partition.
    pub(crate) fn decode(cursor: &Cursor, query: &Query) -> Result<Self, StoreError> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(cursor.0.as_bytes())
            .map_err(|_| StoreError::InvalidCursor)?;
        let key: Self = serde_json::from_slice(&bytes).map_err(|_| StoreError::InvalidCursor)?;
        let partition = match query.index {
            Some(_) => key.ipk.as_deref().zip(key.isk.as_deref()).map(|(p, _)| p),
            None => Some(key.pk.as_str()),
        };
        if partition != Some(query.pk.as_str()) {
            return Err(StoreError::InvalidCursor);
        }
        Ok(key)
    }
}

/// A query: one partition of the table or of an index, optionally narrowed
/// by a sort-key condition, in ascending or descending sort-key order.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub index: Option<Index>,
    pub pk: String,
    pub sk: Option<SortKey>,
    pub descending: bool,
    pub limit: usize,
    pub cursor: Option<Cursor>,
}

impl Query {
    /// All items of a table partition, ascending, 100 a page.
    pub fn partition(pk: impl Into<String>) -> Self {
        Self {
            index: None,
            pk: pk.into(),
            sk: None,
            descending: false,
            limit: 100,
            cursor: None,
        }
    }
    /// All items of an index partition, ascending, 100 a page.
    pub fn index(index: Index, pk: impl Into<String>) -> Self {
        Self {
            index: Some(index),
            ..Self::partition(pk)
        }
    }
    #[must_use]
    pub fn sk(mut self, cond: SortKey) -> Self {
        self.sk = Some(cond);
        self
    }
    #[must_use]
    pub fn descending(mut self) -> Self {
        self.descending = true;
        self
    }
    #[must_use]
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }
    #[must_use]
    pub fn after(mut self, cursor: Option<Cursor>) -> Self {
        self.cursor = cursor;
        self
    }
}

/// One page of query results; `next` is set when more items may follow.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub items: Vec<Item>,
    pub next: Option<Cursor>,
}

/// One operation of a transaction. Each names a distinct item.
#[derive(Debug, Clone, PartialEq)]
pub enum TxOp {
    Put {
        item: Item,
        condition: Option<Condition>,
    },
    Update {
        key: Key,
        update: Update,
        condition: Option<Condition>,
    },
    Delete {
        key: Key,
        condition: Option<Condition>,
    },
    /// Asserts a condition on an item the transaction does not change.
    Check { key: Key, condition: Condition },
}

impl TxOp {
    pub fn key(&self) -> Option<Key> {
        match self {
            TxOp::Put { item, .. } => item.key(),
            TxOp::Update { key, .. } | TxOp::Delete { key, .. } | TxOp::Check { key, .. } => {
                Some(key.clone())
            }
        }
    }
    pub fn condition(&self) -> Option<&Condition> {
        match self {
            TxOp::Put { condition, .. }
            | TxOp::Update { condition, .. }
            | TxOp::Delete { condition, .. } => condition.as_ref(),
            TxOp::Check { condition, .. } => Some(condition),
        }
    }
}
