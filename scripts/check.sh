#!/usr/bin/env bash
# What a commit must pass: formatting, clippy with warnings as errors, and the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
scripts/test.sh
