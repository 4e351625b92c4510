#!/usr/bin/env bash
# Sets up what the tests need on a fresh clone, then runs every check and test the repo has:
# lint and types (TypeScript and Python), the sidecar bundle, vitest (unit, simulators, oracles, end to end)
# and pytest (pure Python logic).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

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

step "Bundle the sidecar (esbuild)"
npm run build

step "Type check"
npx tsc -p tsconfig.json

step "Lint and format"
npx eslint .
npx prettier --check . --log-level warn
.venv/bin/ruff check .
.venv/bin/ruff format --check .

step "Python tests (pure logic)"
.venv/bin/pytest

step "TypeScript tests (unit, simulators, oracles, end to end)"
npx vitest run

step "All tests passed"
