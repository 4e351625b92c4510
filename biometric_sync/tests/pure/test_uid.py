"""Pure tests (no frappe): run by pytest in CI and, being unittest cases, also by `bench run-tests`."""

import json
import unittest
from datetime import datetime
from pathlib import Path

from biometric_sync.ingest.uid import STAGING_NAME_LENGTH, UID_MAX_LENGTH, punch_uid, staging_name

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

	def test_uid_fits_the_uid_column(self):
		self.assertLessEqual(len(punch_uid("x" * 140, "y" * 24, "2026-01-01 00:00:00")), UID_MAX_LENGTH)


class TestStagingName(unittest.TestCase):
	def test_the_same_punch_always_gets_the_same_name_and_another_punch_another(self):
		uid = punch_uid("Gate", "7", "2026-11-02 08:59:07")
		at = datetime(2026, 11, 2, 8, 59, 7)
		self.assertEqual(staging_name(uid, at), staging_name(uid, datetime(2026, 11, 2, 8, 59, 7)))
		self.assertEqual(staging_name(uid, at), f"20261102085907-{uid}")
		other = punch_uid("Gate", "8", "2026-11-02 08:59:07")
		self.assertNotEqual(staging_name(uid, at), staging_name(other, at))

	def test_names_sort_in_time_order_whatever_the_uid(self):
		# What keeps new punches at the end of the primary key: a later punch sorts after an earlier one.
		times = [datetime(2024, 12, 31, 23, 59, 59), datetime(2025, 1, 1), datetime(2025, 1, 1, 0, 0, 1)]
		names = [
			staging_name(punch_uid("Gate", user, f"{t:%Y-%m-%d %H:%M:%S}"), t)
			for user, t in zip("cba", times, strict=True)
		]
		self.assertEqual(sorted(names), names)

	def test_name_fits_the_name_column(self):
		uid = punch_uid("x" * 140, "y" * 140, "9999-12-31 23:59:59")
		self.assertEqual(len(staging_name(uid, datetime(9999, 12, 31, 23, 59, 59))), STAGING_NAME_LENGTH)
		self.assertLessEqual(STAGING_NAME_LENGTH, 140)
