//! The users roles ([`crate::store::users`]) on SQLite, one file per role.

mod allowances;
mod favourites;
mod grants;
mod logins;
mod overlays;
mod sessions;
