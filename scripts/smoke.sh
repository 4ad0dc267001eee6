#!/usr/bin/env bash
# The smoke test of a queuectl binary, run by CI on every compiled binary and by the release on
# each target's archive, on a runner of that target: `scripts/smoke.sh BINARY`.
#
# Checks that `--version`'s first line is exactly "queuectl VERSION" (deno.json's), then, on the
# database in QUEUECTL_DB (default: a new SQLite file; a postgres:// URL works too): 20 jobs run
# to completion by a detached `worker start --count 2`, `status --json` counts them, and the
# dashboard answers /healthz and serves its page and assets (which must be inside the binary).
# Bash, so that Git Bash runs it on Windows too.
set -euo pipefail

binary=${1:?usage: scripts/smoke.sh BINARY}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
export QUEUECTL_DB=${QUEUECTL_DB:-$work/smoke.db}
# A detached worker logs here when the database is not a file.
export XDG_STATE_HOME=${XDG_STATE_HOME:-$work}

fail() {
  echo "::error::smoke test: $*"
  exit 1
}

dashboard_pid=""
cleanup() {
  status=$?
  if [ -n "$dashboard_pid" ]; then kill "$dashboard_pid" 2>/dev/null || true; fi
  if [ "$status" -ne 0 ]; then
    echo "--- worker log"
    cat "$work"/*.log "$XDG_STATE_HOME"/queuectl/*.log 2>/dev/null || true
  fi
  "$binary" worker stop --now --timeout 10 >/dev/null 2>&1 || true
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT

version=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$root/deno.json" | head -n 1)
[ -n "$version" ] || fail "deno.json names no version"
printed=$("$binary" --version) || fail "$binary --version exited $?"
echo "$printed"
first=$(printf '%s\n' "$printed" | head -n 1 | tr -d '\r')
[ "$first" = "queuectl $version" ] ||
  fail "--version says \"$first\", expected \"queuectl $version\" (deno.json)"

for i in $(seq 20); do
  printf '{"id":"smoke-%s","command":"echo job %s"}\n' "$i" "$i"
done >"$work/jobs.jsonl"
"$binary" enqueue --file "$work/jobs.jsonl" >"$work/ids"
[ "$(wc -l <"$work/ids" | tr -d ' ')" = 20 ] || fail "enqueue --file printed $(cat "$work/ids")"
"$binary" worker start --count 2 --detach
# shellcheck disable=SC2046 # one id per line, none with spaces
"$binary" wait $(tr -d '\r' <"$work/ids") --timeout 120s || fail "the 20 jobs did not complete"
status=$("$binary" status --json)
echo "$status"
grep -Eq '"completed": *20([^0-9]|$)' <<<"$status" || fail "status --json does not count 20 completed"
info=$("$binary" info smoke-20)
grep -q "job 20" <<<"$info" || fail "info smoke-20 shows no output: $info"
"$binary" worker stop

"$binary" dashboard --port 0 >"$work/dashboard.url" 2>"$work/dashboard.log" &
dashboard_pid=$!
for _ in $(seq 300); do
  url=$(head -n 1 "$work/dashboard.url" | tr -d '\r')
  [ -n "$url" ] && break
  kill -0 "$dashboard_pid" 2>/dev/null || fail "dashboard exited: $(cat "$work/dashboard.log")"
  sleep 0.1
done
[ -n "$url" ] || fail "the dashboard printed no URL within 30 s"
url=${url%/}
curl -fsS "$url/healthz" | grep -q '"ok"' || fail "$url/healthz does not answer ok"
curl -fsS "$url/" | grep -qi '<!doctype html' || fail "$url/ serves no page"
for asset in assets/app.js assets/style.css; do
  [ "$(curl -fsS "$url/$asset" | wc -c | tr -d ' ')" -gt 1000 ] || fail "$url/$asset is missing"
done
echo "smoke test passed: queuectl $version"
