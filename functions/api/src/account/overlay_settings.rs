//! An alert overlay's settings: which events alert, the minimums, how long
//! an alert stays, the sound and where on the screen it shows. Kept on the
//! server per favourite, so the URL pasted into OBS never changes when they
//! do; every ticket's answer carries them and a change is pushed to the
//! overlays open at that moment.

use serde::Serialize;
use serde_json::{Map, Value};
use shared::eventsub::catalog;

use crate::error::{shown, ApiError};

/// What a streamer calls an alert, and so what alerts until they choose:
/// follows, subs, resubs, gift bombs, cheers, raids, redemptions and the
/// start and end of hype trains. Title changes, stream start/end, polls,
/// bans and chat are feed material, not alerts.
pub const DEFAULT_TYPES: &[&str] = &[
    "channel.follow",
    "channel.subscribe",
    "channel.subscription.message",
    "channel.subscription.gift",
    "channel.cheer",
    "channel.raid",
    "channel.channel_points_custom_reward_redemption.add",
    "channel.hype_train.begin",
    "channel.hype_train.end",
];

/// Seconds an alert stays on screen: long enough to read, short enough
/// that a raid's queue drains.
const DURATION_S: (u64, u64) = (2, 30);
/// A minimum above this is a typo, not a threshold (no cheer is that big).
const MAX_MINIMUM: u64 = 10_000_000;
/// Where on the screen alerts show.
const POSITIONS: &[&str] = &["top", "center", "bottom"];
/// Every field, for the error naming an unknown one.
const FIELDS: &str =
    "types, min_bits, min_viewers, min_gifts, duration_s, sound, volume, position, alert_recovered";

/// The settings of one overlay, as validated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OverlaySettings {
    /// The EventSub types that alert (known types only).
    pub types: Vec<String>,
    /// Cheers under this many bits do not alert.
    pub min_bits: u64,
    /// Raids with fewer viewers do not alert.
    pub min_viewers: u64,
    /// Gift bombs of fewer subs do not alert.
    pub min_gifts: u64,
    pub duration_s: u64,
    /// Play the alert sound.
    pub sound: bool,
    /// 0–100.
    pub volume: u64,
    /// `top`, `center` or `bottom`.
    pub position: String,
    /// Also alert events found after an outage ("while you were away"):
    /// off by default, since a follow from twenty minutes ago popping up
    /// live misleads the streamer and the audience.
    pub alert_recovered: bool,
}

impl Default for OverlaySettings {
    fn default() -> Self {
        Self {
            types: DEFAULT_TYPES.iter().map(|t| (*t).to_owned()).collect(),
            min_bits: 0,
            min_viewers: 0,
            min_gifts: 0,
            duration_s: 6,
            sound: true,
            volume: 60,
            position: "top".into(),
            alert_recovered: false,
        }
    }
}

fn invalid(name: &'static str, why: impl Into<String>) -> ApiError {
    ApiError::InvalidParameter {
        name,
        why: why.into(),
    }
}

fn whole(name: &'static str, v: &Value, (min, max): (u64, u64)) -> Result<u64, ApiError> {
    v.as_u64()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| invalid(name, format!("a whole number from {min} to {max}")))
}

fn flag(name: &'static str, v: &Value) -> Result<bool, ApiError> {
    v.as_bool().ok_or_else(|| invalid(name, "true or false"))
}

impl OverlaySettings {
    /// Settings from a request body: a JSON object whose fields replace the
    /// defaults (`PUT` sends them all); a 400 naming the field otherwise.
    pub fn from_body(body: &[u8]) -> Result<Self, ApiError> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|_| invalid("settings", "send the settings as a JSON object"))?;
        let Value::Object(fields) = value else {
            return Err(invalid("settings", "send the settings as a JSON object"));
        };
        Self::from_fields(&fields)
    }

    /// Settings as kept (`None`: never set); kept settings that no longer
    /// validate (a type since removed) fall back to the defaults.
    pub fn from_kept(kept: Option<&str>) -> Self {
        kept.and_then(|k| serde_json::from_str::<Map<String, Value>>(k).ok())
            .and_then(|fields| Self::from_fields(&fields).ok())
            .unwrap_or_default()
    }

    fn from_fields(fields: &Map<String, Value>) -> Result<Self, ApiError> {
        let mut s = Self::default();
        for (name, v) in fields {
            match name.as_str() {
                "types" => s.types = types(v)?,
                "min_bits" => s.min_bits = whole("min_bits", v, (0, MAX_MINIMUM))?,
                "min_viewers" => s.min_viewers = whole("min_viewers", v, (0, MAX_MINIMUM))?,
                "min_gifts" => s.min_gifts = whole("min_gifts", v, (0, MAX_MINIMUM))?,
                "duration_s" => s.duration_s = whole("duration_s", v, DURATION_S)?,
                "volume" => s.volume = whole("volume", v, (0, 100))?,
                "sound" => s.sound = flag("sound", v)?,
                "alert_recovered" => s.alert_recovered = flag("alert_recovered", v)?,
                "position" => {
                    s.position = v
                        .as_str()
                        .filter(|p| POSITIONS.contains(p))
                        .ok_or_else(|| invalid("position", POSITIONS.join(", ")))?
                        .to_owned()
                }
                other => {
                    return Err(invalid(
                        "settings",
                        format!("unknown field {:?}; the fields are {FIELDS}", shown(other)),
                    ))
                }
            }
        }
        Ok(s)
    }

    /// As the store keeps it and as frames and answers carry it.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// The `types` field: known EventSub types, each once, in catalog order.
