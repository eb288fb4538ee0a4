//! The users roles ([`crate::store::users`]) on SQLite, one file per role.

mod allowances;
mod favourites;
mod logins;
mod overlays;
mod sessions;
