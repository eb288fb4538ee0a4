//! DynamoDB adapter
