//! Crash tests: `nuntius ingest`, and `nuntius serve` under concurrent POSTs, are killed with
//! SIGKILL at seeded random moments and restarted on the same data dir. After every kill the
//! store holds each article at most once, each in one event and each event in one story; after
//! every restart the search index holds what the store holds (the restart repairs it); at the
//! end every article of the input is stored exactly once, and every article a server
//! acknowledged survived the kills.
//!
//! CI size by default; the full size is `scripts/crash-test.sh` (the same test with
//! `NUNTIUS_CRASH_ARTICLES`, `NUNTIUS_CRASH_POINTS` and `NUNTIUS_CRASH_SEED` set).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{nuntius, repo_root};
use nuntius_model::SplitMix64;

/// Kill points, articles and seed of a run.
struct Plan {
    articles: usize,
    points: usize,
    seed: u64,
}

impl Plan {
    fn from_env() -> Plan {
        let get = |name: &str, default: u64| -> u64 {
            std::env::var(name)
                .ok()
                .map(|v| {
                    v.parse()
                        .unwrap_or_else(|_| panic!("{name} is not a number"))
                })
                .unwrap_or(default)
        };
        Plan {
            articles: get("NUNTIUS_CRASH_ARTICLES", 600) as usize,
            points: get("NUNTIUS_CRASH_POINTS", 3) as usize,
            seed: get("NUNTIUS_CRASH_SEED", 20_261_201),
        }
    }
}

/// A moment in `0..span`, from the seeded generator.
fn moment(rng: &mut SplitMix64, span: Duration) -> Duration {
    let ms = span.as_millis().max(1) as u64;
    Duration::from_millis(rng.next_u64() % ms)
}

fn nuntius_cmd(data: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nuntius"));
    cmd.arg("--data-dir")
        .arg(data)
        .arg("--encoder")
        .arg("none")
        .current_dir(repo_root());
    cmd
}

/// A corpus of `n` articles replicated from the shipped seeds, and its ids in order.
fn corpus(dir: &Path, n: usize) -> (PathBuf, Vec<String>) {
    let path = dir.join("corpus.jsonl");
    let out = nuntius_cmd(&dir.join("unused"))
        .args(["bench", "corpus", "--input", "examples/seeds", "--articles"])
        .arg(n.to_string())
        .output()
        .expect("run bench corpus");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(&path, &out.stdout).expect("write corpus");
    let ids = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("corpus line is JSON");
            v["id"].as_str().expect("corpus id").to_string()
        })
        .collect();
    (path, ids)
}

/// What the store holds, checked: no article twice, each with one event, each event in one
/// story. Returns the stored ids.
fn check_store(data: &Path, when: &str) -> BTreeSet<String> {
    let (out, err, code) = nuntius(data, &["export", "--format", "jsonl"]);
    assert_eq!(code, 0, "{when}: export failed: {err}");
    let mut ids = BTreeSet::new();
    let mut story_of_event: BTreeMap<u64, u64> = BTreeMap::new();
    for line in out.lines() {
        let a: Value = serde_json::from_str(line).expect("export line is JSON");
        let id = a["id"].as_str().expect("id").to_string();
        let event = a["event"].as_u64();
        let story = a["story"].as_u64();
        let (Some(event), Some(story)) = (event, story) else {
            panic!("{when}: {id} has event {event:?} and story {story:?}");
        };
        let first = *story_of_event.entry(event).or_insert(story);
        assert_eq!(
            first, story,
            "{when}: event {event} is in stories {first} and {story}"
        );
        assert!(ids.insert(id.clone()), "{when}: {id} is stored twice");
    }
    ids
}

/// The search index holds every stored article (an empty query matches them all).
fn check_search(data: &Path, stored: usize, when: &str) {
    let (out, err, code) = nuntius(data, &["search", "", "--json", "--limit", "1"]);
    assert_eq!(code, 0, "{when}: search failed: {err}");
    let v: Value = serde_json::from_str(out.trim()).expect("search JSON");
    assert_eq!(
        v["total_hits"].as_u64(),
        Some(stored as u64),
        "{when}: the index does not agree with the store: {err}"
    );
}

pub(super) fn kill(child: &mut Child) -> bool {
    let running = child.try_wait().expect("poll child").is_none();
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");
    running
}

