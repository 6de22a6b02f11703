//! Webhook delivery: the outbox the engine fills as it places articles (`deliveries` in the store)
//! is sent by the process that holds the writer lock, one POST per match, signed with HMAC-SHA256
//! of the body (`X-Nuntius-Signature: sha256=<hex>`).
//!
//! Calls go out in order per follow: only the oldest pending delivery of a follow is tried, and
//! the next waits until it was delivered or given up. A failed try (no answer, or a status that
//! is not 2xx) is retried after `backoff_base_ms`, then twice as long each time, up to
//! `webhook_attempts` tries. Every try is logged in the store, so a restart resumes the queue.
//! `serve` runs a [`Deliverer`] thread woken after each ingest; `ingest` delivers for a bounded
//! time at its end ([`deliver_for`]) and leaves the rest queued.

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use nuntius_engine::datadir::store_path;
use nuntius_engine::settings::FollowSettings;
use nuntius_store::follows::{AttemptOutcome, AttemptRow, DeliveryRow, FollowStore};
use nuntius_store::SqliteStore;
use sha2::Sha256;

use crate::error::ServerError;

/// The signature header.
pub const SIGNATURE_HEADER: &str = "X-Nuntius-Signature";
/// Bytes of a receiver's answer read at most (it is only logged by status).
const MAX_ANSWER_BYTES: usize = 4096;

/// `sha256=<hex>` of `body` under `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    // HMAC takes keys of any length.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", crate::hex(&mac.finalize().into_bytes()))
}

/// A fresh webhook secret: 32 random bytes, hex.
pub fn new_secret() -> Result<String, String> {
    crate::random_hex(32).map_err(|e| format!("no randomness for a webhook secret: {e}"))
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis().min(i64::MAX as u128) as i64)
}

/// What one or more delivery passes did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    pub delivered: u64,
    /// Tries that failed and will be retried.
    pub retried: u64,
    /// Deliveries given up after their last try.
    pub failed: u64,
    /// Deliveries still queued at the end.
    pub pending: u64,
}

/// The delay before try `attempt + 1`, after `attempt` failed tries: base, 2×base, 4×base, …
pub fn backoff(settings: &FollowSettings, attempt: u32) -> Duration {
    let factor = 1u64 << attempt.saturating_sub(1).min(20);
    Duration::from_millis(settings.backoff_base_ms.saturating_mul(factor))
}

/// Sends queued webhook calls through one HTTP client.
pub struct Deliverer {
    client: reqwest::Client,
    settings: FollowSettings,
    /// Where links in payloads point.
    base_url: String,
}

/// The outcome of one pass over the queue heads.
struct Pass {
    tried: usize,
    /// The earliest time a pending head is due again.
    next_due: Option<i64>,
}

impl Deliverer {
    pub fn new(settings: &FollowSettings, base_url: &str) -> Result<Deliverer, String> {
        let timeout = Duration::from_secs(settings.webhook_timeout_secs);
        let client = reqwest::Client::builder()
            .user_agent(concat!(
                "nuntius/",
                env!("CARGO_PKG_VERSION"),
                " (webhooks)"
            ))
            .connect_timeout(timeout)
            .timeout(timeout)
            // A receiver that redirects is a misconfigured one: the signed body is not re-sent.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("cannot make the webhook client: {e}"))?;
        Ok(Deliverer {
            client,
            settings: settings.clone(),
            base_url: base_url.trim_end_matches('/').to_string(),
        })
    }

