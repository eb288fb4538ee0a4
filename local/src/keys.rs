//! Keys and secrets the local stack makes or finds at start-up: random
//! secrets made per run, the key WebSocket tickets are signed with, and the
//! key that seals sessions' Twitch tokens.

use std::path::Path;

use shared::auth::seal::SealKey;
use shared::config::ConfigError;
use shared::ticket::TicketKey;

/// 64 random hex characters (256 bits), for a secret made per run.
pub(crate) fn random_secret() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// A ticket key that lives and dies with this process (it never leaves it
/// except as signatures).
pub(crate) fn process_ticket_key() -> TicketKey {
    match TicketKey::new(random_secret().as_bytes()) {
        Some(k) => k,
        None => unreachable!("64 characters is over the 32-byte minimum"),
    }
}

/// The key WebSocket tickets are signed with, `None` in open mode:
/// `TICKET_SECRET` (`given`), or a key that lives and dies with this process.
pub fn ticket_key(open: bool, given: Option<String>) -> Result<Option<TicketKey>, ConfigError> {
    if open {
        return Ok(None);
    }
    match given {
        Some(secret) => TicketKey::new(secret.as_bytes())
            .map(Some)
            .ok_or(ConfigError::Invalid {
                name: "TICKET_SECRET",
                why: "it must be at least 32 bytes".into(),
            }),
        None => Ok(Some(process_ticket_key())),
    }
}

/// Why the key that seals sessions' tokens could not be had.
#[derive(Debug, thiserror::Error)]
pub enum SealKeyError {
    #[error(transparent)]
    Invalid(#[from] ConfigError),
    #[error("write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

/// The key that seals sessions' Twitch tokens: `SESSION_KEY` (`given`, 32
/// bytes, base64), else one kept next to a file database (so sessions
/// survive a restart), else one for this process only; and where it came
/// from. Read it once: for `:memory:` each call makes a new key.
pub fn seal_key(db: &str, given: Option<String>) -> Result<(SealKey, String), SealKeyError> {
    if let Some(v) = given {
        return Ok((
            SealKey::from_base64("SESSION_KEY", &v)?,
            "key from SESSION_KEY".into(),
        ));
    }
    if db == ":memory:" {
        return Ok((SealKey::ephemeral(), "key for this process only".into()));
    }
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let path = format!("{db}.session-key");
    if let Ok(text) = std::fs::read_to_string(&path) {
        return Ok((
            SealKey::from_base64("SESSION_KEY", &text)?,
            format!("key in {path}"),
        ));
    }
    let bytes = shared::auth::random_bytes::<32>();
    write_private(&path, &b64.encode(bytes)).map_err(|source| SealKeyError::Write {
        path: path.clone(),
        source,
    })?;
    Ok((SealKey::from_bytes(&bytes), format!("new key in {path}")))
}

/// Writes a file only its owner may read, its directory created first (the
/// key file is made before the database beside it).
fn write_private(path: &str, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = Path::new(path).parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())
}
