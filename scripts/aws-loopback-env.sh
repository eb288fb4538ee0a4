# Sourced by the scripts that touch AWS code: keeps every AWS SDK and the SAM
# CLI on loopback. Without credentials they would probe the instance-metadata
# address; with these they use static dummies and never look elsewhere.
export AWS_EC2_METADATA_DISABLED=true
export AWS_ACCESS_KEY_ID=local
export AWS_SECRET_ACCESS_KEY=local
unset AWS_SESSION_TOKEN AWS_PROFILE
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
export SAM_CLI_TELEMETRY=0
