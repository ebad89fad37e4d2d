#!/bin/bash
# Runs every benchmark in bench/ (each *.sh but this one) in turn; `make bench` calls it.
# Usage: bench/run.sh   (env TUG, RUNS, WARMUP, BENCH_USER, BENCH_OUT are passed to each benchmark)
set -uo pipefail

dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
failed=()
for bench in "$dir"/*.sh; do
  [[ $(basename "$bench") == run.sh ]] && continue
  printf '=== %s\n' "$(basename "$bench" .sh)"
  # One failing benchmark must not hide the others' figures.
  if ! bash "$bench"; then
    failed+=("$(basename "$bench")")
  fi
done

if ((${#failed[@]})); then
  printf 'bench: failed: %s\n' "${failed[*]}" >&2
  exit 1
fi
