#!/usr/bin/env python3
"""Article extraction, nuntius against trafilatura 2.3.1, on the same pages, side by side.

usage: scripts/eval-extraction.py [--split all|dev|test] [--nuntius BIN] FORMAT:DIR...
       scripts/eval-extraction.py --prepare SRC DEST

FORMAT is one of `nuntius eval extraction --format` values:
  segments     DIR/pages.tar.zst with evaldata.json (with/without segments), segment P/R/F1
  readability  DIR/NAME/source.html + expected.html (mozilla/readability test pages)
  pairs        DIR/html/NAME + DIR/text|reference/NAME (newspaper fixtures, DAnIEL corpus)
Shingle sets are scored by 4-token shingle F1 (the public article-extraction benchmark's
score), the segment set by segment F1. Per set it prints both systems' scores, the pages
each does better on (page F1 differs by more than 0.01) and the pages where one scores
under 0.5 while the other scores over 0.8.

trafilatura==2.3.1 is installed from PyPI into a venv under $NUNTIUS_EVAL_CACHE
(default ~/.cache/nuntius-eval) on first use; it runs with include_comments=False, and its
output per page is cached there by the page's SHA-256.
Python 3 standard library only on this side; the data never enters the repository.
"""
import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

TRAFILATURA = "trafilatura==2.3.1"
WORD = re.compile(r"\w+")

# Runs inside the venv: reads [[key, path], ...] on stdin, writes {key: text} on stdout.
RUNNER = r"""
import json, sys, time, trafilatura
jobs = json.load(sys.stdin)
out, t0 = {}, time.process_time()
for key, path in jobs:
    with open(path, "rb") as f:
        html = f.read()
    try:
        out[key] = trafilatura.extract(html, include_comments=False) or ""
    except Exception as e:
        print(f"{path}: {e}", file=sys.stderr)
        out[key] = ""
sys.stderr.write(f"trafilatura: {len(jobs)} pages, {time.process_time() - t0:.1f} CPU-s\n")
json.dump(out, sys.stdout)
"""


def venv_python():
    cache = Path(os.environ.get("NUNTIUS_EVAL_CACHE", Path.home() / ".cache" / "nuntius-eval"))
    venv = cache / "trafilatura-2.3.1"
    py = venv / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        # lxml 5+ moved lxml.html.clean out; trafilatura 2.3.1 still imports it.
        subprocess.run([str(py), "-m", "pip", "install", "-q", TRAFILATURA, "lxml_html_clean"], check=True)
    return py


def run_trafilatura(jobs):
    """{key: text} of trafilatura on every page; outputs are cached by the page's SHA-256
    (trafilatura is deterministic), so reruns only extract pages not seen before."""
    python = venv_python()
    cache = python.parent.parent / "outputs"
    cache.mkdir(exist_ok=True)
    out, todo = {}, []
    for key, path in jobs:
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        hit = cache / f"{digest}.txt"
        if hit.exists():
            out[key] = hit.read_text(encoding="utf-8")
        else:
            todo.append((key, path, hit))
    if todo:
        res = subprocess.run([str(python), "-c", RUNNER], input=json.dumps([[k, p] for k, p, _ in todo]),
                             capture_output=True, text=True, check=True)
        sys.stderr.write(res.stderr)
        fresh = json.loads(res.stdout)
        for key, _, hit in todo:
            out[key] = fresh.get(key, "")
            hit.write_text(out[key], encoding="utf-8")
    return out


def run_nuntius(binary, fmt, directory, split, workdir):
    pred = workdir / "nuntius.json"
    truth = workdir / "truth.json"
    cmd = [binary, "eval", "extraction", str(directory), "--format", fmt, "--predictions", str(pred)]
    if fmt != "segments":
        cmd += ["--split", split, "--truth", str(truth)]
    res = subprocess.run(cmd, capture_output=True, text=True, check=True)
    rate = re.search(r"([\d.]+) pages per CPU-second", res.stdout)
    return json.loads(pred.read_text()), (json.loads(truth.read_text()) if fmt != "segments" else None), rate


