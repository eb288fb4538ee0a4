//! A store whose every call fails as an unreachable backend would.

use async_trait::async_trait;
use shared::store::coverage::{Gap, GapKey, GapState, GapStore, Recovered};
use shared::store::snapshots::{LivePage, LiveState, PollerStatus, Snapshot, SnapshotStore};
use shared::store::streamers::{Streamer, StreamerStore, TrackedPage, TypeRecord, Wish};
use shared::store::{Appended, Cursor, DailyCount, Event, EventStore, Page, StoreError};
use std::collections::BTreeMap;

pub struct Broken;

fn down<T>() -> Result<T, StoreError> {
    Err(StoreError::Unavailable("connection refused".into()))
}

#[async_trait]
impl EventStore for Broken {
    async fn append_once(&self, _: &Event, _: Option<&str>) -> Result<Appended, StoreError> {
        down()
    }
    async fn recent(&self, _: &str, _: usize, _: Option<&Cursor>) -> Result<Page, StoreError> {
        down()
    }
    async fn after(&self, _: &str, _: &Cursor, _: usize) -> Result<Page, StoreError> {
        down()
    }
    async fn daily_counts(&self, _: &str, _: &str, _: &str) -> Result<Vec<DailyCount>, StoreError> {
        down()
    }
}

#[async_trait]
impl StreamerStore for Broken {
    async fn want(&self, _: &Wish) -> Result<(), StoreError> {
        down()
    }
    async fn streamer(&self, _: &str) -> Result<Option<Streamer>, StoreError> {
        down()
    }
    async fn id_of_login(&self, _: &str) -> Result<Option<String>, StoreError> {
        down()
    }
    async fn tracked(&self, _: Option<&str>, _: usize) -> Result<TrackedPage, StoreError> {
        down()
    }
    async fn set_types(&self, _: &str, _: &BTreeMap<String, TypeRecord>) -> Result<(), StoreError> {
        down()
    }
    async fn set_scopes(&self, _: &str, _: &[String], _: i64) -> Result<(), StoreError> {
        down()
    }
    async fn release(&self, _: &str, _: i64) -> Result<(), StoreError> {
        down()
    }
}

#[async_trait]
impl SnapshotStore for Broken {
    async fn put_snapshots(&self, _: &[Snapshot]) -> Result<(), StoreError> {
        down()
    }
    async fn snapshots(
        &self,
        _: &str,
        _: i64,
        _: i64,
        _: usize,
    ) -> Result<Vec<Snapshot>, StoreError> {
        down()
    }
    async fn live_state(&self, _: &str) -> Result<Option<LiveState>, StoreError> {
        down()
    }
    async fn live_states(&self, _: &[String]) -> Result<Vec<LiveState>, StoreError> {
        down()
    }
    async fn put_live_states(&self, _: &[LiveState]) -> Result<(), StoreError> {
        down()
    }
    async fn live_now(&self, _: Option<&str>, _: usize) -> Result<LivePage, StoreError> {
        down()
    }
    async fn acquire_lease(&self, _: &str, _: i64, _: i64) -> Result<bool, StoreError> {
        down()
    }
    async fn release_lease(&self, _: &str) -> Result<(), StoreError> {
        down()
    }
    async fn poller_status(&self) -> Result<PollerStatus, StoreError> {
        down()
    }
    async fn set_poller_status(&self, _: &PollerStatus) -> Result<(), StoreError> {
        down()
    }
    async fn set_paused(&self, _: bool) -> Result<(), StoreError> {
        down()
    }
}

#[async_trait]
impl GapStore for Broken {
    async fn open_gap(&self, _: &GapKey, _: &str, _: i64) -> Result<bool, StoreError> {
        down()
    }
    async fn end_gap(&self, _: &str, _: &str, _: i64) -> Result<Option<Gap>, StoreError> {
        down()
    }
    async fn settle_gap(
        &self,
        _: &GapKey,
        _: GapState,
        _: &Recovered,
        _: i64,
    ) -> Result<bool, StoreError> {
        down()
    }
    async fn gaps(&self, _: &str, _: i64, _: i64) -> Result<Vec<Gap>, StoreError> {
        down()
    }
    async fn unsettled_gaps(&self, _: usize) -> Result<Vec<Gap>, StoreError> {
        down()
    }
}