    /// One pass: one try of every follow's oldest pending delivery that is due, all at once.
    async fn pass(&self, store: &SqliteStore, report: &mut DeliveryReport) -> Result<Pass, String> {
        let now = now_ms();
        let heads = store.delivery_heads().map_err(|e| e.to_string())?;
        let mut next_due: Option<i64> = None;
        let mut sends = tokio::task::JoinSet::new();
        let mut tried = 0;
        for head in heads {
            if head.next_at > now {
                next_due = Some(next_due.map_or(head.next_at, |d: i64| d.min(head.next_at)));
                continue;
            }
            let Some((url, secret, body)) = self.prepare(store, &head)? else {
                // The follow has no webhook any more: the call is given up at once.
                let attempt = AttemptRow {
                    attempt: head.attempts + 1,
                    at: now,
                    status: None,
                    error: Some("the follow has no webhook".into()),
                    millis: 0,
                };
                store
                    .record_attempt(head.id, &attempt, AttemptOutcome::GaveUp)
                    .map_err(|e| e.to_string())?;
                report.failed += 1;
                continue;
            };
            tried += 1;
            let request = self
                .client
                .post(url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header(SIGNATURE_HEADER, signature(&secret, &body))
                .header("X-Nuntius-Delivery", head.id.to_string())
                .header("X-Nuntius-Attempt", (head.attempts + 1).to_string())
                .body(body);
            sends.spawn(async move {
                let started = Instant::now();
                let answer = match request.send().await {
                    Ok(mut response) => {
                        let status = response.status().as_u16();
                        // Read a little of the answer so the connection can be reused; ignore it.
                        let mut read = 0;
                        while let Ok(Some(chunk)) = response.chunk().await {
                            read += chunk.len();
                            if read >= MAX_ANSWER_BYTES {
                                break;
                            }
                        }
                        Ok(status)
                    }
                    Err(e) => Err(error_chain(&e)),
                };
                (head, answer, started.elapsed())
            });
        }
        while let Some(joined) = sends.join_next().await {
            let (head, answer, took) =
                joined.map_err(|e| format!("a webhook call task failed: {e}"))?;
            let attempt_no = head.attempts + 1;
            let (status, error) = match answer {
                Ok(s) if (200..300).contains(&s) => (Some(s), None),
                Ok(s) => (Some(s), Some(format!("the receiver answered {s}"))),
                Err(e) => (None, Some(e)),
            };
            let outcome = if error.is_none() {
                report.delivered += 1;
                AttemptOutcome::Delivered
            } else if attempt_no >= self.settings.webhook_attempts {
                report.failed += 1;
                AttemptOutcome::GaveUp
            } else {
                report.retried += 1;
                let at =
                    now_ms().saturating_add(backoff(&self.settings, attempt_no).as_millis() as i64);
                next_due = Some(next_due.map_or(at, |d| d.min(at)));
                AttemptOutcome::RetryAt(at)
            };
            let attempt = AttemptRow {
                attempt: attempt_no,
                at: now,
                status,
                error,
                millis: took.as_millis().min(u64::MAX as u128) as u64,
            };
            store
                .record_attempt(head.id, &attempt, outcome)
                .map_err(|e| e.to_string())?;
        }
        Ok(Pass { tried, next_due })
    }

    /// The receiver, secret and body of a delivery; `None` when its follow lost its webhook.
    fn prepare(
        &self,
        store: &SqliteStore,
        head: &DeliveryRow,
    ) -> Result<Option<(String, String, Vec<u8>)>, String> {
        let follow = store.follow(head.follow).map_err(|e| e.to_string())?;
        let secret = store
            .follow_secret(head.follow)
            .map_err(|e| e.to_string())?;
        let (Some(url), Some(secret)) = (follow.and_then(|f| f.webhook), secret) else {
            return Ok(None);
        };
        let body = crate::follows::webhook_payload(store, head, &self.base_url)
            .map_err(|e| e.to_string())?;
        let body = serde_json::to_vec(&body).map_err(|e| e.to_string())?;
        Ok(Some((url, secret, body)))
    }

    /// Passes until nothing is due before `deadline` (waiting for retries that fall before it).
    pub async fn deliver_until(
        &self,
        store: &SqliteStore,
        deadline: Instant,
    ) -> Result<DeliveryReport, String> {
        let mut report = DeliveryReport::default();
        loop {
            let pass = self.pass(store, &mut report).await?;
            if pass.tried > 0 {
                continue;
            }
            let Some(due) = pass.next_due else { break };
            let wait = Duration::from_millis(due.saturating_sub(now_ms()).max(0) as u64);
            if Instant::now() + wait >= deadline {
                break;
            }
            tokio::time::sleep(wait).await;
        }
        report.pending = pending(store)?;
        Ok(report)
    }
}

fn pending(store: &SqliteStore) -> Result<u64, String> {
    store.pending_deliveries().map_err(|e| e.to_string())
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// Delivers what the data dir's outbox holds for at most `settings.deliver_secs` (the end of an
/// `ingest`; the caller holds the writer lock). What is left stays queued.
pub fn deliver_for(
    data_dir: &Path,
    settings: &FollowSettings,
    base_url: &str,
) -> Result<DeliveryReport, ServerError> {
    let store = SqliteStore::open(&store_path(data_dir))?;
    if pending(&store).map_err(ServerError::Engine)? == 0 {
        return Ok(DeliveryReport::default());
    }
    let deliverer = Deliverer::new(settings, base_url).map_err(ServerError::Engine)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(ServerError::io("cannot start the webhook runtime"))?;
    let deadline = Instant::now() + Duration::from_secs(settings.deliver_secs);
    runtime
        .block_on(deliverer.deliver_until(&store, deadline))
        .map_err(ServerError::Engine)
}

/// Wakes the server's delivery thread (after an ingest) and stops it (at shutdown).
#[derive(Default)]
pub struct Wake {
    state: Mutex<(bool, bool)>,
    signal: Condvar,
}

impl Wake {
    pub fn wake(&self) {
        if let Ok(mut s) = self.state.lock() {
            s.0 = true;
            self.signal.notify_all();
        }
    }

    pub fn stop(&self) {
        if let Ok(mut s) = self.state.lock() {
            s.1 = true;
            self.signal.notify_all();
        }
    }

    /// Waits for a wake, a stop or `timeout`; true when stopped.
    pub(crate) fn wait(&self, timeout: Duration) -> bool {
        let Ok(guard) = self.state.lock() else {
            return true;
        };
        let Ok((mut guard, _)) =
            self.signal
                .wait_timeout_while(guard, timeout, |(woken, stopped)| !*woken && !*stopped)
        else {
            return true;
        };
        guard.0 = false;
        guard.1
    }
}

/// The server's delivery loop, on a thread of its own with its own store connection: a pass
/// after every wake, and when the earliest retry is due (at least once a minute).
pub fn run_deliverer(data_dir: &Path, settings: &FollowSettings, base_url: &str, wake: Arc<Wake>) {
    let started = SqliteStore::open(&store_path(data_dir))
        .map_err(|e| e.to_string())
        .and_then(|store| Ok((store, Deliverer::new(settings, base_url)?)))
        .and_then(|(store, deliverer)| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            Ok((store, deliverer, runtime))
        });
    let (store, deliverer, runtime) = match started {
        Ok(x) => x,
        Err(e) => {
            eprintln!("nuntius serve: webhooks are not delivered: {e}");
            return;
        }
    };
    loop {
        let mut report = DeliveryReport::default();
        let next_due = loop {
            match runtime.block_on(deliverer.pass(&store, &mut report)) {
                Ok(pass) if pass.tried > 0 => continue,
                Ok(pass) => break pass.next_due,
                Err(e) => {
                    eprintln!("nuntius serve: webhook delivery failed: {e}");
                    break None;
                }
            }
        };
        let wait = next_due.map_or(Duration::from_secs(60), |due| {
            Duration::from_millis(due.saturating_sub(now_ms()).clamp(0, 60_000) as u64)
        });
        if wake.wait(wait) {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hmac_sha256_hex() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn backoff_doubles_from_the_base() {
        let s = FollowSettings {
            backoff_base_ms: 100,
            ..FollowSettings::default()
        };
        let waits: Vec<u128> = (1..=4).map(|a| backoff(&s, a).as_millis()).collect();
        assert_eq!(waits, [100, 200, 400, 800]);
    }

    #[test]
    fn secrets_are_fresh() {
        let (a, b) = (new_secret().unwrap(), new_secret().unwrap());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }
}
