//! `$connect`: the origin, the ticket (checked and used once), the record.

use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use shared::auth::sha256_hex;
use shared::clock::now_ms;
use shared::store::connections::NewConnection;
use shared::ticket::TicketError;
use time::OffsetDateTime;

use crate::state::{session_lives, Auth, WsState};

/// Why a `$connect` was not let in: the reason it counts under, and the answer.
pub(super) struct Refused {
    pub(super) reason: &'static str,
    pub(super) status: i64,
    pub(super) body: String,
}

impl Refused {
    fn new(reason: &'static str, status: i64, body: impl Into<String>) -> Self {
        Self {
            reason,
            status,
            body: body.into(),
        }
    }
}

/// Lets the socket in (its record stored), or says why not.
pub(super) async fn connect(
    state: &WsState,
    request: &ApiGatewayWebsocketProxyRequest,
    connection_id: &str,
) -> Result<(), Refused> {
    // Browsers always send Origin on the handshake: a page elsewhere must not
    // open a socket with a ticket it somehow holds.
    let origin = request.headers.get("origin").and_then(|v| v.to_str().ok());
    if let Some(origin) = origin {
        if !state.origins.is_empty()
            && !state.origins.iter().any(|o| o.eq_ignore_ascii_case(origin))
        {
            return Err(Refused::new("origin", 403, "this origin may not connect"));
        }
    }
    let ticket = request.query_string_parameters.first("ticket");
    let (key, required) = match &state.auth {
        Auth::Open(key) => (key.as_ref(), false),
        Auth::Tickets(key) => (Some(key), true),
    };
    let (principal, session) = match (ticket, key) {
        (None, _) if required => {
            return Err(Refused::new("ticket_required", 401, "a ticket is required"))
        }
        (None, _) | (Some(_), None) => ("anonymous".to_owned(), None),
        (Some(ticket), Some(key)) => {
            let now_s = OffsetDateTime::now_utc().unix_timestamp();
            let valid = key
                .verify(ticket, &state.audience(request), now_s)
                .map_err(|e| Refused::new(e.code(), 401, e.to_string()))?;
            if let Some(accounts) = &state.accounts {
                // Before the ticket is spent: a logged-out session's unused
                // ticket opens nothing.
                if !session_lives(accounts.as_ref(), &valid.user, valid.session.as_deref())
                    .await
                    .map_err(|_| Refused::new("store", 500, "could not check the session"))?
                {
                    let ended = TicketError::SessionEnded;
                    return Err(Refused::new(ended.code(), 401, ended.to_string()));
                }
                match accounts
                    .use_ticket(&sha256_hex(&valid.id), valid.expires_at_s)
                    .await
                {
                    Ok(true) => {}
                    Ok(false) => {
                        let used = TicketError::Used;
                        return Err(Refused::new(used.code(), 401, used.to_string()));
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "could not mark a ticket used");
                        return Err(Refused::new("store", 500, "could not check the ticket"));
                    }
                }
            }
            (valid.user, valid.session)
        }
    };
    let record = NewConnection {
        id: connection_id.to_owned(),
        principal,
        session,
        connected_at_ms: now_ms(),
    };
    state.connections.connect(&record).await.map_err(|e| {
        tracing::error!(error = %e, "could not record the connection");
        Refused::new("store", 500, "could not record the connection")
    })
}
