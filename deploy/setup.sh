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
    libjansson-dev libssl-dev libcairo2-dev fonts-dejavu-core libtiff-dev libpoppler-glib-dev
    libtesseract-dev libleptonica-dev tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd zlib1g-dev
    libmicrohttpd-dev libsodium-dev chromium chromium-driver python3-selenium
    libcriterion-dev valgrind groff-base
    python3-jsonschema python3-yaml
    tmux iproute2 redis-server python3-redis
    rabbitmq-server python3-pika beanstalkd
    prometheus lintian
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
    # Installing a server package (redis-server, rabbitmq-server, beanstalkd)
    # starts its system service on Debian. None is wanted: the peer
    # benchmarks (bench/peers/) start their own instances on free loopback
    # ports, and a service would hold the default ports and run on. A
    # policy-rc.d exiting 101 makes invoke-rc.d and deb-systemd-invoke refuse
    # the start; it is created only if there is none, and removed afterwards
    # only if created here.
    policy=/usr/sbin/policy-rc.d
    made_policy=""
    unmake_policy() {
        if [ -n "$made_policy" ]; then
            $SUDO rm -f "$policy"
            made_policy=""
        fi
    }
    if [ ! -e "$policy" ] && [ ! -L "$policy" ]; then
        printf '#!/bin/sh\n# deploy/setup.sh: no service starts during its apt-get install\nexit 101\n' |
            $SUDO tee "$policy" >/dev/null
        $SUDO chmod 755 "$policy"
        made_policy=1
    fi
    trap unmake_policy EXIT
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >&2
    unmake_policy
    trap - EXIT
fi

[ "${1:-}" = "--no-build" ] && exit 0
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target claimq claimq-broker claimq-worker >&2
echo "setup: built build/claimq build/claimq-broker build/claimq-worker" >&2
