import unittest
from datetime import datetime

from biometric_sync.ingest.watermark import advance, device_watermark_candidate, min_watermark

T8 = datetime(2026, 3, 2, 8, 0)
T9 = datetime(2026, 3, 2, 9, 0)
T10 = datetime(2026, 3, 2, 10, 0)


class TestMinWatermark(unittest.TestCase):
	def test_minimum_of_the_devices(self):
		self.assertEqual(min_watermark([T10, T8, T9]), T8)

	def test_a_device_without_watermark_holds_the_shift(self):
		self.assertIsNone(min_watermark([T10, None]))

	def test_no_devices_means_no_watermark(self):
		self.assertIsNone(min_watermark([]))


class TestAdvance(unittest.TestCase):
	def test_moves_forward(self):
		self.assertEqual(advance(T8, T9), T9)
		self.assertEqual(advance(None, T9), T9)

	def test_never_moves_backwards_or_sideways(self):
		self.assertIsNone(advance(T9, T8))
		self.assertIsNone(advance(T9, T9))
		self.assertIsNone(advance(T9, None))


class TestDeviceCandidate(unittest.TestCase):
	def test_read_through_when_nothing_is_pending(self):
		self.assertEqual(device_watermark_candidate(T10, None), T10)

	def test_held_before_the_oldest_pending_punch(self):
		self.assertEqual(device_watermark_candidate(T10, T9), datetime(2026, 3, 2, 8, 59, 59))

	def test_pending_after_read_through_does_not_matter(self):
		self.assertEqual(device_watermark_candidate(T9, T10), T9)

	def test_nothing_read_yet(self):
		self.assertIsNone(device_watermark_candidate(None, T9))