fn types(v: &Value) -> Result<Vec<String>, ApiError> {
    let Some(list) = v.as_array() else {
        return Err(invalid("types", "a list of event types"));
    };
    let mut names = Vec::with_capacity(list.len());
    for item in list {
        let name = item
            .as_str()
            .ok_or_else(|| invalid("types", "a list of event types (strings)"))?;
        if catalog::lookup(name).is_none() {
            return Err(invalid(
                "types",
                format!(
                    "{:?} is not an event type (GET /api/event-types lists them)",
                    shown(name)
                ),
            ));
        }
        names.push(name);
    }
    Ok(catalog::TYPES
        .iter()
        .filter(|k| names.contains(&k.name))
        .map(|k| k.name.to_owned())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(body: &str) -> &'static str {
        match OverlaySettings::from_body(body.as_bytes()) {
            Err(ApiError::InvalidParameter { name, .. }) => name,
            other => panic!("{body}: {other:?}"),
        }
    }

    #[test]
    fn the_defaults_are_known_types() {
        for t in DEFAULT_TYPES {
            assert!(catalog::lookup(t).is_some(), "{t}");
        }
        let d = OverlaySettings::default();
        assert!(!d
            .types
            .iter()
            .any(|t| t == "channel.update" || t == "stream.online"));
    }

    #[test]
    fn fields_replace_the_defaults_and_types_come_in_catalog_order_once() {
        let s = OverlaySettings::from_body(
            br#"{"types": ["channel.raid", "channel.cheer", "channel.raid"], "min_bits": 100,
                 "duration_s": 2, "volume": 0, "sound": false, "position": "bottom"}"#,
        )
        .unwrap();
        assert_eq!(s.types, ["channel.raid", "channel.cheer"]);
        assert_eq!((s.min_bits, s.duration_s, s.volume), (100, 2, 0));
        assert_eq!((s.sound, s.position.as_str()), (false, "bottom"));
        assert_eq!(s.min_viewers, 0, "not given: the default");
        assert!(
            !s.alert_recovered,
            "recovered events do not alert unless asked"
        );
        let away = OverlaySettings::from_body(br#"{"alert_recovered": true}"#).unwrap();
        assert!(away.alert_recovered);
    }

    #[test]
    fn each_bad_field_is_named() {
        assert_eq!(field_of(r#"{"duration_s": 1}"#), "duration_s");
        assert_eq!(field_of(r#"{"duration_s": 31}"#), "duration_s");
        assert_eq!(field_of(r#"{"duration_s": 6.5}"#), "duration_s");
        assert_eq!(field_of(r#"{"volume": 101}"#), "volume");
        assert_eq!(field_of(r#"{"volume": -1}"#), "volume");
        assert_eq!(field_of(r#"{"min_bits": -5}"#), "min_bits");
        assert_eq!(field_of(r#"{"min_gifts": "5"}"#), "min_gifts");
        assert_eq!(field_of(r#"{"min_viewers": 1e12}"#), "min_viewers");
        assert_eq!(field_of(r#"{"types": ["channel.nope"]}"#), "types");
        assert_eq!(field_of(r#"{"types": "channel.follow"}"#), "types");
        assert_eq!(field_of(r#"{"sound": "yes"}"#), "sound");
        assert_eq!(field_of(r#"{"position": "left"}"#), "position");
        assert_eq!(field_of(r#"{"alert_recovered": 1}"#), "alert_recovered");
        assert_eq!(field_of(r#"{"colour": "red"}"#), "settings");
        assert_eq!(field_of(r#"[1]"#), "settings");
        assert_eq!(field_of("not json"), "settings");
    }

    #[test]
    fn kept_settings_that_no_longer_validate_fall_back_to_the_defaults() {
        assert_eq!(OverlaySettings::from_kept(None), OverlaySettings::default());
        assert_eq!(
            OverlaySettings::from_kept(Some(r#"{"types": ["gone.type"]}"#)),
            OverlaySettings::default()
        );
        let kept = OverlaySettings::from_kept(Some(r#"{"duration_s": 9}"#));
        assert_eq!(kept.duration_s, 9);
    }
}