# ---- shingle score (as the public article-extraction benchmark defines it)

def shingle_counts(text):
    toks = WORD.findall(text or "")
    if len(toks) < 4:
        return Counter([tuple(toks)]) if toks else Counter()
    return Counter(tuple(toks[i:i + 4]) for i in range(len(toks) - 3))


def page_pr(expected, predicted):
    """(precision or None, recall or None) of one page."""
    e, p = shingle_counts(expected), shingle_counts(predicted)
    tp = sum((e & p).values())
    fp, fn = sum(p.values()) - tp, sum(e.values()) - tp

    def ratio(a, b):
        if fp == 0 and fn == 0:
            return 1.0
        return a / (a + b) if a else 0.0
    return (ratio(tp, fp) if tp + fp else None), (ratio(tp, fn) if tp + fn else None)


def f1(p, r):
    p, r = p or 0.0, r or 0.0
    return 2 * p * r / (p + r) if p + r else 0.0


def mean_scores(per_page):
    ps = [p for p, _ in per_page.values() if p is not None]
    rs = [r for _, r in per_page.values() if r is not None]
    p = sum(ps) / len(ps) if ps else 0.0
    r = sum(rs) / len(rs) if rs else 0.0
    return p, r, f1(p, r)


# ---- segment score (the trafilatura evaluation set)

def norm(s):
    return " ".join(s.split())


def segment_counts(entry, text):
    out = norm(text)
    tp = sum(1 for s in entry.get("with", []) if norm(s) in out)
    fp = sum(1 for s in entry.get("without", []) if norm(s) in out)
    return tp, fp, len(entry.get("with", [])) - tp


def segment_scores(counts):
    tp = sum(c[0] for c in counts.values())
    fp = sum(c[1] for c in counts.values())
    fn = sum(c[2] for c in counts.values())
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, f1(p, r)


def segment_page_f1(c):
    tp, fp, fn = c
    return f1(tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn) if tp + fn else 0.0)


def compare(name, ours_pp, theirs_pp, ours, theirs, page_f1, rate, show):
    better = sorted(k for k in ours_pp if page_f1(ours_pp[k]) > page_f1(theirs_pp[k]) + 0.01)
    worse = sorted(k for k in ours_pp if page_f1(ours_pp[k]) + 0.01 < page_f1(theirs_pp[k]))
    ours_fail = [k for k in ours_pp if page_f1(ours_pp[k]) < 0.5 and page_f1(theirs_pp[k]) > 0.8]
    theirs_fail = [k for k in ours_pp if page_f1(theirs_pp[k]) < 0.5 and page_f1(ours_pp[k]) > 0.8]
    print(f"== {name}: {len(ours_pp)} pages")
    print(f"   nuntius      P {ours[0]:.3f} R {ours[1]:.3f} F1 {ours[2]:.3f}"
          + (f"   ({rate.group(1)} pages per CPU-second)" if rate else ""))
    print(f"   trafilatura  P {theirs[0]:.3f} R {theirs[1]:.3f} F1 {theirs[2]:.3f}")
    print(f"   nuntius better on {len(better)} pages, worse on {len(worse)}; "
          f"nuntius < 0.5 where trafilatura > 0.8: {len(ours_fail)}; the reverse: {len(theirs_fail)}")
    if show:
        losses = sorted(worse, key=lambda k: page_f1(ours_pp[k]) - page_f1(theirs_pp[k]))
        for k in losses[:show]:
            print(f"   - {k}: nuntius {page_f1(ours_pp[k]):.2f} trafilatura {page_f1(theirs_pp[k]):.2f}")


# ---- preparing sets kept as input/NAME.html + GoldStandard/NAME.txt (CleanEval's layout,
# used by j-szulc/html-cleaning-dataset-merged for CleanEval, CleanPortalEval, dragnet_data
# and L3S-GN1 / page-signal) into the `pairs` layout: html/SITE-N.html + text/SITE-N.txt.

