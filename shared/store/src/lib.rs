//! The storage port: one DynamoDB-shaped table behind a small async trait.
//!
//! Everything the control plane and the media edge persist goes through
//! [`Store`]: items addressed by a partition key (`pk`) and sort key (`sk`),
//! conditional writes, sort-key range queries on the table or a sparse GSI,
//! and all-or-nothing transactions. Two adapters implement it with the same
//! observable behaviour, proven by one contract test suite:
//!
//! - [`embedded::EmbeddedStore`] — redb, a single file (or memory); the local
//!   all-in-one and most tests.
//! - `dynamodb::DynamoStore` (feature `dynamodb`) — aws-sdk-dynamodb on AWS.
//!
//! Items whose `expires_at` (epoch seconds) has passed are invisible to every
//! read and count as absent in conditions, whether or not a sweeper (redb) or
//! DynamoDB's lazy TTL has removed them yet.

pub mod embedded;
pub mod keys;
mod model;
mod port;
pub mod repo;
mod validate;

#[cfg(feature = "dynamodb")]
pub mod dynamodb;

pub use model::{
    ATTR_EXPIRES_AT, ATTR_PK, ATTR_SK, Condition, Cursor, Index, Item, Key, Page, Query, SortKey,
    TxOp, Update, Value, now_epoch_ms, now_epoch_seconds,
};
pub use port::{Store, StoreError, StoreResult};
pub use validate::{MAX_BATCH_GET, MAX_QUERY_LIMIT, MAX_TRANSACT_OPS};
