//! Test support: the DynamoDB tables, created from `template.yaml` itself so
//! that the tests and the deployed stack cannot disagree about key schemas.

/// The three backends of an aggregate's contract: each listed case runs
/// against `super::sqlite(":memory:")`, `super::sqlite(<a fresh file>)` and
/// `super::dynamo().await` (DynamoDB Local).
#[allow(unused_macros)] // the event suite has its own, with more backends' setup
macro_rules! store_contract {
    ($($case:ident),* $(,)?) => {
        mod sqlite_memory {
            $(#[tokio::test]
            async fn $case() { super::$case(super::sqlite(":memory:")).await })*
        }
        mod sqlite_file {
            $(#[tokio::test]
            async fn $case() {
                let dir = std::env::temp_dir().join(format!("se-contract-{}", uuid::Uuid::new_v4()));
                std::fs::create_dir_all(&dir).unwrap();
                super::$case(super::sqlite(dir.join("store.db").to_str().unwrap())).await;
                let _ = std::fs::remove_dir_all(dir);
            })*
        }
        mod dynamodb_local {
            $(#[tokio::test]
            async fn $case() { super::$case(super::dynamo().await).await })*
        }
    };
}

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification,
};
use aws_sdk_dynamodb::Client;
use serde_yaml::Value;

/// The template's `AWS::DynamoDB::Table` resources: logical id → properties.
pub fn template_tables() -> Vec<(String, Value)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
    let text = std::fs::read_to_string(path).expect("template.yaml is readable");
    let doc: Value = serde_yaml::from_str(&text).expect("template.yaml is YAML");
    let resources = doc["Resources"].as_mapping().expect("Resources");
    resources
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some("AWS::DynamoDB::Table"))
        .map(|(k, r)| (k.as_str().unwrap().to_owned(), r["Properties"].clone()))
        .collect()
}

fn key_schema(v: &Value) -> Vec<KeySchemaElement> {
    v.as_sequence()
        .expect("KeySchema is a list")
        .iter()
        .map(|k| {
            KeySchemaElement::builder()
                .attribute_name(k["AttributeName"].as_str().unwrap())
                .key_type(KeyType::from(k["KeyType"].as_str().unwrap()))
                .build()
                .unwrap()
        })
        .collect()
}

/// The DynamoDB Local endpoint the test script started. Required: these tests
/// must run, never skip (`scripts/test.sh` starts the server and sets it).
pub fn endpoint() -> String {
    std::env::var("DYNAMODB_ENDPOINT")
        .expect("DYNAMODB_ENDPOINT is not set: run scripts/test.sh, which starts DynamoDB Local")
}

/// A streamers store over a fresh copy of the template's `StreamersTable`.
#[allow(dead_code)] // the suites on other tables include this module too
pub async fn streamers_store() -> shared::store::dynamo::DynamoStreamerStore {
    let client = shared::store::dynamo::DynamoStore::local_client(&endpoint());
    let table = format!("streamers-{}", uuid::Uuid::new_v4().simple());
    create_table(&client, "StreamersTable", &table).await;
    shared::store::dynamo::DynamoStreamerStore::new(client, table)
}

/// Creates the template's table `logical` under `name` (with its TTL).
pub async fn create_table(client: &Client, logical: &str, name: &str) {
    let (_, props) = template_tables()
        .into_iter()
        .find(|(k, _)| k == logical)
        .unwrap_or_else(|| panic!("template.yaml declares no table {logical}"));
    let mut req = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_key_schema(Some(key_schema(&props["KeySchema"])));
    for a in props["AttributeDefinitions"].as_sequence().unwrap() {
        req = req.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(a["AttributeName"].as_str().unwrap())
                .attribute_type(ScalarAttributeType::from(
                    a["AttributeType"].as_str().unwrap(),
                ))
                .build()
                .unwrap(),
        );
    }
    if let Some(gsis) = props["GlobalSecondaryIndexes"].as_sequence() {
        for g in gsis {
            req = req.global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(g["IndexName"].as_str().unwrap())
                    .set_key_schema(Some(key_schema(&g["KeySchema"])))
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::from(
                                g["Projection"]["ProjectionType"].as_str().unwrap(),
                            ))
                            .build(),
                    )
                    .build()
                    .unwrap(),
            );
        }
    }
    if let Some(view) = props["StreamSpecification"]["StreamViewType"].as_str() {
        req = req.stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::from(view))
                .build()
                .unwrap(),
        );
    }
    req.send().await.expect("create table");
    if let Some(attr) = props["TimeToLiveSpecification"]["AttributeName"].as_str() {
        client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(attr)
                    .enabled(true)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .expect("enable TTL");
    }
}

/// The events and subscriptions tables under fresh names (with `run` as
/// their suffix), created from the template.
#[allow(dead_code)] // not every test binary stores events
pub async fn create_event_tables(client: &Client, run: &str) -> shared::store::dynamo::Tables {
    let tables = shared::store::dynamo::Tables {
        events: format!("events-{run}"),
        subscriptions: format!("subscriptions-{run}"),
    };
    create_table(client, "EventsTable", &tables.events).await;
    create_table(client, "SubscriptionsTable", &tables.subscriptions).await;
    tables
}
