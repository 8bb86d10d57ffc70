#!/usr/bin/env bash
# The project's scoreboard: runs every benchmark and prints one table of figures, each beside a
# baseline measured in the same run (see DESIGN.md §8 for the targets).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -q --bench cpu 2>/dev/null
