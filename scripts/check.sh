#!/usr/bin/env bash
# What a commit must pass: formatting, the layering rules (docs/architecture.md), clippy with
# warnings as errors, and the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --all -- --check
python3 scripts/layers.py
cargo clippy --all-targets -- -D warnings
scripts/test.sh
