#!/usr/bin/env bash
# Sourced by every script of afdio's that runs Windows binaries under Wine
# (tests, demo, benchmarks): build/wine.sh's environment, with the prefix
# inside the given cache directory.
# Usage: . tests/wine-env.sh <cache-dir>
. "$(dirname "${BASH_SOURCE[0]}")/../build/wine.sh" env "${1:?cache dir}"
