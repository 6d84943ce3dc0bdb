//! The DynamoDB adapter: a direct translation of the port onto one table.
//!
//! Conditions become `ConditionExpression`s with placeholder names and
//! values; expiry is folded into every condition and filter so that an item
//! past `expires_at` behaves as absent even before DynamoDB's lazy TTL
//! deletes it. Table layout (also in `infra/template.yaml`): string keys
//! `pk`/`sk`, sparse GSIs `gsi1` (`gsi1pk`/`gsi1sk`) and `gsi2`
//! (`gsi2pk`/`gsi2sk`) projecting all attributes, TTL on `expires_at`.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
pub use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, ConditionCheck, Delete, GlobalSecondaryIndex,
    KeySchemaElement, KeyType, KeysAndAttributes, Projection, ProjectionType, Put, ReturnValue,
    ScalarAttributeType, TimeToLiveSpecification, TransactWriteItem, Update as DdbUpdate,
};

use crate::model::{
    ATTR_EXPIRES_AT, ATTR_PK, ATTR_SK, Condition, CursorKey, Index, Item, Key, Page, Query,
    SortKey, TxOp, Update, Value, now_epoch_seconds,
};
use crate::port::{Store, StoreError, StoreResult};
use crate::validate;

type AttrMap = HashMap<String, AttributeValue>;

/// An attribute name no item carries, for constant-true or -false conditions.
const NEVER_SET: &str = "__never_set__";

/// The DynamoDB-backed [`Store`].
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Creates the table with its GSIs and TTL, as the SAM template does;
    /// for local servers and tests. An existing table is left as it is.
    pub async fn create_table(client: &Client, table: &str) -> StoreResult<()> {
        let s = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(backend)
        };
        let k = |name: &str, t: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(t)
                .build()
                .map_err(backend)
        };
        let mut req = client
            .create_table()
            .table_name(table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(s(ATTR_PK)?)
            .attribute_definitions(s(ATTR_SK)?)
            .key_schema(k(ATTR_PK, KeyType::Hash)?)
            .key_schema(k(ATTR_SK, KeyType::Range)?);
        for ix in Index::ALL {
            req = req
                .attribute_definitions(s(ix.pk_attr())?)
                .attribute_definitions(s(ix.sk_attr())?)
                .global_secondary_indexes(
                    GlobalSecondaryIndex::builder()
                        .index_name(ix.name())
                        .key_schema(k(ix.pk_attr(), KeyType::Hash)?)
                        .key_schema(k(ix.sk_attr(), KeyType::Range)?)
                        .projection(
                            Projection::builder()
                                .projection_type(ProjectionType::All)
                                .build(),
                        )
                        .build()
                        .map_err(backend)?,
                );
        }
        match req.send().await {
            Ok(_) => {}
            Err(e) if e.code() == Some("ResourceInUseException") => return Ok(()),
            Err(e) => return Err(map_sdk(e)),
        }
        client
            .update_time_to_live()
            .table_name(table)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .enabled(true)
                    .attribute_name(ATTR_EXPIRES_AT)
                    .build()
                    .map_err(backend)?,
            )
            .send()
            .await
            .map_err(map_sdk)?;
        Ok(())
    }

    /// Checks the table is reachable (used by health checks and at start-up
    /// to warm the connection).
    pub async fn ping(&self) -> StoreResult<()> {
        self.client
            .describe_table()
            .table_name(&self.table)
            .send()
            .await
            .map_err(map_sdk)?;
        Ok(())
    }
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// Maps an SDK error onto the port's error kinds.
fn map_sdk<E, R>(e: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let detail = aws_sdk_dynamodb::error::DisplayErrorContext(&e).to_string();
    match &e {
        SdkError::ServiceError(se) => match se.err().code() {
            Some("ConditionalCheckFailedException") => StoreError::ConditionFailed,
            Some("TransactionConflictException") => StoreError::Conflict,
            Some("ValidationException") => {
                StoreError::Invalid(se.err().message().unwrap_or("validation error").to_owned())
            }
            Some(
                "ProvisionedThroughputExceededException"
                | "ThrottlingException"
                | "RequestLimitExceeded"
                | "InternalServerError"
                | "ServiceUnavailable"
                | "LimitExceededException",
            ) => StoreError::Unavailable(detail),
            _ => StoreError::Backend(detail),
        },
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            StoreError::Unavailable(detail)
        }
        _ => StoreError::Backend(detail),
    }
}

