#!/usr/bin/env bash
# Crash campaign: SIGKILL `kvreplay ingest logs` and `kvreplay replay` at random moments, run them again, and check
# that the database is sound and its contents equal a clean run's.
#
#   Tools/crash-campaign.sh [ROUNDS] [WORKDIR]        (default 50 rounds, a temporary folder)
#
# KVREPLAY_BIN: the binary (default .build/release/kvreplay, else .build/debug/kvreplay). CAMPAIGN_SEED: the seed of the
# random moments (default 1). CAMPAIGN_GENERATE: extra `kvreplay generate` options.
#
# Rounds alternate: odd rounds kill `ingest logs` (on a database holding the snapshots and ID lists), even rounds kill
# `replay` (on a fully ingested database that already holds a replay of an earlier range, so the kill lands on top of
# previous results). The moment is uniform over the clean run's duration. After the kill: PRAGMA integrity_check,
# no duplicate exposure/user/snapshot/source file, every recorded log file complete (its exposures equal the clean
# run's for that file), and the replay tables either the previous replay's or the final ones (never a mix). After the
# re-run: every table equal to the clean run's (wall-clock columns left out).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
rounds="${1:-50}"
work="${2:-$(mktemp -d /tmp/kvreplay-campaign.XXXXXX)}"
bin="${KVREPLAY_BIN:-}"
if [ -z "$bin" ]; then
  if [ -x "$root/.build/release/kvreplay" ]; then bin="$root/.build/release/kvreplay"; else bin="$root/.build/debug/kvreplay"; fi
fi
mkdir -p "$work"
data="$work/data"
echo "binary: $bin; work: $work" >&2
if [ ! -f "$data/manifest.json" ]; then
  "$bin" generate --out "$data" --seed 7 --days 4 --users 1500 --gates 30 --experiments 6 --servers 6 --snapshots-per-day 4 \
    ${CAMPAIGN_GENERATE:-} 2>/dev/null
fi

export CAMPAIGN_BIN="$bin" CAMPAIGN_DATA="$data" CAMPAIGN_WORK="$work" CAMPAIGN_ROUNDS="$rounds"
exec python3 - <<'PY'
import os, random, shutil, signal, sqlite3, subprocess, sys, time, json

bin_, data, work, rounds = os.environ["CAMPAIGN_BIN"], os.environ["CAMPAIGN_DATA"], os.environ["CAMPAIGN_WORK"], int(os.environ["CAMPAIGN_ROUNDS"])
rng = random.Random(int(os.environ.get("CAMPAIGN_SEED", "1")))
logs, snaps, idlists = f"{data}/logs", f"{data}/snapshots", f"{data}/idlists"

