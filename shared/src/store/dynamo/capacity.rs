//! Consumed capacity, as DynamoDB itself reports it, for cost measurements.
//!
//! [`CapacityMeter`] is an SDK interceptor: attached to a client (tests and
//! the cost report do; the functions never do), it asks every request for
//! `ReturnConsumedCapacity = INDEXES` and adds up what the answers say, per
//! table and index. The adapters' code paths stay exactly what production
//! runs: no extra calls, no extra request fields unless a meter is attached.
//!
//! Error answers carry no `ConsumedCapacity` (a failed condition, a cancelled
//! transaction): those calls are counted in [`Units::unreported`] by operation,
//! for the report to price by DynamoDB's documented rules.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::{
    BeforeSerializationInterceptorContextMut, FinalizerInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::operation::{
    batch_get_item::{BatchGetItemError, BatchGetItemInput, BatchGetItemOutput},
    batch_write_item::{BatchWriteItemError, BatchWriteItemInput, BatchWriteItemOutput},
    delete_item::{DeleteItemError, DeleteItemInput, DeleteItemOutput},
    get_item::{GetItemError, GetItemInput, GetItemOutput},
    put_item::{PutItemError, PutItemInput, PutItemOutput},
    query::{QueryError, QueryInput, QueryOutput},
    scan::{ScanError, ScanInput, ScanOutput},
    transact_get_items::{TransactGetItemsError, TransactGetItemsInput, TransactGetItemsOutput},
    transact_write_items::{
        TransactWriteItemsError, TransactWriteItemsInput, TransactWriteItemsOutput,
    },
    update_item::{UpdateItemError, UpdateItemInput, UpdateItemOutput},
};
use aws_sdk_dynamodb::types::{ConsumedCapacity, ReturnConsumedCapacity};

/// What the requests since the last [`CapacityMeter::take`] consumed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Units {
    /// Read capacity units (Get, Query, Scan, BatchGet, TransactGet).
    pub read: f64,
    /// Write capacity units (Put, Update, Delete, BatchWrite, TransactWrite).
    pub write: f64,
    /// Units by `table` or `table/index`, reads and writes together.
    pub by_target: BTreeMap<String, f64>,
    /// Successful calls by operation name.
    pub calls: BTreeMap<&'static str, u32>,
    /// Failed calls by operation name: DynamoDB reports no capacity for them.
    pub unreported: BTreeMap<&'static str, u32>,
}

/// Counts the capacity every request of a client reports; see the module doc.
#[derive(Debug, Clone, Default)]
pub struct CapacityMeter {
    units: Arc<Mutex<Units>>,
}

impl CapacityMeter {
    /// What was consumed since the last call; starts a new tally.
    pub fn take(&self) -> Units {
        self.units
            .lock()
            .map(|mut u| std::mem::take(&mut *u))
            .unwrap_or_default()
    }

    /// A local client (as [`super::DynamoStore::local_client`]) with this
    /// meter attached.
    pub fn local_client(&self, endpoint: &str) -> aws_sdk_dynamodb::Client {
        let config = super::DynamoStore::local_config(endpoint)
            .interceptor(self.clone())
            .build();
        aws_sdk_dynamodb::Client::from_conf(config)
    }

    fn record(&self, op: &'static str, write: bool, reported: &[ConsumedCapacity]) {
        let Ok(mut u) = self.units.lock() else { return };
        *u.calls.entry(op).or_default() += 1;
        for c in reported {
            let total = c.capacity_units().unwrap_or_default();
            if write {
                u.write += total;
            } else {
                u.read += total;
            }
            let table = c.table_name().unwrap_or("?").to_owned();
            if let Some(t) = c.table().and_then(|t| t.capacity_units()) {
                *u.by_target.entry(table.clone()).or_default() += t;
            }
            for (name, index) in c.global_secondary_indexes().into_iter().flatten() {
                *u.by_target.entry(format!("{table}/{name}")).or_default() +=
                    index.capacity_units().unwrap_or_default();
            }
        }
    }

