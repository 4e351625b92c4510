import unittest
from datetime import datetime

from biometric_sync.ingest.timezones import convert_naive_string, convert_wall_time, is_valid_time_zone


class TestConvertWallTime(unittest.TestCase):
	def test_same_zone_is_unchanged(self):
		self.assertEqual(
			convert_naive_string("2026-07-01 09:00:00", "Asia/Kolkata", "Asia/Kolkata"), "2026-07-01 09:00:00"
		)

	def test_kolkata_to_dubai_is_ninety_minutes_earlier(self):
		self.assertEqual(
			convert_naive_string("2026-07-01 09:00:00", "Asia/Kolkata", "Asia/Dubai"), "2026-07-01 07:30:00"
		)

	def test_crossing_midnight_changes_the_date(self):
		self.assertEqual(
			convert_naive_string("2026-07-01 00:15:00", "Asia/Kolkata", "Asia/Dubai"), "2026-06-30 22:45:00"
		)

	def test_london_winter_and_summer_offsets(self):
		self.assertEqual(
			convert_naive_string("2026-01-15 09:00:00", "Europe/London", "UTC"), "2026-01-15 09:00:00"
		)
		self.assertEqual(
			convert_naive_string("2026-07-15 09:00:00", "Europe/London", "UTC"), "2026-07-15 08:00:00"
		)

	def test_london_spring_gap_moves_forward_by_the_gap(self):
		# 2026-03-29 01:00 GMT the clocks jump to 02:00 BST: 01:30 never shows on a wall clock.
		self.assertEqual(
			convert_naive_string("2026-03-29 01:30:00", "Europe/London", "UTC"), "2026-03-29 01:30:00"
		)
		self.assertEqual(
			convert_naive_string("2026-03-29 01:30:00", "Europe/London", "Europe/London"),
			"2026-03-29 01:30:00",
		)
		self.assertEqual(
			convert_naive_string("2026-03-29 01:30:00", "Europe/London", "Europe/Paris"),
			"2026-03-29 03:30:00",
		)

	def test_london_autumn_overlap_takes_the_first_occurrence(self):
		# 2026-10-25 02:00 BST the clocks go back to 01:00 GMT: 01:30 happens twice; the first is BST (UTC+1).
		self.assertEqual(
			convert_naive_string("2026-10-25 01:30:00", "Europe/London", "UTC"), "2026-10-25 00:30:00"
		)
		self.assertEqual(
			convert_naive_string("2026-10-25 02:30:00", "Europe/London", "UTC"), "2026-10-25 02:30:00"
		)

	def test_spring_gap_seen_from_another_zone(self):
		# Kolkata 06:30 = 01:00 UTC on the London spring day, the instant BST starts.
		self.assertEqual(
			convert_naive_string("2026-03-29 06:30:00", "Asia/Kolkata", "Europe/London"),
			"2026-03-29 02:00:00",
		)
		self.assertEqual(
			convert_naive_string("2026-03-29 06:29:59", "Asia/Kolkata", "Europe/London"),
			"2026-03-29 00:59:59",
		)

	def test_result_is_naive(self):
		result = convert_wall_time(datetime(2026, 7, 1, 9, 0), "Asia/Kolkata", "Asia/Dubai")
		self.assertIsNone(result.tzinfo)

	def test_refuses_aware_input(self):
		from zoneinfo import ZoneInfo

		with self.assertRaises(ValueError):
			convert_wall_time(datetime(2026, 7, 1, tzinfo=ZoneInfo("UTC")), "UTC", "Asia/Dubai")


class TestTimeZoneNames(unittest.TestCase):
	def test_valid_and_invalid_names(self):
		self.assertTrue(is_valid_time_zone("Asia/Kolkata"))
		self.assertTrue(is_valid_time_zone("UTC"))
		for bad in ("", None, "Mars/Olympus", "Asia/Kolkata ", "../etc/passwd", 5):
			with self.subTest(bad=bad):
				self.assertFalse(is_valid_time_zone(bad))