#[test]
fn ingest_killed_at_random_points_loses_and_doubles_nothing() {
    let plan = Plan::from_env();
    let tmp = tempfile::tempdir().expect("tempdir");
    let (input, ids) = corpus(tmp.path(), plan.articles);
    let expected: BTreeSet<String> = ids.iter().cloned().collect();
    // One uninterrupted run: how long an ingest takes here, so kills land inside it.
    let whole = tmp.path().join("whole");
    let started = Instant::now();
    let status = nuntius_cmd(&whole)
        .arg("ingest")
        .arg(&input)
        .stderr(Stdio::null())
        .status()
        .expect("ingest");
    assert!(status.success());
    let span = started.elapsed();
    assert_eq!(check_store(&whole, "uninterrupted"), expected);

    let data = tmp.path().join("killed");
    let mut rng = SplitMix64(plan.seed);
    let mut killed_running = 0;
    for point in 0..plan.points {
        let at = moment(&mut rng, span);
        let mut child = nuntius_cmd(&data)
            .arg("ingest")
            .arg(&input)
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn ingest");
        std::thread::sleep(at);
        killed_running += usize::from(kill(&mut child));
        let when = format!("after kill {point} at {at:?}");
        let stored = check_store(&data, &when);
        assert!(
            stored.is_subset(&expected),
            "{when}: an article not in the input"
        );
    }
    let status = nuntius_cmd(&data)
        .arg("ingest")
        .arg(&input)
        .stderr(Stdio::null())
        .status()
        .expect("final ingest");
    assert!(status.success());
    let stored = check_store(&data, "after the last restart");
    assert_eq!(stored, expected, "after the last restart");
    check_search(&data, stored.len(), "after the last restart");
    eprintln!(
        "crash ingest: {} articles, {} kills ({killed_running} while running), seed {}, uninterrupted run {span:?}: every article once, index agrees",
        plan.articles, plan.points, plan.seed
    );
    assert!(killed_running > 0, "no kill landed while ingest ran");
}

/// A minimal HTTP/1.1 exchange (one request per connection): status and body.
pub(super) fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &str,
    body: &[u8],
) -> Option<(u16, Vec<u8>)> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .ok()?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{headers}Content-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).ok()?;
    stream.write_all(body).ok()?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).ok()?;
    let split = reply.windows(4).position(|w| w == b"\r\n\r\n")?;
    let status = std::str::from_utf8(&reply[..split])
        .ok()?
        .split(' ')
        .nth(1)?
        .parse()
        .ok()?;
    Some((status, reply[split + 4..].to_vec()))
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub(super) struct Server {
    pub(super) child: Child,
    pub(super) addr: String,
}

fn start_server(data: &Path) -> Server {
    start_server_with(data, &[])
}

