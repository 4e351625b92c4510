"""Shift Type.last_sync_of_checkin follows the minimum watermark of the shift's devices, never backwards."""

from datetime import timedelta

import frappe
from frappe.utils import add_days, get_datetime, getdate, nowdate

from biometric_sync.api.ingest import push_punches
from biometric_sync.ingest.processor import process_pending
from biometric_sync.ingest.watermark import devices_of_shift, update_device_watermark, update_shift_last_sync
from biometric_sync.outbox import outbox
from biometric_sync.tests.factories import (
	PREFIX,
	BiometricTestCase,
	make_device,
	make_sidecar,
	make_test_employee,
	punch,
	run_token,
)


def recent_wednesday():
	"""A working day within the lookback window (a shift's devices are those that fed it recently)."""
	day = getdate(add_days(nowdate(), -7))
	return day - timedelta(days=(day.weekday() - 2) % 7)


class TestShiftWatermark(BiometricTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.day = recent_wednesday()
		cls.next_day = cls.day + timedelta(days=1)
		cls.day_after = cls.day + timedelta(days=2)
		token = run_token()
		cls.shift = f"{PREFIX} Day {token}"
		frappe.get_doc(
			{
				"doctype": "Shift Type",
				"__newname": cls.shift,
				"start_time": "08:00:00",
				"end_time": "17:00:00",
			}
		).insert()
		cls.sidecar = make_sidecar("Watermark")
		cls.gate_a = make_device("Watermark A", cls.sidecar)
		cls.gate_b = make_device("Watermark B", cls.sidecar)
		cls.user_id = f"WM-{token}"
		cls.employee = make_test_employee("bsync-watermark", cls.user_id, default_shift=cls.shift)
		frappe.db.commit()

	def setUp(self):
		super().setUp()
		frappe.db.set_value(
			"Biometric Device", [self.gate_a, self.gate_b], {"watermark": None, "read_through": None}
		)
		frappe.db.set_value("Shift Type", self.shift, "last_sync_of_checkin", None)

	def complete_pull(self, device, read_through):
		command = outbox.create_command("pull", self.sidecar, device)
		outbox.claim(self.sidecar)
		outbox.complete(command, "Done", {"read_through": read_through})

	def last_sync(self):
		value = frappe.db.get_value("Shift Type", self.shift, "last_sync_of_checkin")
		return str(value) if value else None

	def test_shift_follows_the_slowest_device(self):
		push_punches(self.sidecar, self.gate_a, [punch(self.gate_a, self.user_id, f"{self.day} 09:00:00")])
		push_punches(self.sidecar, self.gate_b, [punch(self.gate_b, self.user_id, f"{self.day} 09:05:00")])
		process_pending()
		self.assertEqual(sorted(devices_of_shift(self.shift)), [self.gate_a, self.gate_b])
		self.assertIsNone(self.last_sync())  # no device has confirmed anything yet

		self.complete_pull(self.gate_a, f"{self.day} 12:00:00")
		self.assertEqual(
			str(frappe.db.get_value("Biometric Device", self.gate_a, "watermark")), f"{self.day} 12:00:00"
		)
		self.assertIsNone(self.last_sync())  # gate B still unknown: hold

		self.complete_pull(self.gate_b, f"{self.day} 11:00:00")
		self.assertEqual(self.last_sync(), f"{self.day} 11:00:00")  # minimum of 12:00 and 11:00

		self.complete_pull(self.gate_b, f"{self.day} 13:00:00")
		self.assertEqual(self.last_sync(), f"{self.day} 12:00:00")

		self.complete_pull(self.gate_a, f"{self.day} 10:00:00")  # an older read never moves anything back
		self.assertEqual(
			str(frappe.db.get_value("Biometric Device", self.gate_a, "watermark")), f"{self.day} 12:00:00"
		)
		self.assertEqual(self.last_sync(), f"{self.day} 12:00:00")

	def test_pending_punches_hold_the_device_watermark(self):
		device = make_device("Watermark C", self.sidecar)
		# An unmapped punch: it also reaches a final status, and device C feeds no shift.
		push_punches(self.sidecar, device, [punch(device, "WM-nobody", f"{self.next_day} 09:30:00")])
		frappe.db.set_value("Biometric Device", device, "read_through", f"{self.next_day} 18:00:00")
		update_device_watermark(device)
		self.assertEqual(
			str(frappe.db.get_value("Biometric Device", device, "watermark")), f"{self.next_day} 09:29:59"
		)
		process_pending()  # processing moves it on to read_through
		self.assertEqual(
			str(frappe.db.get_value("Biometric Device", device, "watermark")), f"{self.next_day} 18:00:00"
		)

	def test_never_backwards_even_if_set_by_hand(self):
		push_punches(
			self.sidecar, self.gate_a, [punch(self.gate_a, self.user_id, f"{self.day_after} 09:00:00")]
		)
		process_pending()
		frappe.db.set_value("Shift Type", self.shift, "last_sync_of_checkin", "2030-01-01 00:00:00")
		frappe.db.set_value(
			"Biometric Device", [self.gate_a, self.gate_b], "watermark", f"{self.day_after} 12:00:00"
		)
		self.assertIsNone(update_shift_last_sync(self.shift))
		self.assertEqual(get_datetime(self.last_sync()), get_datetime("2030-01-01 00:00:00"))
