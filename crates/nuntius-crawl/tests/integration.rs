//! The crawler against a fake news site on loopback (one test binary).

#[path = "integration/site.rs"]
pub mod site;

#[path = "integration/crawl.rs"]
mod crawl;
