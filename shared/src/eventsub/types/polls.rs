//! Polls: `channel.poll.begin`, `.progress`, `.end`. Known (the simulator
//! accepts them) but not tracked. The broadcaster authorizes
//! with `channel:read:polls` or `channel:manage:polls`.

use serde_json::Value;

use crate::eventsub::kind::{broadcaster, scoped, Grant, Kind};
use crate::eventsub::summary::{
    count, items, n, s, summary, titled, titles, with_message, Summary,
};

const POLLS: &[Grant] = &[broadcaster(&["channel:read:polls", "channel:manage:polls"])];

/// `channel.poll.begin`.
pub const BEGIN: Kind = Kind {
    summarize: Some(poll_begin),
    ..scoped("channel.poll.begin", "1", "Poll started", POLLS, POLL_BEGIN)
};

/// `channel.poll.progress`.
pub const PROGRESS: Kind = Kind {
    summarize: Some(poll_progress),
    ..scoped(
        "channel.poll.progress",
        "1",
        "Poll votes",
        POLLS,
        POLL_PROGRESS,
    )
};

/// `channel.poll.end`.
pub const END: Kind = Kind {
    summarize: Some(poll_end),
    ..scoped("channel.poll.end", "1", "Poll ended", POLLS, POLL_END)
};

/// The poll's name as the feed says it.
fn poll(event: &Value) -> String {
    titled(event, "Poll", "A poll")
}

/// Each choice's title with its votes (`Heads 12 votes`), and the total.
fn tally(event: &Value) -> (Vec<String>, i64) {
    let mut total = 0;
    let lines = items(event, "choices")
        .iter()
        .map(|choice| {
            let votes = n(choice, "votes").unwrap_or(0);
            total += votes;
            format!(
                "{} {}",
                s(choice, "title").unwrap_or("?"),
                count(votes, "vote")
            )
        })
        .collect();
    (lines, total)
}

/// `channel.poll.begin`: the poll and its choices.
pub fn poll_begin(event: &Value) -> Summary {
    let choices = titles(event, "choices");
    let line = with_message(
        format!("{} started", poll(event)),
        Some(&choices.join(", ")),
    );
    let amount = i64::try_from(choices.len()).ok();
    summary(None, "poll_started", amount, line)
}

/// `channel.poll.progress`: the votes so far, per choice.
pub fn poll_progress(event: &Value) -> Summary {
    let (votes, total) = tally(event);
    let line = if votes.is_empty() {
        format!("{} is running", poll(event))
    } else {
        with_message(format!("{} so far", poll(event)), Some(&votes.join(", ")))
    };
    summary(None, "poll_votes", Some(total), line)
}

/// `channel.poll.end`: the winner (or the tie) and the votes per choice;
/// a poll ended early says so.
pub fn poll_end(event: &Value) -> Summary {
    let how = match s(event, "status") {
        Some("terminated") => "was ended early",
        _ => "ended",
    };
    let choices = items(event, "choices");
    // No votes at all: nobody won.
    let top = choices
        .iter()
        .filter_map(|c| n(c, "votes"))
        .max()
        .filter(|v| *v > 0);
    let winners: Vec<&str> = choices
        .iter()
        .filter(|c| top.is_some() && n(c, "votes") == top)
        .map(|c| s(c, "title").unwrap_or("?"))
        .collect();
    let mut line = format!("{} {how}", poll(event));
    match (winners.as_slice(), top) {
        ([one], Some(votes)) => {
            line = format!("{line}: {one} won with {}", count(votes, "vote"));
        }
        ([_, _, ..], Some(votes)) => {
            line = format!(
                "{line}: {} tied with {}",
                winners.join(" and "),
                count(votes, "vote")
            );
        }
        _ => {}
    }
    let (votes, _) = tally(event);
    if !votes.is_empty() {
        line = format!("{line} ({})", votes.join(", "));
    }
    summary(None, "poll_ended", top, line)
}

/// `channel.poll.begin` v1.
pub const POLL_BEGIN: &str = r#"{
    "id": "1243456",
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cool_user",
    "broadcaster_user_name": "Cool_User",
    "title": "Aren't shoes just really hard socks?",
    "choices": [
        {"id": "123", "title": "Yeah!"},
        {"id": "124", "title": "No!"},
        {"id": "125", "title": "Maybe!"}
    ],
    "bits_voting": {"is_enabled": true, "amount_per_vote": 10},
    "channel_points_voting": {"is_enabled": true, "amount_per_vote": 10},
    "started_at": "2020-07-15T17:16:03.17106713Z",
    "ends_at": "2020-07-15T17:16:08.17106713Z"
}"#;

