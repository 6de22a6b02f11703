#!/usr/bin/env python3
"""Writes a small corpus of hostile input mixed with good records into OUTDIR, and prints as
JSON, for each file, how many records must be stored and how many errors and
warnings it must cause. `nuntius ingest OUTDIR` must store every good record once, report each
bad one with one error naming its file, and exit 2.

Usage: scripts/malformed-corpus.py OUTDIR
"""

import gzip
import json
import os
import random
import sys


def good(i, **extra):
    record = {
        "id": f"good-{i}",
        "title": f"Lavrov e Blinken, colloquio numero {i} a Ginevra",
        "text": f"Il ministro Lavrov ha incontrato Blinken a Ginevra per il colloquio {i}.",
        "lang": "it",
    }
    record.update(extra)
    return json.dumps(record, ensure_ascii=False) + "\n"


def main(out):
    os.makedirs(out, exist_ok=True)
    rnd = random.Random(20261201)
    expected = {}
    n = 0

    def write(name, data, stored, errors, warnings=0):
        path = os.path.join(out, name)
        with open(path, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode("utf-8"))
        expected[name] = {"stored": stored, "errors": errors, "warnings": warnings}

    def goods(k, **extra):
        nonlocal n
        lines = "".join(good(n + j, **extra) for j in range(k))
        n += k
        return lines

    write("good.jsonl", goods(20), 20, 0)
    write(
        "wrong_types.jsonl",
        goods(1)
        + '{"title": 12345, "text": "t"}\n'
        + '{"title": "t", "text": 3.14}\n'
        + '{"title": "t", "date": {"year": 2022}}\n'
        + '{"title": "t", "id": [1, 2]}\n'
        + goods(1),
        2,
        4,
    )
    write("bom.jsonl", "\ufeff" + goods(2), 2, 0)
    array = [json.loads(good(n + j)) for j in range(3)]
    n += 3
    array.append({"title": 5})
    write("array.json", json.dumps(array), 3, 1)
    members = b""
    for j in range(5):
        member = bytearray(gzip.compress(good(n + j).encode()))
        if j == 2:
            member[-8] ^= 0xFF  # the CRC: the member inflates, then fails at its trailer
        members += bytes(member)
    n += 5
    write("corrupt_member.jsonl.gz", members, 4, 1)
    write("invalid_utf8.jsonl", b'{"title": "caf\xe9"}\n' + goods(1).encode(), 1, 1)
    write("binary.bin", bytes(rnd.getrandbits(8) for _ in range(4096)) + b"\0", 0, 1)
    write("empty.jsonl", b"", 0, 1)
    write("tiny.jsonl", "{}\n" * 100_000, 0, 100_000)
    deep = "<div>" * 100_000 + "<p>" + "Lavrov e Blinken a Ginevra, una pagina annidata. " * 8 + "</p>"
    write("deep.html", "<html><head><title>Pagina profonda</title></head><body>" + deep + "</body></html>", 1, 0)
    bomb = (
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">' for i in range(1, 10))
        + ']>\n<rss version="2.0"><channel><title>Bomb</title>'
        + '<item><title>&lol9;</title><link>https://bomb.example/1</link><description>Boom</description></item>'
        + '<item><title>Lavrov a Ginevra</title><link>https://bomb.example/2</link><description>Il ministro Lavrov a Ginevra.</description></item>'
        + "</channel></rss>\n"
    )
    write("entity_bomb.rss", bomb, 2, 0)
    write(
        "dates.jsonl",
        goods(1, date="0000-00-00") + goods(1, date="9999-12-31") + goods(1, date="2022-02-30"),
        3,
        0,
        3,
    )
    write("long_line.jsonl", goods(1) + '{"title": "' + "x" * 500_000 + '"}\n', 1, 1)
    write("long_text.jsonl", goods(1, text="parola " * 50_000), 1, 0, 1)
    write("long_id.jsonl", goods(1) + json.dumps({"id": "i" * 5000, "title": "t"}) + "\n", 1, 1)
    write("bad_lang.jsonl", goods(1, lang="<script>alert(1)</script>") + goods(1, lang="english"), 2, 0, 1)
    page = (
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html><head><title>Lavrov a Ginevra"
        "</title></head><body><article><p>Il ministro degli Esteri russo ha incontrato il "
        "segretario di Stato americano a Ginevra per parlare di sicurezza.</p></article></body></html>"
    )

    def warc(kind, uri, body, length=None):
        length = len(body.encode()) if length is None else length
        return (
            f"WARC/1.0\r\nWARC-Type: {kind}\r\nWARC-Target-URI: {uri}\r\n"
            f"Content-Type: application/http; msgtype=response\r\nContent-Length: {length}\r\n\r\n{body}\r\n\r\n"
        )

    write(
        "lying.warc",
        warc("metadata", "https://warc.example/0", "fetchTimeMs: 1\r\n", 10**15)
        + warc("response", "https://warc.example/1", page),
        1,
        1,
    )
    os.symlink(os.path.join(out, "no-such-file"), os.path.join(out, "dangling.jsonl"))
    expected["dangling.jsonl"] = {"stored": 0, "errors": 1, "warnings": 0}
    os.mkfifo(os.path.join(out, "pipe.jsonl"))
    expected["pipe.jsonl"] = {"stored": 0, "errors": 1, "warnings": 0}
    json.dump(expected, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
