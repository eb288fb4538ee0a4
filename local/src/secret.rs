//! Secrets made per run, for keys and credentials that live only as long as the process.

/// 64 random hex characters (256 bits), for a secret made per run.
pub(crate) fn random_secret() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}
