#!/usr/bin/env bash
# Builds one fuzz target (libFuzzer + AddressSanitizer) and runs it for a given time.
#   Fuzz/run.sh TARGET SECONDS [extra libFuzzer flags...]
# TARGET: payload | logs | user | snapshot. The corpus grows in Fuzz/corpus/TARGET (gitignored), seeded from
# Fuzz/seeds/TARGET (committed) and the repository's fixtures; crashes land in Fuzz/crashes/TARGET.
# Prints the executions and the coverage (libFuzzer's cov: edges and ft: features) at the end.
# FUZZ_CONFIG=debug|release (default release); FUZZ_JOBS=N for the build (default 1).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
target="${1:?usage: Fuzz/run.sh payload|logs|user|snapshot SECONDS}"
seconds="${2:?usage: Fuzz/run.sh TARGET SECONDS}"
shift 2 || true
case "$target" in
  payload) product=FuzzPayload; maxlen=262144 ;;
  logs) product=FuzzLogs; maxlen=65536 ;;
  user) product=FuzzUser; maxlen=4096 ;;
  snapshot) product=FuzzSnapshot; maxlen=262144 ;;
  *) echo "unknown target $target (payload, logs, user, snapshot)" >&2; exit 2 ;;
esac
config="${FUZZ_CONFIG:-release}"
build="$here/.build"
if [ -z "${FUZZ_NO_BUILD:-}" ]; then
  swift build --package-path "$here" --build-path "$build" -c "$config" -j "${FUZZ_JOBS:-1}" --product "$product" \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library >&2
fi
bin="$build/$config/$product"
corpus="$here/corpus/$target"
crashes="$here/crashes/$target"
mkdir -p "$corpus" "$crashes"
seeds=("$here/seeds/$target")
case "$target" in
  payload|snapshot) seeds+=("$here/seeds/payload") ;;
esac
# Seed the working corpus once from the repository's fixtures (small files only).
if [ -z "$(ls -A "$corpus")" ]; then
  case "$target" in
    payload|snapshot)
      for f in "$root"/Tests/KVReplayEvaluationTests/Fixtures/oracle/*/payload.json* \
               "$root"/Tests/KVReplayIngestTests/Fixtures/snapshots/* ; do
        [ -f "$f" ] && [ "$(stat -c %s "$f")" -le "$maxlen" ] && cp "$f" "$corpus/$(basename "$(dirname "$f")")_$(basename "$f")"
      done
      find /work/shared/conformance -name '*.json' -size -256k 2>/dev/null | head -200 | while read -r f; do
        cp "$f" "$corpus/conf_$(echo "$f" | md5sum | cut -c1-12).json"; done ;;
    logs)
      find "$root/Tests/KVReplayIngestTests/Fixtures/logs" -type f -size -64k -exec cp {} "$corpus/" \; 2>/dev/null || true
      find "$root/Datasets/sample/logs" -type f -size -64k 2>/dev/null | head -40 | while read -r f; do
        cp "$f" "$corpus/sample_$(basename "$f")"; done
      # A few single NDJSON lines of real shape.
      find "$root/Datasets/sample/logs" -name '*.ndjson' | head -3 | while read -r f; do
        head -5 "$f" | split -l 1 - "$corpus/line_$(basename "$f")_"; done ;;
    user)
      for f in "$root"/Tests/KVReplayEvaluationTests/Fixtures/oracle/*/users.jsonl "$root/Datasets/sample/users.jsonl"; do
        head -40 "$f" | split -l 1 - "$corpus/$(basename "$(dirname "$f")")_"; done ;;
  esac
fi
dirs=("$corpus")
for s in "${seeds[@]}"; do [ -d "$s" ] && dirs+=("$s"); done
log="$here/crashes/$target.log"
echo "running $product for $seconds s (corpus $corpus)" >&2
set +e
ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}" \
LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$root/Tools/lsan.supp}" \
"$bin" -max_total_time="$seconds" -max_len="$maxlen" -timeout=20 -rss_limit_mb=3072 -print_final_stats=1 \
  -artifact_prefix="$crashes/" "$@" "${dirs[@]}" 2>&1 | tee "$log" | grep -E "^#|ERROR|SUMMARY|stat::|Test unit written|DONE" | grep -vE "^#[0-9]+\s+(NEW|REDUCE)" >&2
rc=${PIPESTATUS[0]}
set -e
echo "== $target: $(grep -E 'stat::number_of_executed_units' "$log" | awk '{print $2}') executions in $seconds s; last stats: $(grep -E '^#[0-9]+' "$log" | tail -1)" >&2
exit "$rc"
