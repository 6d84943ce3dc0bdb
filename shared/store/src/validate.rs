//! Request validation shared by the adapters, so both reject exactly the
//! same malformed requests that DynamoDB itself would refuse.

use std::collections::HashSet;

use crate::model::{
    ATTR_EXPIRES_AT, ATTR_PK, ATTR_SK, Index, Item, Key, Query, SortKey, TxOp, Update, Value,
};
use crate::port::StoreError;

/// DynamoDB's TransactWriteItems limit.
pub const MAX_TRANSACT_OPS: usize = 100;
/// DynamoDB's BatchGetItem limit.
pub const MAX_BATCH_GET: usize = 100;
/// The largest page a query may ask for.
pub const MAX_QUERY_LIMIT: usize = 1000;
/// DynamoDB's item size limit, approximated by our encoding.
const MAX_ITEM_BYTES: usize = 400 * 1024;

fn invalid(msg: impl Into<String>) -> StoreError {
    StoreError::Invalid(msg.into())
}

fn key_part(name: &str, value: &str) -> Result<(), StoreError> {
    if value.is_empty() {
        return Err(invalid(format!("{name} must not be empty")));
    }
    if value.len() > 1024 {
        return Err(invalid(format!("{name} is longer than 1024 bytes")));
    }
    if value.contains('\0') {
        return Err(invalid(format!("{name} must not contain NUL")));
    }
    Ok(())
}

pub(crate) fn key(key: &Key) -> Result<(), StoreError> {
    key_part(ATTR_PK, &key.pk)?;
    key_part(ATTR_SK, &key.sk)
}

fn attr_name(name: &str) -> Result<(), StoreError> {
    if name.is_empty() || name.len() > 255 {
        return Err(invalid("attribute names must be 1 to 255 bytes"));
    }
    Ok(())
}

/// Typed special attributes: index keys are strings, `expires_at` a number.
fn special_attr(name: &str, value: &Value) -> Result<(), StoreError> {
    if name == ATTR_EXPIRES_AT && !matches!(value, Value::N(_)) {
        return Err(invalid("expires_at must be a number (epoch seconds)"));
    }
    for ix in Index::ALL {
        if name == ix.pk_attr() || name == ix.sk_attr() {
            match value {
                Value::S(s) => key_part(name, s)?,
                _ => return Err(invalid(format!("{name} must be a string"))),
            }
        }
    }
    Ok(())
}

pub(crate) fn item(item: &Item) -> Result<(), StoreError> {
    encoded(item).map(|_| ())
}

/// Checks an item and returns its encoding (what the embedded store keeps),
/// so a write encodes it once.
pub(crate) fn encoded(item: &Item) -> Result<Vec<u8>, StoreError> {
    let k = item
        .key()
        .ok_or_else(|| invalid("an item needs string pk and sk attributes"))?;
    key(&k)?;
    for (name, value) in &item.0 {
        attr_name(name)?;
        special_attr(name, value)?;
    }
    let bytes = postcard::to_allocvec(item).map_err(|e| invalid(e.to_string()))?;
    let size = bytes.len();
    if size > MAX_ITEM_BYTES {
        return Err(invalid(format!(
            "item is {size} bytes; the limit is {MAX_ITEM_BYTES}"
        )));
    }
    Ok(bytes)
}

pub(crate) fn update(k: &Key, update: &Update) -> Result<(), StoreError> {
    key(k)?;
    if update.set.is_empty() && update.remove.is_empty() && update.add.is_empty() {
        return Err(invalid("an update must change something"));
    }
    let mut seen = HashSet::new();
    let names = update
        .set
        .iter()
        .map(|(n, _)| n)
        .chain(update.remove.iter())
        .chain(update.add.iter().map(|(n, _)| n));
    for name in names {
        attr_name(name)?;
        if name == ATTR_PK || name == ATTR_SK {
            return Err(invalid("key attributes cannot be updated"));
        }
        if !seen.insert(name.as_str()) {
            return Err(invalid(format!(
                "attribute {name} appears twice in one update"
            )));
        }
    }
    for (name, value) in &update.set {
        special_attr(name, value)?;
    }
    Ok(())
}

pub(crate) fn batch_keys(keys: &[Key]) -> Result<(), StoreError> {
    if keys.len() > MAX_BATCH_GET {
        return Err(invalid(format!(
            "batch get takes at most {MAX_BATCH_GET} keys"
        )));
    }
    let mut seen = HashSet::new();
    for k in keys {
        key(k)?;
        if !seen.insert(k) {
            return Err(invalid("batch get keys must be distinct"));
        }
    }
    Ok(())
}

pub(crate) fn query(q: &Query) -> Result<(), StoreError> {
    key_part("partition key", &q.pk)?;
    if q.limit == 0 || q.limit > MAX_QUERY_LIMIT {
        return Err(invalid(format!(
            "query limit must be 1 to {MAX_QUERY_LIMIT}"
        )));
    }
    match &q.sk {
        Some(SortKey::Between(a, b)) if a.as_bytes() > b.as_bytes() => {
            Err(invalid("BETWEEN needs its lower bound first"))
        }
        Some(
            SortKey::Eq(v)
            | SortKey::BeginsWith(v)
            | SortKey::Lt(v)
            | SortKey::Le(v)
            | SortKey::Gt(v)
            | SortKey::Ge(v)
            | SortKey::Between(v, _),
        ) if v.is_empty() => Err(invalid("sort-key condition value must not be empty")),
        _ => Ok(()),
    }
}

pub(crate) fn transaction(ops: &[TxOp]) -> Result<(), StoreError> {
    if ops.is_empty() || ops.len() > MAX_TRANSACT_OPS {
        return Err(invalid(format!(
            "a transaction takes 1 to {MAX_TRANSACT_OPS} operations; got {}",
            ops.len()
        )));
    }
    let mut seen = HashSet::new();
    for op in ops {
        match op {
            TxOp::Put { item: it, .. } => item(it)?,
            TxOp::Update {
                key: k, update: u, ..
            } => update(k, u)?,
            TxOp::Delete { key: k, .. } | TxOp::Check { key: k, .. } => key(k)?,
        }
        let k = op.key().ok_or_else(|| invalid("operation without a key"))?;
        if !seen.insert(k) {
            return Err(invalid("a transaction cannot touch one item twice"));
        }
    }
    Ok(())
}