URL_LINE = re.compile(r"\AURL:\s*(\S+)")
PAGE_URL = re.compile(rb"""(?:rel=["']?canonical["']?[^>]*?href|property=["']og:url["'][^>]*?content|<text id)=["']([^"']+)""", re.I)
LINK = re.compile(rb"""<a\s[^>]*?href=["']?https?://([^/"'\s>:]+)""", re.I)
# Hosts that links point to on every kind of site (ads, counters, sharing), never a page's own.
SHARED_HOSTS = re.compile(r"doubleclick|google|analytics|syndication|facebook|twitter|addthis|digg|"
                          r"delicious|stumbleupon|reddit|yahoo|feedburner|adobe|w3\.org|macromedia")
DRAGNET_COMMENTS = "!@#$%^&*()  COMMENTS"
CLEANEVAL_TAG = re.compile(r"^\s*<[phl]>", re.M)


def host_of(url):
    m = re.match(r"(?:https?://)?([^/:?#\s]+)", url.strip())
    return m.group(1).lower().removeprefix("www.") if m else ""


def page_site(html, gold):
    """The site a page comes from, for the dev/test split (all pages of a site fall in one half):
    the gold's `URL:` line, the page's canonical/og:url, else the host most links point to."""
    m = URL_LINE.match(gold.lstrip("\ufeff"))
    if m:
        return host_of(m.group(1))
    m = PAGE_URL.search(html)
    if m:
        return host_of(m.group(1).decode("latin-1"))
    hosts = Counter(h.decode("latin-1").lower().removeprefix("www.") for h in LINK.findall(html))
    hosts = Counter({h: n for h, n in hosts.items() if not SHARED_HOSTS.search(h)})
    return min(hosts.items(), key=lambda kv: (-kv[1], kv[0]))[0] if hosts else "unknown"