def run(args, db, check=True):
    r = subprocess.run([bin_] + args + ["--db", db], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if check and r.returncode not in (0, 3):
        sys.exit(f"kvreplay {' '.join(args)} exited {r.returncode}: {r.stderr.decode()[-2000:]}")
    return r.returncode

def rm_db(db):
    for s in ("", "-wal", "-shm"):
        if os.path.exists(db + s): os.remove(db + s)

def copy_db(src, dst):
    rm_db(dst)
    c = sqlite3.connect(src); c.execute("PRAGMA wal_checkpoint(TRUNCATE)"); c.close()
    shutil.copy(src, dst)

WALL_CLOCK = {"source_files": {"ingested_at"}}

def dump(db, tables):
    c = sqlite3.connect(db)
    out = {}
    for t in tables:
        cols = [r[1] for r in c.execute(f"PRAGMA table_info({t})") if r[1] not in WALL_CLOCK.get(t, set())]
        rows = c.execute(f"SELECT {', '.join(cols)} FROM {t}").fetchall()
        out[t] = sorted(rows, key=repr)
    c.close()
    return out

def integrity(db):
    c = sqlite3.connect(db)
    ok = c.execute("PRAGMA integrity_check").fetchone()[0]
    c.close()
    return ok

def scalar(db, sql):
    c = sqlite3.connect(db); v = c.execute(sql).fetchone()[0]; c.close(); return v

INGEST = ["source_files", "snapshots", "snapshot_captures", "snapshot_entities", "users", "exposures", "id_lists",
          "id_list_entries", "rejects"]
REPLAY = ["replay_runs", "replay_entities", "replay_outcomes", "replay_flips", "audit"]

def uniqueness(db):
    problems = []
    for sql, what in [("SELECT count(*) - count(DISTINCT dedupe_key || ':' || time) FROM exposures", "duplicate exposures"),
                      ("SELECT count(*) - count(DISTINCT unit_key) FROM users", "duplicate users"),
                      ("SELECT count(*) - count(DISTINCT sha256) FROM snapshots", "duplicate snapshots"),
                      ("SELECT count(*) - count(DISTINCT sha256) FROM source_files", "duplicate source files")]:
        n = scalar(db, sql)
        if n: problems.append(f"{what}: {n}")
    return problems

# Clean runs: base (snapshots + ID lists), ingested (+ logs), previous (+ replay of the first half), replayed (+ full replay).
base, clean, previous, replayed = (f"{work}/{n}.sqlite" for n in ("base", "clean", "previous", "replayed"))
for db in (base, clean, previous, replayed): rm_db(db)
run(["ingest", "snapshots", snaps, "--quiet"], base)
run(["ingest", "idlists", idlists, "--quiet"], base)
copy_db(base, clean)
t0 = time.monotonic(); run(["ingest", "logs", logs, "--quiet"], clean); t_ingest = time.monotonic() - t0
snap_ids = [r[0] for r in sqlite3.connect(clean).execute("SELECT id FROM snapshots WHERE has_updates = 1 ORDER BY lcut")]
copy_db(clean, previous)
run(["replay", "--to", str(snap_ids[len(snap_ids) // 2]), "--quiet"], previous)
copy_db(previous, replayed)
t0 = time.monotonic(); run(["replay", "--quiet"], replayed); t_replay = time.monotonic() - t0
clean_dump = dump(clean, INGEST)
previous_replay = dump(previous, REPLAY)
final_replay = dump(replayed, REPLAY)
per_file = dict(sqlite3.connect(clean).execute(
    "SELECT f.path, count(e.id) FROM source_files f LEFT JOIN exposures e ON e.source_file_id = f.id WHERE f.kind = 'logs' GROUP BY f.path").fetchall())
print(f"dataset: {scalar(clean, 'SELECT count(*) FROM source_files')} files, {scalar(clean, 'SELECT count(*) FROM snapshots')} snapshots, "
      f"{scalar(clean, 'SELECT count(*) FROM exposures')} exposures, {scalar(clean, 'SELECT count(*) FROM users')} users; "
      f"clean ingest logs {t_ingest:.2f} s, clean replay {t_replay:.2f} s", flush=True)

results = {"rounds": 0, "killed": 0, "finished_before_kill": 0, "ingest_rounds": 0, "replay_rounds": 0,
           "moments": [], "files_committed_at_kill": [], "replay_state_at_kill": {"previous": 0, "final": 0}}
target = f"{work}/round.sqlite"
for r in range(1, rounds + 1):
    ingest = r % 2 == 1
    copy_db(base if ingest else previous, target)
    duration = t_ingest if ingest else t_replay
    moment = rng.uniform(0.02, 0.98) * duration
    args = ["ingest", "logs", logs, "--quiet"] if ingest else ["replay", "--quiet"]
    p = subprocess.Popen([bin_] + args + ["--db", target], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(moment)
    killed = p.poll() is None
    if killed: p.send_signal(signal.SIGKILL)
    p.wait()
    problems = []
    if integrity(target) != "ok": problems.append(f"integrity_check after the kill: {integrity(target)}")
    problems += uniqueness(target)
    if ingest:
        got = dict(sqlite3.connect(target).execute(
            "SELECT f.path, count(e.id) FROM source_files f LEFT JOIN exposures e ON e.source_file_id = f.id WHERE f.kind = 'logs' GROUP BY f.path").fetchall())
        for path, n in got.items():
            if per_file.get(path) != n: problems.append(f"after the kill, {path} has {n} exposures, a clean run {per_file.get(path)}")
        results["files_committed_at_kill"].append(len(got))
    else:
        state = dump(target, REPLAY)
        if state == previous_replay: results["replay_state_at_kill"]["previous"] += 1
        elif state == final_replay: results["replay_state_at_kill"]["final"] += 1
        else: problems.append("after the kill, the replay tables are neither the previous replay's nor the final ones")
    t0 = time.monotonic(); run(args, target); rerun = time.monotonic() - t0
    # The replay re-run does the whole work again: track the machine's current speed, so that moments stay mid-run.
    if not ingest: t_replay = 0.5 * t_replay + 0.5 * rerun
    if integrity(target) != "ok": problems.append("integrity_check after the re-run failed")
    problems += uniqueness(target)
    if dump(target, INGEST) != clean_dump: problems.append("ingest tables differ from the clean run after the re-run")
    if not ingest and dump(target, REPLAY) != final_replay: problems.append("replay tables differ from the clean run after the re-run")
    results["rounds"] += 1
    results["ingest_rounds" if ingest else "replay_rounds"] += 1
    results["killed" if killed else "finished_before_kill"] += 1
    results["moments"].append(round(moment, 3))
    status = "ok" if not problems else "FAILED"
    print(f"round {r:2d}: {'ingest logs' if ingest else 'replay     '} killed at {moment:6.3f} s of {duration:.2f} s"
          f"{'' if killed else ' (had finished)'}: {status}", flush=True)
    if problems:
        for x in problems: print("   " + x, flush=True)
        sys.exit(1)
rd = results["replay_state_at_kill"]
ms = sorted(results["moments"])
print(f"campaign: {results['rounds']} rounds ({results['ingest_rounds']} ingest, {results['replay_rounds']} replay), "
      f"{results['killed']} killed mid-run, {results['finished_before_kill']} finished first; all checks passed. "
      f"Log files committed at the kill: {min(results['files_committed_at_kill'])}-{max(results['files_committed_at_kill'])} "
      f"of {len(per_file)}; replay tables at the kill: previous {rd['previous']}, final {rd['final']}; "
      f"moments {ms[0]:.3f}-{ms[-1]:.3f} s", flush=True)
PY