/// `nuntius serve` on a free loopback port with the token `crash` and `extra` arguments,
/// once its writer is ready.
// The child leaves in the returned `Server`, whose callers kill and wait it.
#[allow(clippy::zombie_processes)]
pub(super) fn start_server_with(data: &Path, extra: &[&str]) -> Server {
    let addr_file = data.join("serve.addr");
    let _ = std::fs::remove_file(&addr_file);
    let mut child = nuntius_cmd(data)
        .args(["serve", "--addr", "127.0.0.1:0", "--token", "crash"])
        .args(extra)
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn serve");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the server did not start");
        }
        if let Ok(url) = std::fs::read_to_string(&addr_file) {
            if let Some(addr) = url.trim().strip_prefix("http://") {
                if let Some((200, body)) = http(addr, "GET", "/healthz", "", b"") {
                    let health: Value = serde_json::from_slice(&body).expect("health JSON");
                    if health["writer"] == "ready" {
                        return Server {
                            child,
                            addr: addr.to_string(),
                        };
                    }
                }
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

const CLIENTS: usize = 3;
const PER_POST: usize = 40;

/// Posts the chunks not yet acknowledged from `CLIENTS` threads until each is acknowledged or
/// the server goes away. An acknowledged chunk's ids go into `acked`.
fn post_all(addr: &str, chunks: &[(Vec<String>, Vec<u8>)], acked: &Arc<Mutex<BTreeSet<usize>>>) {
    let next = Arc::new(Mutex::new(0usize));
    std::thread::scope(|scope| {
        for _ in 0..CLIENTS {
            let next = next.clone();
            scope.spawn(move || loop {
                let i = {
                    let mut n = next.lock().expect("lock");
                    while *n < chunks.len() && acked.lock().expect("lock").contains(&*n) {
                        *n += 1;
                    }
                    if *n >= chunks.len() {
                        return;
                    }
                    *n += 1;
                    *n - 1
                };
                let headers =
                    "Authorization: Bearer crash\r\nContent-Type: application/x-ndjson\r\n";
                match http(addr, "POST", "/api/articles", headers, &chunks[i].1) {
                    Some((200, body)) => {
                        let report: Value = serde_json::from_slice(&body).expect("report JSON");
                        let stored = report["new"].as_u64().unwrap_or(0)
                            + report["already_stored"].as_u64().unwrap_or(0);
                        assert_eq!(stored as usize, chunks[i].0.len(), "chunk {i}: {report}");
                        acked.lock().expect("lock").insert(i);
                    }
                    Some((status, body)) => panic!(
                        "chunk {i}: status {status}: {}",
                        String::from_utf8_lossy(&body)
                    ),
                    // The server was killed: stop posting.
                    None => return,
                }
            });
        }
    });
}

#[test]
fn serve_killed_under_concurrent_posts_keeps_every_acknowledged_article() {
    let plan = Plan::from_env();
    let tmp = tempfile::tempdir().expect("tempdir");
    let (input, ids) = corpus(tmp.path(), plan.articles);
    let lines: Vec<String> = std::fs::read_to_string(&input)
        .expect("corpus")
        .lines()
        .map(str::to_string)
        .collect();
    let chunks: Vec<(Vec<String>, Vec<u8>)> = lines
        .chunks(PER_POST)
        .zip(ids.chunks(PER_POST))
        .map(|(l, i)| (i.to_vec(), (l.join("\n") + "\n").into_bytes()))
        .collect();
    let expected: BTreeSet<String> = ids.iter().cloned().collect();
    let data = tmp.path().join("served");

    // One uninterrupted run measures how long posting everything takes.
    let mut server = start_server(&data);
    let probe = Arc::new(Mutex::new(BTreeSet::new()));
    let started = Instant::now();
    post_all(&server.addr, &chunks, &probe);
    let span = started.elapsed();
    kill(&mut server.child);
    assert_eq!(probe.lock().expect("lock").len(), chunks.len());
    assert_eq!(check_store(&data, "uninterrupted"), expected);
    std::fs::remove_dir_all(&data).expect("clear data dir");

    let mut rng = SplitMix64(plan.seed);
    let acked = Arc::new(Mutex::new(BTreeSet::new()));
    for point in 0..plan.points {
        let at = moment(&mut rng, span);
        let mut server = start_server(&data);
        let addr = server.addr.clone();
        let posting = {
            let acked = acked.clone();
            let chunks = chunks.clone();
            std::thread::spawn(move || post_all(&addr, &chunks, &acked))
        };
        std::thread::sleep(at);
        kill(&mut server.child);
        posting.join().expect("posting thread");
        let when = format!("after kill {point} at {at:?}");
        let stored = check_store(&data, &when);
        assert!(
            stored.is_subset(&expected),
            "{when}: an article not in the input"
        );
        for i in acked.lock().expect("lock").iter() {
            for id in &chunks[*i].0 {
                assert!(stored.contains(id), "{when}: acknowledged {id} is lost");
            }
        }
        // The restarted server's index agrees with its store.
        let server2 = start_server(&data);
        let (status, body) = http(&server2.addr, "GET", "/healthz", "", b"").expect("health");
        assert_eq!(status, 200);
        let health: Value = serde_json::from_slice(&body).expect("health JSON");
        assert_eq!(
            health["articles"].as_u64(),
            Some(stored.len() as u64),
            "{when}: {health}"
        );
        assert_eq!(
            health["search_documents"].as_u64(),
            Some(stored.len() as u64),
            "{when}: the index does not agree with the store: {health}"
        );
        if let Some(id) = stored.iter().next() {
            let path = format!("/api/articles/{}", percent_encode(id));
            let got = http(&server2.addr, "GET", &path, "", b"").map(|r| r.0);
            assert_eq!(got, Some(200), "{when}: GET {path}");
        }
        let mut server2 = server2;
        kill(&mut server2.child);
    }
    let mut server = start_server(&data);
    post_all(&server.addr, &chunks, &acked);
    kill(&mut server.child);
    assert_eq!(acked.lock().expect("lock").len(), chunks.len());
    let stored = check_store(&data, "after the last restart");
    assert_eq!(stored, expected, "after the last restart");
    check_search(&data, stored.len(), "after the last restart");
    eprintln!(
        "crash serve: {} articles in posts of {PER_POST} from {CLIENTS} clients, {} kills, seed {}, uninterrupted run {span:?}: every acknowledged article kept, every article once, index agrees",
        plan.articles, plan.points, plan.seed
    );
}