fn to_av(v: &Value) -> AttributeValue {
    match v {
        Value::S(s) => AttributeValue::S(s.clone()),
        Value::N(n) => AttributeValue::N(n.to_string()),
        Value::B(b) => AttributeValue::B(Blob::new(b.clone())),
        Value::Bool(b) => AttributeValue::Bool(*b),
        Value::Null => AttributeValue::Null(true),
        Value::L(l) => AttributeValue::L(l.iter().map(to_av).collect()),
        Value::M(m) => AttributeValue::M(m.iter().map(|(k, v)| (k.clone(), to_av(v))).collect()),
    }
}

fn from_av(av: &AttributeValue) -> StoreResult<Value> {
    Ok(match av {
        AttributeValue::S(s) => Value::S(s.clone()),
        AttributeValue::N(n) => Value::N(
            n.parse()
                .map_err(|_| StoreError::Backend(format!("non-integer number {n} in table")))?,
        ),
        AttributeValue::B(b) => Value::B(b.clone().into_inner()),
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::L(l) => Value::L(l.iter().map(from_av).collect::<StoreResult<_>>()?),
        AttributeValue::M(m) => Value::M(
            m.iter()
                .map(|(k, v)| Ok((k.clone(), from_av(v)?)))
                .collect::<StoreResult<_>>()?,
        ),
        other => {
            return Err(StoreError::Backend(format!(
                "unsupported attribute type in table: {other:?}"
            )));
        }
    })
}

/// DynamoDB's type descriptor for `attribute_type`.
fn type_code(v: &Value) -> &'static str {
    match v {
        Value::S(_) => "S",
        Value::N(_) => "N",
        Value::B(_) => "B",
        Value::Bool(_) => "BOOL",
        Value::Null => "NULL",
        Value::L(_) => "L",
        Value::M(_) => "M",
    }
}

fn to_map(item: &Item) -> AttrMap {
    item.0.iter().map(|(k, v)| (k.clone(), to_av(v))).collect()
}

fn from_map(m: &AttrMap) -> StoreResult<Item> {
    Ok(Item(
        m.iter()
            .map(|(k, v)| Ok((k.clone(), from_av(v)?)))
            .collect::<StoreResult<_>>()?,
    ))
}

fn key_map(key: &Key) -> AttrMap {
    HashMap::from([
        (ATTR_PK.to_owned(), AttributeValue::S(key.pk.clone())),
        (ATTR_SK.to_owned(), AttributeValue::S(key.sk.clone())),
    ])
}

/// Placeholders for one request's expressions.
#[derive(Default)]
struct Expr {
    names: HashMap<String, String>,
    values: AttrMap,
}

impl Expr {
    fn name(&mut self, n: &str) -> String {
        let next = self.names.len();
        let entry = self
            .names
            .iter()
            .find(|(_, v)| v.as_str() == n)
            .map(|(k, _)| k.clone());
        entry.unwrap_or_else(|| {
            let p = format!("#n{next}");
            self.names.insert(p.clone(), n.to_owned());
            p
        })
    }

    fn value(&mut self, v: AttributeValue) -> String {
        let p = format!(":v{}", self.values.len());
        self.values.insert(p.clone(), v);
        p
    }

    fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    fn values(&self) -> Option<AttrMap> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }

    fn condition(&mut self, c: &Condition) -> String {
        let mut cmp = |a: &str, op: &str, v: &Value| {
            let n = self.name(a);
            let p = self.value(to_av(v));
            if op == "=" || op == "<>" {
                return format!("{n} {op} {p}");
            }
            // Ordering across types is false in DynamoDB; saying so explicitly
            // keeps local emulators (which may fail on it) in step.
            let t = self.value(AttributeValue::S(type_code(v).to_owned()));
            format!("attribute_type({n}, {t}) AND {n} {op} {p}")
        };
        match c {
            Condition::Eq(a, v) => cmp(a, "=", v),
            Condition::Ne(a, v) => cmp(a, "<>", v),
            Condition::Lt(a, v) => cmp(a, "<", v),
            Condition::Le(a, v) => cmp(a, "<=", v),
            Condition::Gt(a, v) => cmp(a, ">", v),
            Condition::Ge(a, v) => cmp(a, ">=", v),
            Condition::Exists(a) => format!("attribute_exists({})", self.name(a)),
            Condition::NotExists(a) => format!("attribute_not_exists({})", self.name(a)),
            Condition::And(cs) => self.join(cs, " AND "),
            Condition::Or(cs) => self.join(cs, " OR "),
            Condition::Not(c) => format!("NOT ({})", self.condition(c)),
        }
    }

    fn join(&mut self, cs: &[Condition], sep: &str) -> String {
        if cs.is_empty() {
            // An empty AND is true and an empty OR false (as the evaluator
            // says); express both through a name no item carries.
            let n = self.name(NEVER_SET);
            return if sep == " AND " {
                format!("attribute_not_exists({n})")
            } else {
                format!("attribute_exists({n})")
            };
        }
        let parts: Vec<String> = cs
            .iter()
            .map(|c| format!("({})", self.condition(c)))
            .collect();
        parts.join(sep)
    }

    /// The condition as DynamoDB must see it so that an expired item counts
    /// as absent: `expired ? cond(absent) : cond(item)`.
    fn guarded(&mut self, c: &Condition, now: i64) -> String {
        let inner = self.condition(c);
        let exp = self.name(ATTR_EXPIRES_AT);
        let now = self.value(AttributeValue::N(now.to_string()));
        if c.evaluate(None) {
            format!("(attribute_exists({exp}) AND {exp} <= {now}) OR ({inner})")
        } else {
            format!("(attribute_not_exists({exp}) OR {exp} > {now}) AND ({inner})")
        }
    }

    fn update(&mut self, u: &Update) -> String {
        let mut parts = Vec::new();
        if !u.set.is_empty() {
            let sets: Vec<String> = u
                .set
                .iter()
                .map(|(a, v)| {
                    let n = self.name(a);
                    let p = self.value(to_av(v));
                    format!("{n} = {p}")
                })
                .collect();
            parts.push(format!("SET {}", sets.join(", ")));
        }
        if !u.remove.is_empty() {
            let rs: Vec<String> = u.remove.iter().map(|a| self.name(a)).collect();
            parts.push(format!("REMOVE {}", rs.join(", ")));
        }
        if !u.add.is_empty() {
            let adds: Vec<String> = u
                .add
                .iter()
                .map(|(a, d)| {
                    let n = self.name(a);
                    let p = self.value(AttributeValue::N(d.to_string()));
                    format!("{n} {p}")
                })
                .collect();
            parts.push(format!("ADD {}", adds.join(", ")));
        }
        parts.join(" ")
    }
}

fn cursor_map(c: &CursorKey, index: Option<Index>) -> AttrMap {
    let mut m = key_map(&Key::new(c.pk.clone(), c.sk.clone()));
    if let (Some(ix), Some(ipk), Some(isk)) = (index, &c.ipk, &c.isk) {
        m.insert(ix.pk_attr().to_owned(), AttributeValue::S(ipk.clone()));
        m.insert(ix.sk_attr().to_owned(), AttributeValue::S(isk.clone()));
    }
    m
}

fn cursor_from_map(m: &AttrMap, index: Option<Index>) -> StoreResult<CursorKey> {
    let s = |name: &str| -> StoreResult<String> {
        match m.get(name) {
            Some(AttributeValue::S(s)) => Ok(s.clone()),
            _ => Err(StoreError::Backend(format!(
                "LastEvaluatedKey without {name}"
            ))),
        }
    };
    Ok(CursorKey {
        pk: s(ATTR_PK)?,
        sk: s(ATTR_SK)?,
        ipk: index.map(|ix| s(ix.pk_attr())).transpose()?,
        isk: index.map(|ix| s(ix.sk_attr())).transpose()?,
    })
}

