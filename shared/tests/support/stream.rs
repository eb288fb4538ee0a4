//! DynamoDB Local's real stream of a table, read through the DynamoDB Streams
//! API and handed over as Lambda receives it (`aws_lambda_events` records,
//! built from the same JSON shape Lambda sends), so the counting consumer's
//! tests feed it exactly what its event source mapping would.

use std::collections::HashMap;

use aws_lambda_events::dynamodb::EventRecord;
use aws_sdk_dynamodbstreams::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodbstreams::types::{AttributeValue, ShardIteratorType};
use aws_sdk_dynamodbstreams::Client;
use serde_json::{json, Map, Value};

/// A reader of one table's stream from its start, shard by shard.
pub struct StreamReader {
    client: Client,
    arn: String,
    /// Next iterator per shard id (`None`: the shard is closed and read).
    iterators: HashMap<String, Option<String>>,
}

impl StreamReader {
    /// A reader of `table`'s stream (DynamoDB Local at `endpoint`), from its start.
    pub async fn new(dynamo: &aws_sdk_dynamodb::Client, endpoint: &str, table: &str) -> Self {
        let described = dynamo
            .describe_table()
            .table_name(table)
            .send()
            .await
            .unwrap();
        let arn = described
            .table()
            .and_then(|t| t.latest_stream_arn())
            .expect("the table has a stream")
            .to_owned();
        let config = aws_sdk_dynamodbstreams::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("local", "local", None, None, "static"))
            .endpoint_url(endpoint)
            .build();
        Self {
            client: Client::from_conf(config),
            arn,
            iterators: HashMap::new(),
        }
    }

    /// Every record written since the last call, in stream order per shard.
    pub async fn read(&mut self) -> Vec<EventRecord> {
        let shards = self
            .client
            .describe_stream()
            .stream_arn(&self.arn)
            .send()
            .await
            .unwrap();
        let ids: Vec<String> = shards
            .stream_description()
            .map(|d| {
                d.shards()
                    .iter()
                    .filter_map(|s| s.shard_id().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let mut records = Vec::new();
        for id in ids {
            if !self.iterators.contains_key(&id) {
                let it = self
                    .client
                    .get_shard_iterator()
                    .stream_arn(&self.arn)
                    .shard_id(&id)
                    .shard_iterator_type(ShardIteratorType::TrimHorizon)
                    .send()
                    .await
                    .unwrap();
                self.iterators
                    .insert(id.clone(), it.shard_iterator().map(str::to_owned));
            }
            while let Some(Some(iterator)) = self.iterators.get(&id).cloned() {
                let out = self
                    .client
                    .get_records()
                    .shard_iterator(iterator)
                    .send()
                    .await
                    .unwrap();
                let got = out.records().len();
                records.extend(out.records().iter().map(|r| self.lambda_record(r)));
                self.iterators
                    .insert(id.clone(), out.next_shard_iterator().map(str::to_owned));
                if got == 0 {
                    break;
                }
            }
        }
        records
    }

    /// The record as Lambda hands it to a function (DynamoDB JSON images).
    fn lambda_record(&self, r: &aws_sdk_dynamodbstreams::types::Record) -> EventRecord {
        let change = r.dynamodb().expect("a stream record has its change");
        let image = |i: Option<&HashMap<String, AttributeValue>>| {
            Value::Object(
                i.into_iter()
                    .flatten()
                    .map(|(k, v)| (k.clone(), attribute(v)))
                    .collect::<Map<_, _>>(),
            )
        };
        let record = json!({
            "eventID": r.event_id(),
            "eventName": r.event_name().map(|n| n.as_str()),
            "eventVersion": r.event_version(),
            "eventSource": "aws:dynamodb",
            "awsRegion": "us-east-1",
            "eventSourceARN": self.arn,
            "dynamodb": {
                "ApproximateCreationDateTime": change
                    .approximate_creation_date_time()
                    .map_or(0.0, |t| t.as_secs_f64()),
                "Keys": image(change.keys()),
                "NewImage": image(change.new_image()),
                "SequenceNumber": change.sequence_number(),
                "SizeBytes": change.size_bytes(),
                "StreamViewType": change.stream_view_type().map(|v| v.as_str()),
            },
        });
        serde_json::from_value(record).expect("Lambda's DynamoDB record shape")
    }
}

/// One attribute in DynamoDB JSON (`{"S": "…"}`), as Lambda's event has it.
fn attribute(v: &AttributeValue) -> Value {
    use base64::Engine;
    let b64 = |b: &aws_sdk_dynamodbstreams::primitives::Blob| {
        Value::String(base64::engine::general_purpose::STANDARD.encode(b.as_ref()))
    };
    match v {
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::N(n) => json!({ "N": n }),
        AttributeValue::Bool(b) => json!({ "BOOL": b }),
        AttributeValue::Null(b) => json!({ "NULL": b }),
        AttributeValue::B(b) => json!({ "B": b64(b) }),
        AttributeValue::Ss(s) => json!({ "SS": s }),
        AttributeValue::Ns(s) => json!({ "NS": s }),
        AttributeValue::Bs(s) => json!({ "BS": s.iter().map(b64).collect::<Vec<_>>() }),
        AttributeValue::L(l) => json!({ "L": l.iter().map(attribute).collect::<Vec<_>>() }),
        AttributeValue::M(m) => json!({
            "M": m.iter().map(|(k, v)| (k.clone(), attribute(v))).collect::<Map<_, _>>()
        }),
        other => panic!("unexpected attribute {other:?}"),
    }
}
