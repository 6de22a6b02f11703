//! Prometheus metrics: requests and latency by route, articles ingested, store size.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Upper bounds (seconds) of the latency histogram buckets.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Debug, Default, Clone)]
struct RouteStats {
    by_status: BTreeMap<u16, u64>,
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// Counters shared by all requests.
#[derive(Debug, Default)]
pub struct Metrics {
    routes: Mutex<BTreeMap<(String, String), RouteStats>>,
    ingested: AtomicU64,
    articles: AtomicU64,
}

impl Metrics {
    /// Records one request on a route pattern (never the raw path, so labels stay few).
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let Ok(mut routes) = self.routes.lock() else {
            return;
        };
        let stats = routes
            .entry((route.to_string(), method.to_string()))
            .or_default();
        *stats.by_status.entry(status).or_default() += 1;
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                stats.buckets[i] += 1;
            }
        }
        stats.count += 1;
        stats.sum += seconds;
    }

    pub fn add_ingested(&self, n: u64) {
        self.ingested.fetch_add(n, Ordering::Relaxed);
    }

    pub fn set_articles(&self, n: u64) {
        self.articles.store(n, Ordering::Relaxed);
    }

    /// The exposition text.
    pub fn render(&self, store_bytes: u64, search_docs: u64) -> String {
        let mut out = String::new();
        let routes = self.routes.lock().map(|r| r.clone()).unwrap_or_default();
        let _ = writeln!(
            out,
            "# HELP nuntius_http_requests_total HTTP requests by route, method and status."
        );
        let _ = writeln!(out, "# TYPE nuntius_http_requests_total counter");
        for ((route, method), s) in &routes {
            for (status, n) in &s.by_status {
                let _ = writeln!(
                    out,
                    "nuntius_http_requests_total{{route=\"{}\",method=\"{method}\",status=\"{status}\"}} {n}",
                    escape(route)
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP nuntius_http_request_duration_seconds Request latency by route."
        );
        let _ = writeln!(
            out,
            "# TYPE nuntius_http_request_duration_seconds histogram"
        );
        for ((route, method), s) in &routes {
            let labels = format!("route=\"{}\",method=\"{method}\"", escape(route));
            for (i, bound) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "nuntius_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {}",
                    s.buckets[i]
                );
            }
            let _ = writeln!(
                out,
                "nuntius_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(
                out,
                "nuntius_http_request_duration_seconds_sum{{{labels}}} {}",
                s.sum
            );
            let _ = writeln!(
                out,
                "nuntius_http_request_duration_seconds_count{{{labels}}} {}",
                s.count
            );
        }
        let gauges = [
            (
                "nuntius_articles_ingested_total",
                "counter",
                "Articles stored through this server since it started.",
                self.ingested.load(Ordering::Relaxed),
            ),
            (
                "nuntius_articles",
                "gauge",
                "Articles in the store.",
                self.articles.load(Ordering::Relaxed),
            ),
            (
                "nuntius_store_bytes",
                "gauge",
                "Bytes of the SQLite store (database and WAL).",
                store_bytes,
            ),
            (
                "nuntius_search_documents",
                "gauge",
                "Articles searchable.",
                search_docs,
            ),
        ];
        for (name, kind, help, value) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} {kind}");
            let _ = writeln!(out, "{name} {value}");
        }
        out
    }
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let m = Metrics::default();
        m.observe("GET", "/api/stories", 200, 0.003);
        m.observe("GET", "/api/stories", 404, 0.2);
        let text = m.render(10, 2);
        assert!(text.contains(
            "nuntius_http_requests_total{route=\"/api/stories\",method=\"GET\",status=\"200\"} 1"
        ));
        assert!(text.contains("le=\"0.005\"} 1"));
        assert!(text.contains("le=\"0.25\"} 2"));
        assert!(text.contains("le=\"+Inf\"} 2"));
        assert!(text.contains("nuntius_store_bytes 10"));
    }
}
