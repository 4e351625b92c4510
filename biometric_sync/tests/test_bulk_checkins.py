"""Checkins written in bulk: the same rows HRMS's insert stores, HRMS's duplicate rule, nothing lost when the
INSERT fails, and Frappe's insert wherever something else would take part in it."""

from unittest.mock import patch

import frappe
from frappe.utils import get_datetime

from biometric_sync.api.ingest import push_punches
from biometric_sync.ingest import bulk_checkins, processor
from biometric_sync.ingest.processor import process_pending
from biometric_sync.tests.factories import (
	BiometricTestCase,
	make_device,
	make_sidecar,
	make_test_employee,
	punch,
	run_token,
	staged_name,
)

# Set by each insert, not by the punch.
PER_INSERT = {"name", "creation", "modified", "time"}


class TestBulkCheckins(BiometricTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.token = run_token()
		cls.sidecar = make_sidecar("Bulk")
		cls.gate = make_device("Bulk Gate", cls.sidecar)
		cls.annex = make_device("Bulk Annex", cls.sidecar)
		cls.user_id = f"BULK-{cls.token}"
		cls.employee = make_test_employee("bsync-bulk-1", cls.user_id)
		frappe.db.commit()

	def setUp(self):
		super().setUp()
		inserts = patch.object(processor, "_insert_checkin", wraps=processor._insert_checkin)
		self.one_by_one = inserts.start()
		self.addCleanup(inserts.stop)

	def process(self, *times: str, state: int | None = 0) -> list[str]:
		"""Pushes punches at these times, processes them, returns their checkins."""
		items = [punch(self.gate, self.user_id, time, state=state) for time in times]
		answer = push_punches(self.sidecar, self.gate, items)
		self.assertTrue(all(r["status"] == "new" for r in answer["results"]), answer)
		process_pending()
		return [
			frappe.db.get_value("Biometric Punch", staged_name(item), "employee_checkin") for item in items
		]

	def row(self, checkin: str) -> dict:
		row = frappe.db.get_value("Employee Checkin", checkin, "*", as_dict=True)
		return {key: value for key, value in row.items() if key not in PER_INSERT}

	def test_bulk_is_used_on_this_site(self):
		self.assertIsNone(bulk_checkins.why_not())

	def test_a_bulk_row_is_the_row_hrms_insert_stores(self):
		(bulk,) = self.process("2004-01-05 09:00:00")
		self.assertEqual(self.one_by_one.call_count, 0)  # written in bulk
		with patch.object(bulk_checkins, "why_not", return_value="test: one by one"):
			(inserted,) = self.process("2004-01-05 18:00:00")
		self.assertEqual(self.one_by_one.call_count, 1)  # through HRMS's insert
		self.assertEqual(self.row(bulk), self.row(inserted))
		self.assertEqual(
			frappe.db.get_value(
				"Employee Checkin", bulk, ["employee", "employee_name", "log_type", "device_id"]
			),
			(
				self.employee,
				frappe.db.get_value("Employee", self.employee, "employee_name"),
				"IN",
				self.gate,
			),
		)
		self.assertEqual(
			frappe.db.get_value("Employee Checkin", bulk, "time"), get_datetime("2004-01-05 09:00:00")
		)
		# Frappe reads it back as a whole document, as HR's forms and reports do.
		self.assertEqual(frappe.get_doc("Employee Checkin", bulk).employee, self.employee)

	def test_a_stored_checkin_with_the_same_employee_time_and_log_type_is_a_duplicate(self):
		stored = frappe.get_doc(
			{
				"doctype": "Employee Checkin",
				"employee": self.employee,
				"time": "2004-02-02 09:00:00",
				"log_type": "IN",
			}
		).insert(ignore_permissions=True)
		same = punch(self.gate, self.user_id, "2004-02-02 09:00:00", state=0)
		out = punch(self.annex, self.user_id, "2004-02-02 09:00:00", state=1)  # OUT: not HRMS's duplicate
		items = [same, out]
		push_punches(self.sidecar, self.gate, [same])
		push_punches(self.sidecar, self.annex, [out])
		process_pending()
		rows = [
			frappe.db.get_value("Biometric Punch", staged_name(i), ["status", "employee_checkin"])
			for i in items
		]
		self.assertEqual(rows[0], ("Duplicate", stored.name))
		self.assertEqual(rows[1][0], "Processed")
		self.assertEqual(
			frappe.db.count("Employee Checkin", {"employee": self.employee, "time": "2004-02-02 09:00:00"}), 2
		)

	def test_a_failed_insert_loses_nothing_the_checkins_go_one_by_one(self):
		with patch.object(bulk_checkins.ChunkRows, "flush", side_effect=frappe.db.InternalError("test")):
			checkins = self.process("2004-03-01 09:00:00", "2004-03-01 18:00:00")
		self.assertEqual(self.one_by_one.call_count, 2)
		self.assertTrue(all(frappe.db.exists("Employee Checkin", name) for name in checkins), checkins)

	def test_frappe_inserts_where_something_else_takes_part(self):
		hook = f"{__name__}.record_hook"
		cases = {
			"a Notification acts": lambda: frappe.get_doc(
				{
					"doctype": "Notification",
					"name": f"bsync bulk {self.token}",
					"subject": "checkin",
					"document_type": "Employee Checkin",
					"event": "New",
					"channel": "System Notification",
					"enabled": 1,
				}
			).db_insert(),
			"an app hooks Employee Checkin": lambda: self.hooks(
				{"Employee Checkin": {"after_insert": [hook]}}
			),
			"an app hooks every doctype": lambda: self.hooks({"*": {"on_update": [hook]}}),
		}
		for case, arrange in cases.items():
			with self.subTest(case):
				HOOK_CALLS.clear()
				self.one_by_one.reset_mock()
				try:
					arrange()
					self.assertIsNotNone(bulk_checkins.why_not())
					(checkin,) = self.process("2004-04-01 09:00:00")
					self.assertEqual(self.one_by_one.call_count, 1)
					self.assertTrue(frappe.db.exists("Employee Checkin", checkin))
					if "hooks" in case:  # the app's hook ran for the checkin
						self.assertIn(checkin, HOOK_CALLS)
				finally:
					self.restore()

	def test_if_the_check_itself_fails_checkins_go_one_by_one(self):
		with patch.object(bulk_checkins, "why_not", side_effect=frappe.db.InternalError("test")):
			(checkin,) = self.process("2004-05-03 09:00:00")
		self.assertEqual(self.one_by_one.call_count, 1)
		self.assertTrue(frappe.db.exists("Employee Checkin", checkin))

	def test_geolocation_tracking_leaves_checkins_to_hrms(self):
		frappe.db.set_single_value("HR Settings", "allow_geolocation_tracking", 1)
		self.addCleanup(self.restore)
		self.assertEqual(bulk_checkins.why_not(), "geolocation tracking is on (HR Settings)")

	def hooks(self, events: dict) -> None:
		real = frappe.get_doc_hooks()
		merged = {key: {**value} for key, value in real.items()}
		for doctype, by_event in events.items():
			for event, methods in by_event.items():
				merged.setdefault(doctype, {}).setdefault(event, [])
				merged[doctype][event] = [*merged[doctype][event], *methods]
		self.real_hooks = real
		frappe.local.doc_events_hooks = merged

	def restore(self) -> None:
		if getattr(self, "real_hooks", None) is not None:
			frappe.local.doc_events_hooks = self.real_hooks
			self.real_hooks = None
		frappe.db.rollback()
		frappe.db.delete("Notification", {"name": f"bsync bulk {self.token}"})
		frappe.cache.delete_value("notifications")  # Frappe's cache of each doctype's notifications
		frappe.db.set_single_value("HR Settings", "allow_geolocation_tracking", 0)
		frappe.db.delete("Biometric Punch", {"device": self.gate})
		frappe.db.delete("Employee Checkin", {"employee": self.employee})
		frappe.db.commit()


HOOK_CALLS: list[str] = []


def record_hook(doc, method=None):
	"""An app's hook on Employee Checkin (test_frappe_inserts_where_something_else_takes_part)."""
	if doc.doctype == "Employee Checkin":
		HOOK_CALLS.append(doc.name)
