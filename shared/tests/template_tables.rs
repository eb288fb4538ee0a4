//! The tables in template.yaml have what the code's access patterns need.

#[allow(dead_code)] // the table builders serve the contract suite
mod support;

use support::template_tables;

fn attrs(props: &serde_yaml::Value, list: &str) -> Vec<(String, String)> {
    props[list]
        .as_sequence()
        .map(|s| {
            s.iter()
                .map(|a| {
                    (
                        a["AttributeName"].as_str().unwrap_or_default().to_owned(),
                        a["KeyType"]
                            .as_str()
                            .or(a["AttributeType"].as_str())
                            .unwrap_or_default()
                            .to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The billing mode a table has when the template's parameters keep their
/// defaults: `PAY_PER_REQUEST` written out, or the on-demand branch of
/// `!If [TablesProvisioned, PROVISIONED, PAY_PER_REQUEST]` (TableCapacityMode).
fn on_demand_by_default(props: &serde_yaml::Value) -> Option<&str> {
    match &props["BillingMode"] {
        serde_yaml::Value::Tagged(t) if t.tag == "If" => {
            let branches = t.value.as_sequence()?;
            (branches.first()?.as_str() == Some("TablesProvisioned")
                && branches.get(1)?.as_str() == Some("PROVISIONED"))
            .then(|| branches.get(2)?.as_str())
            .flatten()
        }
        mode => mode.as_str(),
    }
}

#[test]
fn every_table_expires_items_by_ttl_on_expires_at() {
    let tables = template_tables();
    assert!(tables.len() >= 2);
    for (name, props) in tables {
        let ttl = &props["TimeToLiveSpecification"];
        assert_eq!(ttl["AttributeName"].as_str(), Some("expires_at"), "{name}");
        assert_eq!(ttl["Enabled"].as_bool(), Some(true), "{name}");
        assert_eq!(
            on_demand_by_default(&props),
            Some("PAY_PER_REQUEST"),
            "{name}"
        );
    }
}

#[test]
fn events_table_has_the_keys_and_stream_the_adapter_uses_and_no_lsi() {
    let (_, t) = template_tables()
        .into_iter()
        .find(|(k, _)| k == "EventsTable")
        .expect("EventsTable");
    assert_eq!(
        attrs(&t, "KeySchema"),
        [("pk".into(), "HASH".into()), ("sk".into(), "RANGE".into())]
    );
    assert_eq!(
        t["StreamSpecification"]["StreamViewType"].as_str(),
        Some("NEW_IMAGE")
    );
    // A local secondary index would cap one streamer's feed at 10 GB.
    assert!(t["LocalSecondaryIndexes"].is_null());
    // The feed the keyed put's events are read by, with every attribute.
    let feed = t["GlobalSecondaryIndexes"]
        .as_sequence()
        .and_then(|g| {
            g.iter()
                .find(|i| i["IndexName"].as_str() == Some(shared::store::dynamo::FEED_INDEX))
        })
        .expect("the feed index");
    assert_eq!(
        attrs(feed, "KeySchema"),
        [
            ("feed".into(), "HASH".into()),
            ("pos".into(), "RANGE".into())
        ]
    );
    assert_eq!(feed["Projection"]["ProjectionType"].as_str(), Some("ALL"));
}

#[test]
fn subscriptions_table_is_keyed_by_subscription_id() {
    let (_, t) = template_tables()
        .into_iter()
        .find(|(k, _)| k == "SubscriptionsTable")
        .expect("SubscriptionsTable");
    assert_eq!(attrs(&t, "KeySchema"), [("id".into(), "HASH".into())]);
}
