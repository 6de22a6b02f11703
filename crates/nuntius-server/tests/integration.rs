//! Integration tests of the server, compiled into one binary: the API on a real store and router,
//! the OpenAPI document against live responses, and the web UI in headless Chromium.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod integration {
    pub mod api;
    pub mod common;
    pub mod follows;
    pub mod openapi;
    pub mod sources;
    pub mod ui;
}
