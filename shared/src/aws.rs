//! The AWS SDK's shared configuration (region, credentials chain, retry
//! and timeout defaults) from the standard environment, loaded once per
//! process: every client a function builds (DynamoDB, `@connections`)
//! starts from the same one instead of walking the provider chains again.

use aws_config::{BehaviorVersion, SdkConfig};
use tokio::sync::OnceCell;

/// The process's SDK configuration, loaded at the first call.
pub async fn sdk_config() -> &'static SdkConfig {
    static CONFIG: OnceCell<SdkConfig> = OnceCell::const_new();
    CONFIG
        .get_or_init(|| aws_config::defaults(BehaviorVersion::latest()).load())
        .await
}
