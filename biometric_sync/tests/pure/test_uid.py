import json
from pathlib import Path

import pytest

from biometric_sync.ingest.uid import UID_MAX_LENGTH, punch_uid

FIXTURE = Path(__file__).resolve().parents[3] / "test" / "fixtures" / "punch-uids.json"
CASES = json.loads(FIXTURE.read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=[f"{c['device']}|{c['user_id']}" for c in CASES])
def test_uid_matches_the_sidecar(case):
	assert punch_uid(case["device"], case["user_id"], case["time"]) == case["uid"]


def test_leading_zeros_make_a_different_punch():
	assert punch_uid("Gate", "0111", "2026-11-02 08:59:07") != punch_uid("Gate", "111", "2026-11-02 08:59:07")


def test_uid_fits_the_name_column():
	assert len(punch_uid("x" * 140, "y" * 24, "2026-01-01 00:00:00")) <= UID_MAX_LENGTH
