//! A moved callback: subscriptions at a former one are ours, kept until the
//! new one is enabled, then deleted as moved.

use super::tests::{creates, deletes, sub, wanted, CALLBACK};
use super::*;
use shared::eventsub::catalog::kind;

const FORMER: &str = "https://abc123.execute-api.us-east-1.amazonaws.com/eventsub";

fn callbacks(former: &[String]) -> Callbacks<'_> {
    Callbacks {
        current: CALLBACK,
        former,
    }
}

/// An enabled stream.online at the former callback, and `id` beside it.
fn beside_the_old(id: &str, status: Status, callback: &str) -> [Subscription; 2] {
    let online = kind("stream.online").unwrap();
    [
        sub("old", online, "7", Status::Enabled, FORMER),
        sub(id, online, "7", status, callback),
    ]
}

/// The state of a type delivered by subscription `id`.
fn enabled(id: &str) -> TypeState {
    TypeState::Enabled {
        subscription_id: id.into(),
    }
}

/// The one former callback of these tests.
fn former() -> Vec<String> {
    vec![FORMER.to_owned()]
}

#[test]
fn a_type_at_a_former_callback_is_created_at_the_new_one_and_the_old_kept_delivering() {
    let online = kind("stream.online").unwrap();
    let actual = [sub("old", online, "7", Status::Enabled, FORMER)];
    let former = former();

    let p = plan(
        &wanted(&["stream.online"], &[]),
        &actual,
        callbacks(&former),
    );

    assert_eq!(creates(&p), ["stream.online"]);
    assert!(deletes(&p).is_empty(), "{:?}", deletes(&p));
    assert_eq!(p.states["stream.online"], enabled("old"));
    assert_eq!(p.moving["stream.online"], "old");
}

#[test]
fn the_old_one_stays_while_the_new_one_awaits_its_verification() {
    let actual = beside_the_old("new", Status::WebhookCallbackVerificationPending, CALLBACK);
    let former = former();

    let p = plan(
        &wanted(&["stream.online"], &[]),
        &actual,
        callbacks(&former),
    );

    assert!(p.actions.is_empty(), "{:?}", p.actions);
    assert_eq!(p.states["stream.online"], enabled("old"));
}

#[test]
fn once_the_new_one_is_enabled_the_old_one_is_deleted_as_moved() {
    let actual = beside_the_old("new", Status::Enabled, CALLBACK);
    let former = former();

    let p = plan(
        &wanted(&["stream.online"], &[]),
        &actual,
        callbacks(&former),
    );

    assert_eq!(deletes(&p), [("old", "moved")]);
    assert!(creates(&p).is_empty());
    assert_eq!(p.states["stream.online"], enabled("new"));
}

#[test]
fn a_new_callback_that_never_verifies_leaves_the_old_one_delivering() {
    let actual = beside_the_old("new", Status::WebhookCallbackVerificationFailed, CALLBACK);
    let former = former();
    let mut d = wanted(&["stream.online"], &[]);
    d.recreated.insert("stream.online".into(), MAX_RECREATE);

    let p = plan(&d, &actual, callbacks(&former));

    assert_eq!(deletes(&p), [("new", "failed")]);
    assert!(creates(&p).is_empty());
    assert_eq!(p.states["stream.online"], enabled("old"));
}

#[test]
fn a_released_streamer_loses_its_subscriptions_at_former_callbacks_too() {
    let actual = beside_the_old("theirs", Status::Enabled, "https://other.example/eventsub");
    let former = former();
    let mut d = wanted(&["stream.online"], &[]);
    d.wanted = false;

    let p = plan(&d, &actual, callbacks(&former));

    assert_eq!(deletes(&p), [("old", "streamer released")]);
}

#[test]
fn former_callbacks_are_read_comma_separated_without_blanks() {
    assert_eq!(
        crate::apply::callback_list(" https://a/eventsub, ,https://b/eventsub "),
        ["https://a/eventsub", "https://b/eventsub"]
    );
    assert!(crate::apply::callback_list("").is_empty());
}
