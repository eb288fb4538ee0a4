//! `a=1&a=2&b=3` query strings and form bodies, keeping repeated keys (Helix
//! repeats `id`, `login`, `user_id`), and the opaque pagination cursors.

/// Why a query string or form body could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParamError {
    #[error("malformed percent-encoding in {0:?}")]
    Encoding(String),
}

/// Decoded `key=value` pairs in order.
#[derive(Debug, Default, Clone)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// Parses `application/x-www-form-urlencoded` text (`+` is a space).
    pub fn parse(raw: &str) -> Result<Self, ParamError> {
        let mut pairs = Vec::new();
        for part in raw.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = part.split_once('=').unwrap_or((part, ""));
            pairs.push((decode(key)?, decode(value)?));
        }
        Ok(Self(pairs))
    }

    /// Adds the pairs of `other` after these.
    pub fn extend(&mut self, other: Params) {
        self.0.extend(other.0);
    }

    /// Every value of `key`, in order.
    pub fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The first value of `key`.
    pub fn first(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// The form body's parameters, then the query string's: samples send them
/// either way.
pub(super) fn request_params(query: Option<&str>, body: &[u8]) -> Option<Params> {
    let mut params = Params::parse(std::str::from_utf8(body).ok()?).ok()?;
    params.extend(Params::parse(query.unwrap_or("")).ok()?);
    Some(params)
}

fn decode(text: &str) -> Result<String, ParamError> {
    let bad = || ParamError::Encoding(text.to_owned());
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).ok_or_else(bad)?;
                let hex = std::str::from_utf8(hex).map_err(|_| bad())?;
                out.push(u8::from_str_radix(hex, 16).map_err(|_| bad())?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| bad())
}

/// The `first` page size: `default` when absent, else a whole number from 1
/// to `max` (Twitch's 400 otherwise).
pub fn page_size(params: &Params, default: usize, max: usize) -> Result<usize, String> {
    match params.first("first") {
        None => Ok(default),
        Some(text) => text
            .parse()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| format!("first must be a number from 1 to {max}")),
    }
}

/// Where a page starts: 0, or the offset of the `after` cursor.
pub fn page_start(params: &Params) -> Result<usize, &'static str> {
    match params.first("after").map(offset) {
        None => Ok(0),
        Some(Some(start)) => Ok(start),
        Some(None) => Err("invalid cursor in after"),
    }
}

/// [`page_start`] and [`page_size`] together, or the first complaint.
pub fn paging(params: &Params, default: usize, max: usize) -> Result<(usize, usize), String> {
    Ok((page_start(params)?, page_size(params, default, max)?))
}

/// One page of `items` from `start`, and Twitch's `pagination` object:
/// `{"cursor": ...}` when more follow, `{}` at the end.
pub fn page<T: Clone>(items: &[T], start: usize, size: usize) -> (Vec<T>, serde_json::Value) {
    let data = items.iter().skip(start).take(size).cloned().collect();
    let next = start.saturating_add(size);
    let pagination = if next < items.len() {
        serde_json::json!({"cursor": cursor(next)})
    } else {
        serde_json::json!({})
    };
    (data, pagination)
}

/// Marks a cursor as ours, so a cursor from elsewhere is rejected, not misread.
const CURSOR_TAG: &str = "sim-offset:";

/// An opaque cursor for "continue from `offset`" (hex, so URL-safe).
pub fn cursor(offset: usize) -> String {
    format!("{CURSOR_TAG}{offset}")
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The offset a [`cursor`] stands for; `None` for anything else.
pub fn offset(cursor: &str) -> Option<usize> {
    if cursor.len() % 2 != 0 || !cursor.is_ascii() {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..cursor.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&cursor[i..i + 2], 16).ok())
        .collect();
    let text = String::from_utf8(bytes?).ok()?;
    text.strip_prefix(CURSOR_TAG)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_and_encodings_survive() {
        let p = Params::parse("id=1&id=2&login=a%20b+c&empty=&flag").unwrap();
        assert_eq!(p.all("id"), ["1", "2"]);
        assert_eq!(p.first("login"), Some("a b c"));
        assert_eq!(p.first("empty"), Some(""));
        assert_eq!(p.first("flag"), Some(""));
        assert!(Params::parse("a=%zz").is_err());
        assert!(Params::parse("a=%4").is_err());
    }

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_rejected() {
        assert_eq!(offset(&cursor(0)), Some(0));
        assert_eq!(offset(&cursor(12345)), Some(12345));
        assert_eq!(offset("eyJiIjpudWxsfQ"), None);
        assert_eq!(offset("zz"), None);
        assert_eq!(offset("é"), None);
    }
}
