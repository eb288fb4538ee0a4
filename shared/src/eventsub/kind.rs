//! What the catalog says of one EventSub type ([`Kind`]): its version, the
//! fields its condition may hold, who must authorize our client before an app
//! token may create it, its label, summary, dedupe key, sample and fixture;
//! and the constructors the type files build their entries with.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

#[cfg(feature = "fixtures")]
use super::scene::Scene;
use super::subscription::Condition;
use super::summary::Summary;

/// Scopes one of a set of users must have granted our client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grant {
    /// Condition fields naming the users who may have granted it.
    pub by: &'static [&'static str],
    /// Any one of these scopes will do.
    pub scopes: &'static [&'static str],
}

/// Who must have authorized our client for a type, as the planner reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needs {
    /// Nothing: anyone's channel can be watched (costs 1 unless the
    /// broadcaster authorized us with any scope).
    Nothing,
    /// The broadcaster, with one of these scopes.
    Broadcaster(&'static [&'static str]),
    /// The broadcaster or one of their moderators, with one of these scopes.
    BroadcasterOrModerator(&'static [&'static str]),
}

/// The fields a type's condition may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConditionShape {
    /// Fields that must all be present.
    pub required: &'static [&'static str],
    /// Fields of which at least one must be present (`channel.raid`).
    pub one_of: &'static [&'static str],
    /// Fields that may be present.
    pub optional: &'static [&'static str],
    /// The fields we set to the streamer's id to watch them (incoming raids;
    /// the broadcaster as their own moderator for follows, which is what their
    /// own authorization allows).
    pub watch: &'static [&'static str],
}

/// One subscription type at the version this system uses.
#[derive(Clone, Copy, Debug)]
pub struct Kind {
    /// The wire name (`channel.follow`).
    pub name: &'static str,
    /// The version this system creates and expects.
    pub version: &'static str,
    /// What a person calls it ("New follower"), for pages and reports.
    pub label: &'static str,
    /// True for the types a tracked streamer gets.
    pub tracked: bool,
    pub condition: ConditionShape,
    /// Every grant must hold; empty: no authorization needed.
    pub grants: &'static [Grant],
    /// The feed's one-line summary; `None`: stored raw.
    pub summarize: Option<fn(&Value) -> Summary>,
    /// The id that names one real-world event across Twitch message ids (a
    /// stream, a follow, a redemption), for the types that carry one: the
    /// store keeps one row per such id.
    pub dedupe_key: Option<fn(&Value) -> Option<String>>,
    /// Twitch's documented `event` object for this type.
    pub sample: &'static str,
    /// A realistic `event` object for a channel, varied by the scene's
    /// sequence number; `None`: the fixtures send a placeholder.
    #[cfg(feature = "fixtures")]
    pub fixture: Option<fn(&Scene) -> Value>,
}

// Identity is the type and version; the function pointers are not compared.
impl PartialEq for Kind {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.version == other.version
    }
}

impl Eq for Kind {}

/// The one condition field most types hold.
pub(crate) const B: &[&str] = &["broadcaster_user_id"];

/// The condition of most types: the broadcaster, watched by their id.
pub(crate) const BROADCASTER: ConditionShape = ConditionShape {
    required: B,
    one_of: &[],
    optional: &[],
    watch: B,
};

/// A type anyone's channel can be watched for, with no summary.
pub(crate) const fn open(
    name: &'static str,
    version: &'static str,
    label: &'static str,
    sample: &'static str,
) -> Kind {
    Kind {
        name,
        version,
        label,
        tracked: false,
        condition: BROADCASTER,
        grants: &[],
        summarize: None,
        dedupe_key: None,
        sample,
        #[cfg(feature = "fixtures")]
        fixture: None,
    }
}

/// A type the broadcaster must authorize with one of `grants`' scopes.
pub(crate) const fn scoped(
    name: &'static str,
    version: &'static str,
    label: &'static str,
    grants: &'static [Grant],
    sample: &'static str,
) -> Kind {
    Kind {
        grants,
        ..open(name, version, label, sample)
    }
}

/// A grant the broadcaster gives with any of `scopes`.
pub(crate) const fn broadcaster(scopes: &'static [&'static str]) -> Grant {
    Grant { by: B, scopes }
}

/// A type about our own client (`condition.client_id`), not a streamer.
pub(crate) const fn app(name: &'static str, label: &'static str, sample: &'static str) -> Kind {
    Kind {
        condition: ConditionShape {
            required: &["client_id"],
            one_of: &[],
            optional: &[],
            watch: &[],
        },
        ..open(name, "1", label, sample)
    }
}

impl Kind {
    /// The condition that watches `broadcaster`.
    pub fn condition(&self, broadcaster: &str) -> BTreeMap<String, String> {
        self.condition
            .watch
            .iter()
            .map(|f| ((*f).to_owned(), broadcaster.to_owned()))
            .collect()
    }

    /// True when a listed condition is the one [`Kind::condition`] builds for
    /// `broadcaster`. Twitch lists optional fields it was not given as empty
    /// strings (a raid created with only `to_broadcaster_user_id` comes back
    /// with `from_broadcaster_user_id: ""`), so those do not count.
    pub fn matches(&self, listed: &Condition, broadcaster: &str) -> bool {
        let listed: BTreeMap<&str, &str> = listed
            .iter()
            .filter_map(|(k, v)| Some((k.as_str(), v.as_str()?)))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        let built = self.condition(broadcaster);
        let built: BTreeMap<&str, &str> = built
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        listed == built
    }

    /// Who must authorize our client, for the planner's report.
    pub fn needs(&self) -> Needs {
        match self.grants.first() {
            None => Needs::Nothing,
            Some(g) if g.by.contains(&"moderator_user_id") => {
                Needs::BroadcasterOrModerator(g.scopes)
            }
            Some(g) => Needs::Broadcaster(g.scopes),
        }
    }

    /// The scopes any one of which unlocks this type (empty: none needed).
    pub fn scopes(&self) -> &'static [&'static str] {
        self.grants.first().map_or(&[], |g| g.scopes)
    }

    /// True when `granted` (the broadcaster's scopes for our client) unlocks it.
    pub fn unlocked_by(&self, granted: &[String]) -> bool {
        let scopes = self.scopes();
        scopes.is_empty() || scopes.iter().any(|s| granted.iter().any(|g| g == s))
    }

    /// True when the type needs a user's authorization (and so costs 0).
    pub fn needs_authorization(&self) -> bool {
        !self.grants.is_empty()
    }

    /// Checks a condition's fields as Twitch does on create; the error says
    /// what is wrong.
    pub fn check_condition(&self, condition: &Map<String, Value>) -> Result<(), String> {
        let shape = &self.condition;
        let present = |field: &str| {
            condition
                .get(field)
                .and_then(Value::as_str)
                .is_some_and(|v| !v.is_empty())
        };
        if let Some(missing) = shape.required.iter().find(|f| !present(f)) {
            return Err(format!("condition.{missing} is required"));
        }
        if !shape.one_of.is_empty() && !shape.one_of.iter().any(|f| present(f)) {
            return Err(format!(
                "condition needs one of {}",
                shape.one_of.join(", ")
            ));
        }
        for (field, value) in condition {
            let known = [shape.required, shape.one_of, shape.optional]
                .iter()
                .any(|fields| fields.contains(&field.as_str()));
            if !known {
                return Err(format!("condition.{field} is not valid for {}", self.name));
            }
            if !value.is_string() {
                return Err(format!("condition.{field} must be a string"));
            }
        }
        Ok(())
    }
}
