"""Pure tests (no frappe): run by pytest in CI and, being unittest cases, also by `bench run-tests`."""

import json
import unittest
from pathlib import Path

from biometric_sync.ingest.uid import UID_MAX_LENGTH, punch_uid

FIXTURE = Path(__file__).resolve().parents[3] / "test" / "fixtures" / "punch-uids.json"


class TestPunchUid(unittest.TestCase):
	def test_uid_matches_the_sidecar(self):
		cases = json.loads(FIXTURE.read_text())["cases"]
		self.assertGreater(len(cases), 0)
		for case in cases:
			with self.subTest(device=case["device"], user_id=case["user_id"]):
				self.assertEqual(punch_uid(case["device"], case["user_id"], case["time"]), case["uid"])

	def test_leading_zeros_make_a_different_punch(self):
		self.assertNotEqual(
			punch_uid("Gate", "0111", "2026-11-02 08:59:07"), punch_uid("Gate", "111", "2026-11-02 08:59:07")
		)

	def test_uid_fits_the_name_column(self):
		self.assertLessEqual(len(punch_uid("x" * 140, "y" * 24, "2026-01-01 00:00:00")), UID_MAX_LENGTH)
