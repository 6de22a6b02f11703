//! robots.txt per host, fetched once and kept for [`ROBOTS_TTL`]: rules parsed by
//! `texting_robots` for our product token. A missing file (4xx) allows everything; a server
//! error or no answer allows nothing until the file can be read, as the robots.txt standard
//! (RFC 9309) asks (the fetches it stops are failures to retry, not robots.txt skips).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use texting_robots::Robot;
use tokio::time::Instant;

use crate::fetch::Fetched;

/// How long a host's robots.txt answer is used before it is fetched again.
pub const ROBOTS_TTL: Duration = Duration::from_secs(3600);
/// How long an unreadable robots.txt keeps a host closed before it is asked again.
pub const UNREACHABLE_TTL: Duration = Duration::from_secs(300);

/// What a host's robots.txt says about us.
pub enum RobotsVerdict {
    AllowAll,
    /// The file could not be read (5xx, no answer): nothing may be fetched for now.
    Unreachable,
    Rules(Box<Robot>),
}

impl RobotsVerdict {
    fn from_response(response: Option<Fetched>) -> RobotsVerdict {
        match response {
            Some(r) if r.status == 200 => match Robot::new(crate::ROBOTS_AGENT, &r.body) {
                Ok(robot) => RobotsVerdict::Rules(Box::new(robot)),
                // An unparsable file says nothing we could obey.
                Err(_) => RobotsVerdict::AllowAll,
            },
            Some(r) if (400..500).contains(&r.status) => RobotsVerdict::AllowAll,
            _ => RobotsVerdict::Unreachable,
        }
    }

    /// The `Crawl-delay` asked of us, if any.
    pub fn crawl_delay(&self) -> Option<Duration> {
        match self {
            RobotsVerdict::Rules(r) => r
                .delay
                .filter(|d| d.is_finite() && *d > 0.0)
                .map(|d| Duration::from_secs_f32(d.min(3600.0))),
            _ => None,
        }
    }
}

type Slot = Arc<tokio::sync::Mutex<Option<(Instant, Arc<RobotsVerdict>)>>>;

/// One answer per host, fetched by the first task that needs it while the others wait.
#[derive(Default)]
pub struct RobotsCache {
    hosts: Mutex<HashMap<String, Slot>>,
}

impl RobotsCache {
    /// The host's verdict, fetching robots.txt with `fetch` when absent or expired.
    pub async fn rules<F, Fut>(&self, host: &str, fetch: F) -> Arc<RobotsVerdict>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Option<Fetched>>,
    {
        let slot = {
            let mut hosts = match self.hosts.lock() {
                Ok(h) => h,
                Err(poisoned) => poisoned.into_inner(),
            };
            hosts.entry(host.to_string()).or_default().clone()
        };
        let mut slot = slot.lock().await;
        if let Some((at, verdict)) = slot.as_ref() {
            let ttl = match verdict.as_ref() {
                RobotsVerdict::Unreachable => UNREACHABLE_TTL,
                _ => ROBOTS_TTL,
            };
            if at.elapsed() < ttl {
                return verdict.clone();
            }
        }
        let verdict = Arc::new(RobotsVerdict::from_response(fetch().await));
        *slot = Some((Instant::now(), verdict.clone()));
        verdict
    }
}
