//! Conditional writes and transactions: the one place that reads a write
//! DynamoDB refused because a condition did not hold. A refused condition is
//! an answer ("already there", "not there", "used up"), any other error a
//! failure; each caller says which answer it means.

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{Delete, TransactWriteItem, Update};
use aws_sdk_dynamodb::Client;

use super::{n, sdk_error, unavailable, Item};
use crate::store::StoreError;

/// A conditional write's output, or `None` when its condition did not hold
/// (the one refusal that is not a failure); any other error as the store's.
pub(super) fn unless_refused<O, E, R>(
    result: Result<O, SdkError<E, R>>,
) -> Result<Option<O>, StoreError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match result {
        Ok(out) => Ok(Some(out)),
        Err(e) if is_condition_failed(&e) => Ok(None),
        Err(e) => Err(sdk_error(e)),
    }
}

/// A conditional write's outcome: `Ok(true)` when it was written,
/// `Ok(false)` when its condition did not hold (see [`unless_refused`]).
pub(super) fn written<O, E, R>(result: Result<O, SdkError<E, R>>) -> Result<bool, StoreError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    unless_refused(result).map(|out| out.is_some())
}

/// Whether a single-item write was refused by its condition.
fn is_condition_failed<E, R>(e: &SdkError<E, R>) -> bool
where
    E: ProvideErrorMetadata,
{
    e.code() == Some("ConditionalCheckFailedException")
}

/// What a transaction did.
#[derive(Debug)]
pub(super) enum Transacted {
    /// Every item was written.
    Done,
    /// Cancelled, nothing written: which items failed their condition (in
    /// the order given), and the error for a caller that reads none of them
    /// as an answer.
    Cancelled {
        failed: Vec<bool>,
        error: StoreError,
    },
}

impl Transacted {
    /// `Ok(true)` when written, `Ok(false)` when some item's condition did
    /// not hold, the error when it was cancelled for another reason.
    pub(super) fn written(self) -> Result<bool, StoreError> {
        match self {
            Transacted::Done => Ok(true),
            Transacted::Cancelled { failed, .. } if failed.contains(&true) => Ok(false),
            Transacted::Cancelled { error, .. } => Err(error),
        }
    }
}

/// Writes `items` as one transaction; a cancellation is an answer the caller
/// reads ([`Transacted::Cancelled`]), any other error a failure.
pub(super) async fn transact(
    client: &Client,
    items: Vec<TransactWriteItem>,
) -> Result<Transacted, StoreError> {
    let result = client
        .transact_write_items()
        .set_transact_items(Some(items))
        .send()
        .await;
    match result {
        Ok(_) => Ok(Transacted::Done),
        Err(e) => match e.as_service_error().and_then(failed_conditions) {
            Some(failed) => Ok(Transacted::Cancelled {
                failed,
                error: sdk_error(e),
            }),
            None => Err(sdk_error(e)),
        },
    }
}

/// Which items of a cancelled transaction failed their condition.
fn failed_conditions(e: &TransactWriteItemsError) -> Option<Vec<bool>> {
    match e {
        TransactWriteItemsError::TransactionCanceledException(c) => Some(
            c.cancellation_reasons()
                .iter()
                .map(|r| r.code() == Some("ConditionalCheckFailed"))
                .collect(),
        ),
        _ => None,
    }
}

/// An item deleted together with a count of such items kept on another.
pub(super) struct CountedDelete<'a> {
    pub table: &'a str,
    /// The item to delete; the transaction is cancelled when it is not there.
    pub item: Item,
    /// The item holding the count.
    pub counter: Item,
    /// The count's attribute.
    pub count: &'a str,
    /// A condition the counter item must meet too, if any.
    pub counter_condition: Option<&'a str>,
}

/// Deletes an item and takes one off the count kept of such items, in one
/// transaction: item 0 is the delete, item 1 the count.
pub(super) async fn delete_and_decrement(
    client: &Client,
    write: CountedDelete<'_>,
) -> Result<Transacted, StoreError> {
    let delete = Delete::builder()
        .table_name(write.table)
        .set_key(Some(write.item))
        .condition_expression("attribute_exists(pk)")
        .build()
        .map_err(unavailable)?;
    let count = Update::builder()
        .table_name(write.table)
        .set_key(Some(write.counter))
        .update_expression(format!("ADD {} :minus", write.count))
        .set_condition_expression(write.counter_condition.map(str::to_owned))
        .expression_attribute_values(":minus", n(-1))
        .build()
        .map_err(unavailable)?;
    transact(
        client,
        vec![
            TransactWriteItem::builder().delete(delete).build(),
            TransactWriteItem::builder().update(count).build(),
        ],
    )
    .await
}