class _SelText(__import__("html.parser").parser.HTMLParser):
    """Text inside L3S-GN1's `x-nc-sel2` annotations (the article's full text; sel1 is the
    headline, sel3 supplemental text such as captions, sel4 related links, sel5 comments)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.depth, self.out = [], 0, []

    def handle_starttag(self, tag, attrs):
        if tag in ("br", "img", "hr", "meta", "link", "input"):
            return
        sel = "x-nc-sel2" in (dict(attrs).get("class") or "").split()
        self.stack.append(sel)
        self.depth += sel
        if tag in ("p", "div", "li", "h1", "h2", "h3", "h4", "tr", "br"):
            self.out.append("\n")

    def handle_endtag(self, tag):
        if tag in ("br", "img", "hr", "meta", "link", "input") or not self.stack:
            return
        self.depth -= self.stack.pop()

    def handle_data(self, data):
        if self.depth > 0:
            self.out.append(data)


def gold_text(gold):
    """The expected article text of one gold file, whichever of the four sets it comes from."""
    if "x-nc-sel" in gold:
        p = _SelText()
        p.feed(gold)
        return re.sub(r"[ \t]*\n\s*", "\n", "".join(p.out)).strip() + "\n"
    gold = gold.split(DRAGNET_COMMENTS, 1)[0].lstrip("\ufeff")
    if URL_LINE.match(gold):
        gold = gold.split("\n", 1)[1] if "\n" in gold else ""
    # CleanEval marks each kept block with <p>, <h> (heading) or <l> (list item).
    return CLEANEVAL_TAG.sub("", gold)


def prepare(src, dest):
    src, dest = Path(src), Path(dest)
    if not (src / "input").is_dir() or not (src / "GoldStandard").is_dir():
        sys.exit(f"{src}: no input/ and GoldStandard/ folders")
    (dest / "html").mkdir(parents=True, exist_ok=True)
    (dest / "text").mkdir(parents=True, exist_ok=True)
    golds = {g.stem: g for g in (src / "GoldStandard").iterdir() if g.suffix == ".txt"}
    pages = sorted(p for p in (src / "input").iterdir() if p.suffix in (".html", ".htm") and p.stem in golds)
    names, sites = [], Counter()
    for page in pages:
        html = page.read_bytes()
        gold = golds[page.stem].read_bytes().decode("utf-8", errors="replace")
        site = re.sub(r"[^a-z0-9.-]", "_", page_site(html, gold))
        sites[site] += 1
        # The split groups a name by what precedes its trailing number: SITE-N.
        name = f"{site}-{sites[site]}"
        (dest / "html" / f"{name}.html").write_bytes(html)
        (dest / "text" / f"{name}.txt").write_text(gold_text(gold), encoding="utf-8")
        names.append(f"{name}\t{page.name}\n")
    (dest / "names.tsv").write_text("".join(names), encoding="utf-8")
    print(f"{dest}: {len(pages)} pages from {len(sites)} sites (largest: "
          + ", ".join(f"{s} {n}" for s, n in sites.most_common(5)) + ")")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("sets", nargs="*", metavar="FORMAT:DIR")
    ap.add_argument("--split", default="all", choices=["all", "dev", "test"])
    ap.add_argument("--nuntius", default="target/release/nuntius")
    ap.add_argument("--show", type=int, default=0, help="list the N worst losses per set")
    ap.add_argument("--dump", metavar="DIR", help="write each set's texts (ours, trafilatura's, the "
                    "reference) to DIR/NAME.json for reading failures; keep DIR outside the repository")
    ap.add_argument("--prepare", nargs=2, metavar=("SRC", "DEST"), help="copy a set laid out as SRC/input/"
                    "NAME.html + SRC/GoldStandard/NAME.txt (CleanEval, CleanPortalEval, dragnet_data, L3S-GN1) "
                    "into DEST in the pairs layout, named by site for the split, and exit")
    args = ap.parse_args()
    if args.prepare:
        prepare(*args.prepare)
        return
    if not args.sets:
        ap.error("give at least one FORMAT:DIR")
    for spec in args.sets:
        fmt, _, directory = spec.partition(":")
        directory = Path(directory)
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            ours_text, truth, rate = run_nuntius(args.nuntius, fmt, directory, args.split, tmp)
            if fmt == "segments":
                subprocess.run(["tar", "--zstd", "-xf", str(directory / "pages.tar.zst"), "-C", str(tmp)], check=True)
                evaldata = next(tmp.rglob("evaldata.json"), None) or directory / "evaldata.json"
                evaldata = json.loads(Path(evaldata).read_text())
                files = {p.name: p for p in tmp.rglob("*") if p.is_file()}
                jobs = [[url, str(files[e["file"]])] for url, e in evaldata.items() if e["file"] in files]
                theirs_text = run_trafilatura(jobs)
                ours_pp = {u: segment_counts(evaldata[u], ours_text.get(u, "")) for u, _ in jobs}
                theirs_pp = {u: segment_counts(evaldata[u], theirs_text.get(u, "")) for u, _ in jobs}
                compare(f"{directory.name} (segments)", ours_pp, theirs_pp, segment_scores(ours_pp),
                        segment_scores(theirs_pp), segment_page_f1, rate, args.show)
            else:
                jobs = [[k, v["html"]] for k, v in truth.items()]
                theirs_text = run_trafilatura(jobs)
                ours_pp = {k: page_pr(v["articleBody"], ours_text[k]["articleBody"]) for k, v in truth.items()}
                theirs_pp = {k: page_pr(v["articleBody"], theirs_text.get(k, "")) for k, v in truth.items()}
                compare(f"{directory.name} ({fmt}, {args.split})", ours_pp, theirs_pp, mean_scores(ours_pp),
                        mean_scores(theirs_pp), lambda pr: f1(*pr), rate, args.show)
            if args.dump:
                dump = {k: {"ours": ours_text[k]["articleBody"] if truth else ours_text.get(k, ""),
                            "theirs": theirs_text.get(k, ""),
                            "reference": truth[k]["articleBody"] if truth else evaldata[k],
                            "html": truth[k]["html"] if truth else None}
                        for k in (truth if truth else dict(jobs))}
                Path(args.dump).mkdir(parents=True, exist_ok=True)
                (Path(args.dump) / f"{directory.name}-{args.split}.json").write_text(json.dumps(dump))


if __name__ == "__main__":
    start = time.time()
    main()
    print(f"({time.time() - start:.0f} s)", file=sys.stderr)
