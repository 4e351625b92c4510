#!/usr/bin/env bash
# Sets up what the tests need on a fresh clone, then runs every check and test the repo has:
# lint and types (TypeScript, Vue and Python), the sidecar bundle and the HR page's build, vitest (unit,
# simulators, oracles, end to end, and the HR page in a real browser) and pytest (pure Python logic).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
bench_skipped=""
skip_bench() {
  bench_skipped="$1"
  printf '\n\033[1;33m%s\n%s\n%s\033[0m\n' \
    "################################################################################" \
    "SKIPPED: Frappe integration tests ($1)" \
    "################################################################################"
}

step "Node dependencies"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

step "Python tools (pytest, ruff, pyzk oracle) in .venv"
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
if ! cmp -s requirements-dev.txt .venv/.requirements-dev.txt; then
  .venv/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
  cp requirements-dev.txt .venv/.requirements-dev.txt
fi

step "Build: the sidecar bundle (esbuild) and the HR page (vite, what bench build runs)"
npm run build

step "Type check"
npx tsc -p tsconfig.json
npm run typecheck --workspace frontend --silent

step "Lint and format"
# bench installs with yarn from yarn.lock, we test with npm from package-lock.json: both must pin the same.
node scripts/yarn-lock.mjs --check
npx eslint .
npx prettier --check . --log-level warn
.venv/bin/ruff check .
.venv/bin/ruff format --check .

step "Python tests (pure logic)"
.venv/bin/pytest

step "TypeScript tests (unit, simulators, oracles, end to end, the HR page in chromium)"
# The browser suite needs Debian's chromium (CHROMIUM_PATH to use another); without it, it says so and skips.
npx vitest run

step "Frappe integration tests (bench run-tests)"
# Needs an existing Frappe v15 bench with ERPNext + HRMS and biometric_sync already fetched into it once
# (bench get-app): BSYNC_BENCH=/path/to/frappe-bench BSYNC_SITE=site.name [BSYNC_BENCH_CMD=bench]
# [BSYNC_BENCH_LOCK=/path/to/lockfile].
# The repo's working tree is copied over apps/biometric_sync, the site is migrated, and the app's tests run.
if [ -n "${BSYNC_BENCH:-}" ] && [ -n "${BSYNC_SITE:-}" ]; then
  bench_cmd="${BSYNC_BENCH_CMD:-bench}"
  app_dir="$BSYNC_BENCH/apps/biometric_sync"
  if [ ! -d "$app_dir" ]; then
    echo "biometric_sync is not in $BSYNC_BENCH/apps: run 'bench get-app <this repo>' there once" >&2
    exit 1
  fi
  command -v rsync >/dev/null || { echo "copying the app into the bench needs rsync" >&2; exit 1; }
  echo "Using the bench at $BSYNC_BENCH, site $BSYNC_SITE"
  # Two test runs on one bench would copy their trees over each other mid-run: take the bench's lock
  # (BSYNC_BENCH_LOCK names a lock file shared with other tools on this machine).
  if command -v flock >/dev/null; then
    exec 9>"${BSYNC_BENCH_LOCK:-$BSYNC_BENCH/.biometric_sync-tests.lock}"
    flock 9
  fi
  if bash scripts/bench-services.sh "$BSYNC_BENCH" "$BSYNC_SITE"; then
    # The HR page's build on the bench (bench build) is not in the repo: kept, not deleted.
    rsync -a --delete \
      --exclude node_modules --exclude .venv --exclude .git --exclude sidecar/dist --exclude demo-output \
      --exclude .tmp --exclude __pycache__ --exclude '*.egg-info' --exclude .pytest_cache \
      --exclude .ruff_cache --exclude .biometric-sidecar \
      --exclude /biometric_sync/public/frontend --exclude /biometric_sync/www/biometric.html \
      ./ "$app_dir/"
    (
      cd "$BSYNC_BENCH"
      "$bench_cmd" --site "$BSYNC_SITE" migrate
      CI=1 "$bench_cmd" --site "$BSYNC_SITE" run-tests --app biometric_sync
    )
  else
    skip_bench "the bench's database or Redis is down and could not be started"
  fi
else
  skip_bench "no bench configured: set BSYNC_BENCH and BSYNC_SITE"
fi

if [ -n "$bench_skipped" ]; then
  step "All tests passed, except the Frappe integration tests: SKIPPED ($bench_skipped)"
else
  step "All tests passed"
fi
