#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine for claimq: installs the Debian packages
# the project needs (idempotent) and builds into build/. Run as root, or with
# sudo available. Usage: deploy/setup.sh [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
    build-essential cmake pkg-config clang clang-format clang-tidy llvm
    libclang-rt-14-dev
    libzmq3-dev libczmq-dev libmsgpack-dev libsqlite3-dev sqlite3
    libjansson-dev libssl-dev libcairo2-dev fonts-dejavu-core libtiff-dev
    libtesseract-dev libleptonica-dev tesseract-ocr tesseract-ocr-eng
    libcriterion-dev valgrind
    python3-jsonschema
    tmux iproute2 redis-server python3-redis
)

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    echo "setup: installing ${missing[*]}" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >&2
fi

[ "${1:-}" = "--no-build" ] && exit 0
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >&2
echo "setup: built build/claimq build/claimq-broker build/claimq-worker" >&2
