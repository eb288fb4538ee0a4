//! What a type's fixture event is made from (feature `fixtures`): the
//! channel it is about, a number that varies the viewer, and the time; and
//! the two ways fixtures fill in who acted.

use serde_json::{json, Value};

/// The channel a sample is about.
#[derive(Debug, Clone)]
pub struct Channel {
    pub id: String,
    pub login: String,
    pub name: String,
}

impl Channel {
    /// A channel with this id, named as the simulated Twitch names user
    /// `id` (`user1337`, `User1337`), so a feed of simulated events and
    /// the simulator's lookups speak of one channel by one name.
    pub fn new(id: &str) -> Self {
        Self {
            id: id.to_owned(),
            login: format!("user{id}"),
            name: format!("User{id}"),
        }
    }
}

/// What a type's fixture event is made from: the channel, a number that
/// varies the viewer and the amounts, and the event's time (RFC 3339).
pub struct Scene<'a> {
    pub channel: &'a Channel,
    pub seq: u64,
    pub at: String,
}

impl Scene<'_> {
    /// `event` with the channel's `broadcaster_user_*` fields where it has none.
    pub fn in_channel(&self, mut event: Value) -> Value {
        let b = json!({
            "broadcaster_user_id": self.channel.id,
            "broadcaster_user_login": self.channel.login,
            "broadcaster_user_name": self.channel.name,
        });
        if let Value::Object(m) = &mut event {
            if let Value::Object(bm) = b {
                for (k, v) in bm {
                    m.entry(k).or_insert(v);
                }
            }
        }
        event
    }

    /// `fields` done by the viewer `seq` picks, in the channel.
    pub fn by_viewer(&self, fields: Value) -> Value {
        let user_id = (100_000 + self.seq % 900_000).to_string();
        let user = json!({
            "user_id": user_id,
            "user_login": format!("viewer_{user_id}"),
            "user_name": format!("Viewer_{user_id}"),
        });
        self.in_channel(merge(user, fields))
    }
}

fn merge(mut a: Value, b: Value) -> Value {
    if let (Value::Object(am), Value::Object(bm)) = (&mut a, b) {
        am.extend(bm);
    }
    a
}