    fn failed(&self, op: &'static str) {
        if let Ok(mut u) = self.units.lock() {
            *u.unreported.entry(op).or_default() += 1;
        }
    }
}

/// Sets `return_consumed_capacity` on whichever input type this is.
macro_rules! ask {
    ($input:expr, $($ty:ty),*) => {
        $(if let Some(i) = $input.downcast_mut::<$ty>() {
            i.return_consumed_capacity = Some(ReturnConsumedCapacity::Indexes);
        })*
    };
}

impl Intercept for CapacityMeter {
    fn name(&self) -> &'static str {
        "CapacityMeter"
    }

    fn modify_before_serialization(
        &self,
        context: &mut BeforeSerializationInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let input = context.input_mut();
        ask!(
            input,
            GetItemInput,
            PutItemInput,
            UpdateItemInput,
            DeleteItemInput,
            QueryInput,
            ScanInput,
            BatchGetItemInput,
            BatchWriteItemInput,
            TransactGetItemsInput,
            TransactWriteItemsInput
        );
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        match context.output_or_error() {
            Some(Ok(out)) => {
                let one = |c: Option<&ConsumedCapacity>| c.into_iter().cloned().collect::<Vec<_>>();
                macro_rules! reported {
                    ($($ty:ty => $op:literal, $write:literal, $get:expr);* $(;)?) => {
                        $(if let Some(o) = out.downcast_ref::<$ty>() {
                            #[allow(clippy::redundant_closure_call)]
                            return Ok(self.record($op, $write, &($get)(o)));
                        })*
                    };
                }
                reported!(
                    GetItemOutput => "GetItem", false, |o: &GetItemOutput| one(o.consumed_capacity());
                    QueryOutput => "Query", false, |o: &QueryOutput| one(o.consumed_capacity());
                    ScanOutput => "Scan", false, |o: &ScanOutput| one(o.consumed_capacity());
                    BatchGetItemOutput => "BatchGetItem", false, |o: &BatchGetItemOutput| o.consumed_capacity().to_vec();
                    TransactGetItemsOutput => "TransactGetItems", false, |o: &TransactGetItemsOutput| o.consumed_capacity().to_vec();
                    PutItemOutput => "PutItem", true, |o: &PutItemOutput| one(o.consumed_capacity());
                    UpdateItemOutput => "UpdateItem", true, |o: &UpdateItemOutput| one(o.consumed_capacity());
                    DeleteItemOutput => "DeleteItem", true, |o: &DeleteItemOutput| one(o.consumed_capacity());
                    BatchWriteItemOutput => "BatchWriteItem", true, |o: &BatchWriteItemOutput| o.consumed_capacity().to_vec();
                    TransactWriteItemsOutput => "TransactWriteItems", true, |o: &TransactWriteItemsOutput| o.consumed_capacity().to_vec();
                );
                self.record("other", false, &[]);
            }
            Some(Err(e)) => {
                let op = e.as_operation_error().map_or("other", |e| {
                    macro_rules! named {
                        ($($ty:ty => $name:literal),*) => {
                            $(if e.downcast_ref::<$ty>().is_some() { return $name; })*
                        };
                    }
                    named!(
                        GetItemError => "GetItem",
                        PutItemError => "PutItem",
                        UpdateItemError => "UpdateItem",
                        DeleteItemError => "DeleteItem",
                        QueryError => "Query",
                        ScanError => "Scan",
                        BatchGetItemError => "BatchGetItem",
                        BatchWriteItemError => "BatchWriteItem",
                        TransactGetItemsError => "TransactGetItems",
                        TransactWriteItemsError => "TransactWriteItems"
                    );
                    "other"
                });
                self.failed(op);
            }
            None => {}
        }
        Ok(())
    }
}
