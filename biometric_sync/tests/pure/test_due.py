import unittest
from datetime import datetime, timedelta

from biometric_sync.outbox.due import is_due

NOW = datetime(2026, 5, 4, 12, 0)


class TestIsDue(unittest.TestCase):
	def test_never_pulled_is_due(self):
		self.assertTrue(is_due(NOW, None, 5, False))

	def test_due_once_the_interval_has_passed(self):
		self.assertTrue(is_due(NOW, NOW - timedelta(minutes=5), 5, False))
		self.assertFalse(is_due(NOW, NOW - timedelta(minutes=4, seconds=59), 5, False))

	def test_an_open_pull_blocks_a_new_one(self):
		self.assertFalse(is_due(NOW, None, 5, True))
		self.assertFalse(is_due(NOW, NOW - timedelta(hours=3), 5, True))

	def test_zero_or_missing_interval_means_manual_only(self):
		self.assertFalse(is_due(NOW, None, 0, False))
		self.assertFalse(is_due(NOW, None, None, False))
		self.assertFalse(is_due(NOW, None, -1, False))
