//! The [`Store`] trait and its error type.

use async_trait::async_trait;

use crate::model::{Condition, Item, Key, Page, Query, TxOp, Update};

/// What can go wrong talking to the store. Callers match on the first four;
/// the rest are operational and end up as opaque 500s (with the cause logged).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The write's condition did not hold; nothing was written.
    #[error("the condition on the write did not hold")]
    ConditionFailed,
    /// A transaction was cancelled because the conditions of these operations
    /// (indices into the submitted list) did not hold; nothing was written.
    #[error("transaction cancelled: the conditions of operations {failed:?} did not hold")]
    TransactionCanceled { failed: Vec<usize> },
    /// Another transaction touched the same items at the same time; nothing
    /// was written and the whole transaction may be retried.
    #[error("transaction conflicted with a concurrent one; retry")]
    Conflict,
    /// The request itself is malformed (bad key, too many operations...).
    #[error("invalid store request: {0}")]
    Invalid(String),
    /// A pagination cursor that this store did not issue for this query.
    #[error("invalid or foreign pagination cursor")]
    InvalidCursor,
    /// Throttled or unreachable; safe to retry later.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// Anything else from the backend.
    #[error("store backend error: {0}")]
    Backend(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The single-table storage port. Implementations are cheap to clone behind
/// an `Arc` and safe to share between tasks.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Strongly consistent point read; `None` when absent or expired.
    async fn get(&self, key: &Key) -> StoreResult<Option<Item>>;

    /// Reads up to [`crate::MAX_BATCH_GET`] distinct keys; returns the items
    /// that exist, in the order of `keys`.
    async fn batch_get(&self, keys: &[Key]) -> StoreResult<Vec<Item>>;

    /// Writes a whole item, replacing any current one, if `condition` holds.
    async fn put(&self, item: Item, condition: Option<Condition>) -> StoreResult<()>;

    /// Changes attributes of an item (creating it when absent) if `condition`
    /// holds; returns the item as written.
    async fn update(
        &self,
        key: &Key,
        update: Update,
        condition: Option<Condition>,
    ) -> StoreResult<Item>;

    /// Deletes an item if `condition` holds; deleting an absent item is not an error.
    async fn delete(&self, key: &Key, condition: Option<Condition>) -> StoreResult<()>;

    /// One page of a partition of the table or of an index.
    async fn query(&self, query: &Query) -> StoreResult<Page>;

    /// Up to [`crate::MAX_TRANSACT_OPS`] operations on distinct items, all
    /// or nothing. A failed condition cancels the whole transaction and is
    /// reported as [`StoreError::TransactionCanceled`].
    async fn transact_write(&self, ops: Vec<TxOp>) -> StoreResult<()>;
}