/// `channel.poll.progress` v1.
pub const POLL_PROGRESS: &str = r#"{
    "id": "1243456",
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cool_user",
    "broadcaster_user_name": "Cool_User",
    "title": "Aren't shoes just really hard socks?",
    "choices": [
        {"id": "123", "title": "Yeah!", "bits_votes": 5, "channel_points_votes": 7, "votes": 12},
        {"id": "124", "title": "No!", "bits_votes": 10, "channel_points_votes": 4, "votes": 14},
        {"id": "125", "title": "Maybe!", "bits_votes": 0, "channel_points_votes": 7, "votes": 7}
    ],
    "bits_voting": {"is_enabled": true, "amount_per_vote": 10},
    "channel_points_voting": {"is_enabled": true, "amount_per_vote": 10},
    "started_at": "2020-07-15T17:16:03.17106713Z",
    "ends_at": "2020-07-15T17:16:08.17106713Z"
}"#;

/// `channel.poll.end` v1.
pub const POLL_END: &str = r#"{
    "id": "1243456",
    "broadcaster_user_id": "1337",
    "broadcaster_user_login": "cool_user",
    "broadcaster_user_name": "Cool_User",
    "title": "Aren't shoes just really hard socks?",
    "choices": [
        {"id": "123", "title": "Blue", "bits_votes": 50, "channel_points_votes": 70, "votes": 120},
        {"id": "124", "title": "Yellow", "bits_votes": 100, "channel_points_votes": 40, "votes": 140},
        {"id": "125", "title": "Green", "bits_votes": 10, "channel_points_votes": 70, "votes": 80}
    ],
    "bits_voting": {"is_enabled": true, "amount_per_vote": 10},
    "channel_points_voting": {"is_enabled": true, "amount_per_vote": 10},
    "status": "completed",
    "started_at": "2020-07-15T17:16:03.17106713Z",
    "ended_at": "2020-07-15T17:16:11.17106713Z"
}"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eventsub::types::assert_sample_about;
    use crate::eventsub::types::sample_text;
    use serde_json::json;

    #[test]
    fn the_samples_name_the_channel_and_have_a_line() {
        for kind in [BEGIN, PROGRESS, END] {
            assert_sample_about(&kind, "1337");
        }
    }

    #[test]
    fn the_samples_read_as_one_line_each() {
        assert_eq!(
            sample_text(poll_begin, POLL_BEGIN),
            "Poll \"Aren't shoes just really hard socks?\" started: Yeah!, No!, Maybe!"
        );
        assert_eq!(
            sample_text(poll_progress, POLL_PROGRESS),
            "Poll \"Aren't shoes just really hard socks?\" so far: Yeah! 12 votes, No! 14 votes, Maybe! 7 votes"
        );
        assert_eq!(
            sample_text(poll_end, POLL_END),
            "Poll \"Aren't shoes just really hard socks?\" ended: Yellow won with 140 votes \
             (Blue 120 votes, Yellow 140 votes, Green 80 votes)"
        );
    }

    #[test]
    fn ties_early_ends_and_missing_fields_read_plainly() {
        let tie = json!({"title": "Heads or tails?", "status": "terminated", "choices": [
            {"title": "Heads", "votes": 1}, {"title": "Tails", "votes": 1}
        ]});
        assert_eq!(
            poll_end(&tie).text,
            "Poll \"Heads or tails?\" was ended early: Heads and Tails tied with 1 vote \
             (Heads 1 vote, Tails 1 vote)"
        );
        assert_eq!(poll_begin(&json!({})).text, "A poll started");
        let silent = json!({"title": "Hm?", "choices": [{"title": "A", "votes": 0}]});
        assert_eq!(poll_end(&silent).text, "Poll \"Hm?\" ended (A 0 votes)");
        assert_eq!(
            poll_progress(&json!({"choices": 5})).text,
            "A poll is running"
        );
        assert_eq!(
            poll_end(&json!({"choices": [{}]})).text,
            "A poll ended (? 0 votes)"
        );
    }
}