#[async_trait]
impl Store for DynamoStore {
    async fn get(&self, key: &Key) -> StoreResult<Option<Item>> {
        validate::key(key)?;
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_map(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(map_sdk)?;
        let now = now_epoch_seconds();
        match out.item() {
            Some(m) => Ok(Some(from_map(m)?).filter(|i| !i.is_expired(now))),
            None => Ok(None),
        }
    }

    async fn batch_get(&self, keys: &[Key]) -> StoreResult<Vec<Item>> {
        validate::batch_keys(keys)?;
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut pending: Vec<AttrMap> = keys.iter().map(key_map).collect();
        let mut found: HashMap<Key, Item> = HashMap::new();
        let mut attempt = 0u32;
        while !pending.is_empty() {
            let ka = KeysAndAttributes::builder()
                .set_keys(Some(std::mem::take(&mut pending)))
                .consistent_read(true)
                .build()
                .map_err(backend)?;
            let out = self
                .client
                .batch_get_item()
                .request_items(&self.table, ka)
                .send()
                .await
                .map_err(map_sdk)?;
            for m in out
                .responses()
                .and_then(|r| r.get(&self.table))
                .into_iter()
                .flatten()
            {
                let item = from_map(m)?;
                if let Some(k) = item.key() {
                    found.insert(k, item);
                }
            }
            if let Some(rest) = out.unprocessed_keys().and_then(|u| u.get(&self.table)) {
                pending = rest.keys().to_vec();
                attempt += 1;
                if attempt > 8 {
                    return Err(StoreError::Unavailable(
                        "batch get keys left unprocessed".into(),
                    ));
                }
                tokio::time::sleep(Duration::from_millis(25 << attempt.min(6))).await;
            }
        }
        let now = now_epoch_seconds();
        Ok(keys
            .iter()
            .filter_map(|k| found.remove(k))
            .filter(|i| !i.is_expired(now))
            .collect())
    }

    async fn put(&self, item: Item, condition: Option<Condition>) -> StoreResult<()> {
        validate::item(&item)?;
        let mut e = Expr::default();
        let cond = condition.map(|c| e.guarded(&c, now_epoch_seconds()));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_map(&item)))
            .set_condition_expression(cond)
            .set_expression_attribute_names(e.names())
            .set_expression_attribute_values(e.values())
            .send()
            .await
            .map_err(map_sdk)?;
        Ok(())
    }

    async fn update(
        &self,
        key: &Key,
        update: Update,
        condition: Option<Condition>,
    ) -> StoreResult<Item> {
        validate::update(key, &update)?;
        let mut e = Expr::default();
        let expr = e.update(&update);
        let cond = condition.map(|c| e.guarded(&c, now_epoch_seconds()));
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_map(key)))
            .update_expression(expr)
            .set_condition_expression(cond)
            .set_expression_attribute_names(e.names())
            .set_expression_attribute_values(e.values())
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(map_sdk)?;
        match out.attributes() {
            Some(m) => from_map(m),
            None => Err(StoreError::Backend("update returned no attributes".into())),
        }
    }

    async fn delete(&self, key: &Key, condition: Option<Condition>) -> StoreResult<()> {
        validate::key(key)?;
        let mut e = Expr::default();
        let cond = condition.map(|c| e.guarded(&c, now_epoch_seconds()));
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_map(key)))
            .set_condition_expression(cond)
            .set_expression_attribute_names(e.names())
            .set_expression_attribute_values(e.values())
            .send()
            .await
            .map_err(map_sdk)?;
        Ok(())
    }

    async fn query(&self, query: &Query) -> StoreResult<Page> {
        validate::query(query)?;
        let mut start = query
            .cursor
            .as_ref()
            .map(|c| CursorKey::decode(c, query))
            .transpose()?
            .map(|c| cursor_map(&c, query.index));
        let now = now_epoch_seconds();
        let (pk_attr, sk_attr) = match query.index {
            Some(ix) => (ix.pk_attr(), ix.sk_attr()),
            None => (ATTR_PK, ATTR_SK),
        };
        let mut e = Expr::default();
        let pk_n = e.name(pk_attr);
        let pk_v = e.value(AttributeValue::S(query.pk.clone()));
        let mut key_cond = format!("{pk_n} = {pk_v}");
        if let Some(sk) = &query.sk {
            let n = e.name(sk_attr);
            let mut v = |s: &String| e.value(AttributeValue::S(s.clone()));
            let c = match sk {
                SortKey::Eq(x) => format!("{n} = {}", v(x)),
                SortKey::BeginsWith(x) => format!("begins_with({n}, {})", v(x)),
                SortKey::Between(a, b) => {
                    let (a, b) = (v(a), v(b));
                    format!("{n} BETWEEN {a} AND {b}")
                }
                SortKey::Lt(x) => format!("{n} < {}", v(x)),
                SortKey::Le(x) => format!("{n} <= {}", v(x)),
                SortKey::Gt(x) => format!("{n} > {}", v(x)),
                SortKey::Ge(x) => format!("{n} >= {}", v(x)),
            };
            key_cond = format!("{key_cond} AND {c}");
        }
        let exp = e.name(ATTR_EXPIRES_AT);
        let now_v = e.value(AttributeValue::N(now.to_string()));
        let filter = format!("attribute_not_exists({exp}) OR {exp} > {now_v}");

        // DynamoDB applies the expiry filter after the limit; keep asking
        // until the page is full or the partition ends, so both adapters
        // return full pages.
        let mut items = Vec::new();
        let mut last: Option<AttrMap>;
        loop {
            let remaining = query.limit - items.len();
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(query.index.map(|ix| ix.name().to_owned()))
                .key_condition_expression(&key_cond)
                .filter_expression(&filter)
                .set_expression_attribute_names(e.names())
                .set_expression_attribute_values(e.values())
                .scan_index_forward(!query.descending)
                .limit(i32::try_from(remaining).unwrap_or(i32::MAX))
                .set_consistent_read(query.index.is_none().then_some(true))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(map_sdk)?;
            for m in out.items() {
                items.push(from_map(m)?);
            }
            last = out.last_evaluated_key().cloned();
            if items.len() >= query.limit || last.is_none() {
                break;
            }
            start = last.clone();
        }
        let next = match last {
            Some(m) => Some(cursor_from_map(&m, query.index)?.encode()),
            None => None,
        };
        Ok(Page { items, next })
    }

    async fn transact_write(&self, ops: Vec<TxOp>) -> StoreResult<()> {
        validate::transaction(&ops)?;
        let now = now_epoch_seconds();
        let mut items = Vec::with_capacity(ops.len());
        for op in &ops {
            let mut e = Expr::default();
            let item = match op {
                TxOp::Put { item, condition } => {
                    let cond = condition.as_ref().map(|c| e.guarded(c, now));
                    TransactWriteItem::builder()
                        .put(
                            Put::builder()
                                .table_name(&self.table)
                                .set_item(Some(to_map(item)))
                                .set_condition_expression(cond)
                                .set_expression_attribute_names(e.names())
                                .set_expression_attribute_values(e.values())
                                .build()
                                .map_err(backend)?,
                        )
                        .build()
                }
                TxOp::Update {
                    key,
                    update,
                    condition,
                } => {
                    let expr = e.update(update);
                    let cond = condition.as_ref().map(|c| e.guarded(c, now));
                    TransactWriteItem::builder()
                        .update(
                            DdbUpdate::builder()
                                .table_name(&self.table)
                                .set_key(Some(key_map(key)))
                                .update_expression(expr)
                                .set_condition_expression(cond)
                                .set_expression_attribute_names(e.names())
                                .set_expression_attribute_values(e.values())
                                .build()
                                .map_err(backend)?,
                        )
                        .build()
                }
                TxOp::Delete { key, condition } => {
                    let cond = condition.as_ref().map(|c| e.guarded(c, now));
                    TransactWriteItem::builder()
                        .delete(
                            Delete::builder()
                                .table_name(&self.table)
                                .set_key(Some(key_map(key)))
                                .set_condition_expression(cond)
                                .set_expression_attribute_names(e.names())
                                .set_expression_attribute_values(e.values())
                                .build()
                                .map_err(backend)?,
                        )
                        .build()
                }
                TxOp::Check { key, condition } => {
                    let cond = e.guarded(condition, now);
                    TransactWriteItem::builder()
                        .condition_check(
                            ConditionCheck::builder()
                                .table_name(&self.table)
                                .set_key(Some(key_map(key)))
                                .condition_expression(cond)
                                .set_expression_attribute_names(e.names())
                                .set_expression_attribute_values(e.values())
                                .build()
                                .map_err(backend)?,
                        )
                        .build()
                }
            };
            items.push(item);
        }
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(se))
                if matches!(
                    se.err(),
                    TransactWriteItemsError::TransactionCanceledException(_)
                ) =>
            {
                let TransactWriteItemsError::TransactionCanceledException(tc) = se.err() else {
                    return Err(StoreError::Backend("unreachable".into()));
                };
                let reasons = tc.cancellation_reasons();
                let failed: Vec<usize> = reasons
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.code() == Some("ConditionalCheckFailed"))
                    .map(|(i, _)| i)
                    .collect();
                if !failed.is_empty() {
                    Err(StoreError::TransactionCanceled { failed })
                } else if reasons
                    .iter()
                    .any(|r| r.code() == Some("TransactionConflict"))
                {
                    Err(StoreError::Conflict)
                } else {
                    Err(StoreError::Backend(format!(
                        "transaction cancelled: {}",
                        tc.message().unwrap_or("no reason given")
                    )))
                }
            }
            Err(e) => Err(map_sdk(e)),
        }
    }
}
