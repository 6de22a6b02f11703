//! Read-side queries for the server and UI: paged, indexed lookups that do not load the whole store.
