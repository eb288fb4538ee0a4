//! Logins in flight and users ([`LoginStore`]) on the users table.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use super::{corrupt, DynamoUserStore};
use crate::store::dynamo::conditions::unless_refused;
use crate::store::dynamo::{n, number, s, sdk_error, text, Item};
use crate::store::users::{LoginState, LoginStore, User};
use crate::store::StoreError;

fn user_from(item: &Item) -> Result<User, StoreError> {
    let id = text(item, "pk")
        .and_then(|pk| pk.strip_prefix("USER#").map(str::to_owned))
        .ok_or_else(|| corrupt("user without id"))?;
    let scopes = match item.get("scopes") {
        Some(AttributeValue::L(list)) => {
            list.iter().filter_map(|v| v.as_s().ok().cloned()).collect()
        }
        _ => Vec::new(),
    };
    Ok(User {
        login: text(item, "login").ok_or_else(|| corrupt("user without login"))?,
        display_name: text(item, "display_name").unwrap_or_default(),
        picture: text(item, "picture"),
        scopes,
        created_at_s: number(item, "created_at").unwrap_or_default(),
        id,
    })
}

#[async_trait]
impl LoginStore for DynamoUserStore {
    async fn begin_login(&self, login: &LoginState) -> Result<(), StoreError> {
        let mut item = Self::key(format!("LOGIN#{}", login.state_hash), "-");
        item.insert("nonce".into(), s(&login.nonce));
        item.insert("return_to".into(), s(&login.return_to));
        item.insert("channel".into(), AttributeValue::Bool(login.channel));
        item.insert("expires_at".into(), n(login.expires_at_s));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    async fn take_login(
        &self,
        state_hash: &str,
        now_s: i64,
    ) -> Result<Option<LoginState>, StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(format!("LOGIN#{state_hash}"), "-")))
            .condition_expression("attribute_exists(pk)")
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        // Refused: not there (never issued, or taken already).
        let Some(out) = unless_refused(result)? else {
            return Ok(None);
        };
        let old = out.attributes().cloned().unwrap_or_default();
        let login = LoginState {
            state_hash: state_hash.to_owned(),
            nonce: text(&old, "nonce").ok_or_else(|| corrupt("login without nonce"))?,
            return_to: text(&old, "return_to").unwrap_or_else(|| "/".into()),
            channel: matches!(old.get("channel"), Some(AttributeValue::Bool(true))),
            expires_at_s: number(&old, "expires_at").unwrap_or_default(),
        };
        Ok((login.expires_at_s >= now_s).then_some(login))
    }

    async fn put_user(&self, user: &User) -> Result<(), StoreError> {
        // An update, not a put: the profile also carries `fav_count`, which
        // only the favourite transactions change.
        let mut values: Item = HashMap::from([
            (":login".to_owned(), s(&user.login)),
            (":name".to_owned(), s(&user.display_name)),
            (
                ":scopes".to_owned(),
                AttributeValue::L(user.scopes.iter().map(s).collect()),
            ),
            (":created".to_owned(), n(user.created_at_s)),
        ]);
        let mut expression = String::from(
            "SET login = :login, display_name = :name, scopes = :scopes, \
             created_at = if_not_exists(created_at, :created)",
        );
        match &user.picture {
            Some(p) => {
                values.insert(":picture".into(), s(p));
                expression.push_str(", picture = :picture");
            }
            None => expression.push_str(" REMOVE picture,"),
        }
        // A login lifts a revocation's pause of the user's overlays.
        if user.picture.is_some() {
            expression.push_str(" REMOVE");
        }
        expression.push_str(" overlays_suspended_at");
        self.update(Self::key(format!("USER#{}", user.id), "PROFILE"))
            .update_expression(expression)
            .set_expression_attribute_values(Some(values))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    async fn user(&self, id: &str) -> Result<Option<User>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(format!("USER#{id}"), "PROFILE")))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        out.item().map(user_from).transpose()
    }
}
