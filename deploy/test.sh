#!/usr/bin/env bash
# Runs every test: the README's test command, and what .ci/run calls.
#   1. gcc, -Werror, all CTest labels (unit, integration, fuzz corpus replay)
#   2. clang, ASan+UBSan, all labels but docs (help texts, man pages,
#      packaging: checked once, in 1) and heavy (it_shards: its load, not
#      its code, is what it adds; see CMakeLists.txt)
#   3. clang-format check
#   4. fuzz smoke: each libFuzzer target for a short time on its corpus
# Environment: CQ_TEST_QUICK=1 skips 2 and 4 (for a fast local loop);
# CQ_FUZZ_SECONDS (default 3) per fuzz target: a smoke test; real fuzzing is
# build-fuzz/fuzz_X -max_total_time=600 on the corpus in tests/fuzz/corpus/X.
set -euo pipefail
cd "$(dirname "$0")/.."
deploy/setup.sh --no-build
export OMP_THREAD_LIMIT=1
jobs=$(nproc)
fail=0

step() { echo; echo "== $*"; }

step "gcc -Werror build and tests"
cmake -S . -B build-ci -DCQ_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-ci -j"$jobs"
(cd build-ci && ctest --output-on-failure -j"$jobs") || fail=1

if [ "${CQ_TEST_QUICK:-0}" != 1 ]; then
    step "clang ASan+UBSan build and tests"
    CC=clang CXX=clang++ cmake -S . -B build-asan -DCQ_WERROR=ON \
        -DCMAKE_BUILD_TYPE=Debug -DCQ_SANITIZE=address,undefined >/dev/null
    cmake --build build-asan -j"$jobs"
    (cd build-asan && ctest --output-on-failure -j"$jobs" -LE 'docs|heavy') || fail=1
fi

step "clang-format"
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find common ocr broker worker client tests -name '*.[ch]')
if ! clang-format --dry-run -Werror $files; then
    echo "clang-format: files differ from .clang-format (run clang-format -i)"
    fail=1
fi

if [ "${CQ_TEST_QUICK:-0}" != 1 ]; then
    step "fuzz smoke (libFuzzer)"
    CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCQ_FUZZ=ON \
        -DCQ_SANITIZE=address,undefined -DCMAKE_BUILD_TYPE=Debug >/dev/null
    cmake --build build-fuzz -j"$jobs" --target $(cd tests/fuzz && ls fuzz_*.c 2>/dev/null | sed 's/\.c$//' | tr '\n' ' ') 2>&1 | tail -3
    for f in tests/fuzz/fuzz_*.c; do
        [ -e "$f" ] || continue
        name=$(basename "$f" .c)
        corpus=tests/fuzz/corpus/${name#fuzz_}
        mkdir -p "$corpus"
        scratch=$(mktemp -d)
        echo "-- $name (${CQ_FUZZ_SECONDS:-3}s)"
        if ! build-fuzz/"$name" -max_total_time="${CQ_FUZZ_SECONDS:-3}" \
            -max_len=65536 -print_final_stats=0 "$scratch" "$corpus" \
            >"$scratch.log" 2>&1; then
            tail -40 "$scratch.log"
            echo "$name: FAILED (crash input saved beside the log: $scratch.log)"
            fail=1
        fi
        rm -rf "$scratch"
    done
fi

echo
if [ "$fail" = 0 ]; then echo "ALL TESTS PASSED"; else echo "SOME TESTS FAILED"; fi
exit $fail
