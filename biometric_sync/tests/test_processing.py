"""Pending punches → Employee Checkin: mapping, replay, inactive employees, duplicates, time zones, rules."""

import frappe
from frappe.tests.utils import change_settings

from biometric_sync.api import desk
from biometric_sync.api.ingest import push_punches
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


class TestProcessing(BiometricTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.token = run_token()
		cls.sidecar = make_sidecar("Processing")
		cls.device = make_device("Processing Gate", cls.sidecar, time_zone="Asia/Kolkata")
		cls.dubai = make_device("Processing Dubai", cls.sidecar, time_zone="Asia/Dubai")
		cls.employee = make_test_employee("bsync-proc-1", cls.uid("0111"))
		frappe.db.commit()

	@classmethod
	def uid(cls, text: str) -> str:
		"""A device user id unique to this run (Employee.attendance_device_id is unique)."""
		return f"{text}-{cls.token}"

	def push(self, *items, device=None):
		answer = push_punches(self.sidecar, device or self.device, list(items))
		self.assertTrue(all(r["status"] == "new" for r in answer["results"]), answer)
		return answer

	def test_mapped_punch_becomes_a_checkin(self):
		item = punch(self.device, self.uid("0111"), "2026-04-01 09:01:02", state=0)
		self.push(item)
		self.assertEqual(self.punch_row(item).status, "Pending")

		totals = process_pending()
		self.assertGreaterEqual(totals.get("Processed", 0), 1)
		row = self.punch_row(item)
		self.assertEqual(row.status, "Processed")
		self.assertEqual(row.employee, self.employee)
		checkin = frappe.get_doc("Employee Checkin", row.employee_checkin)
		self.assertEqual(checkin.employee, self.employee)
		self.assertEqual(str(checkin.time), "2026-04-01 09:01:02")
		self.assertEqual(checkin.log_type, "IN")
		self.assertEqual(checkin.device_id, self.device)
		self.assertEqual(checkin.skip_auto_attendance, 0)

	def test_lookup_is_an_exact_string_match(self):
		# "0111-X" is mapped; neither "111-X" nor a different case nor a trailing space is the same id.
		variants = [self.uid("111"), self.uid("0111").lower(), self.uid("0111") + " "]
		items = [punch(self.device, user_id, "2026-04-02 09:00:00") for user_id in variants]
		self.push(*items)
		process_pending()
		for item in items:
			with self.subTest(user_id=item["user_id"]):
				row = self.punch_row(item)
				self.assertEqual(row.status, "Unmapped")
				self.assertIsNone(row.employee_checkin)

	def test_unmapped_punch_is_replayed_when_the_employee_gets_the_id(self):
		user_id = self.uid("NEW")
		item = punch(self.device, user_id, "2026-04-03 08:30:00", state=None)
		self.push(item)
		process_pending()
		row = self.punch_row(item)
		self.assertEqual(row.status, "Unmapped")
		self.assertIn(user_id, row.reason)

		employee = frappe.get_doc("Employee", make_test_employee("bsync-proc-2", None))
		replay_logs = {"device": self.device, "trigger": "replay"}
		earlier_logs = set(frappe.get_all("Biometric Sync Log", filters=replay_logs, pluck="name"))
		self.enqueue.reset_mock()
		employee.attendance_device_id = user_id
		employee.save()
		self.assertEqual(self.punch_row(item).status, "Pending")
		self.assertTrue(self.processing_enqueued())
		new_logs = frappe.get_all(
			"Biometric Sync Log",
			filters={**replay_logs, "name": ("not in", earlier_logs or [""])},
			fields=["read_count", "finished", "requested_by"],
		)
		self.assertEqual([log.read_count for log in new_logs], [1])
		# A finished run, with who asked (found on a bench: HR's mappings showed as runs never finished, by nobody).
		self.assertIsNotNone(new_logs[0].finished)
		self.assertEqual(new_logs[0].requested_by, frappe.session.user)

		process_pending()
		row = self.punch_row(item)
		self.assertEqual(row.status, "Processed")
		self.assertEqual(row.employee, employee.name)
		log_type = frappe.db.get_value("Employee Checkin", row.employee_checkin, "log_type")
		self.assertFalse(log_type)  # the punch had no state and no direction

	def test_saving_an_employee_without_changing_the_id_replays_nothing(self):
		user_id = self.uid("STILL")
		item = punch(self.device, user_id, "2026-04-04 08:30:00")
		self.push(item)
		process_pending()
		employee = frappe.get_doc("Employee", self.employee)
		employee.save()
		self.assertEqual(self.punch_row(item).status, "Unmapped")

	def test_inactive_employee_is_skipped_with_the_reason(self):
		user_id = self.uid("INACT")
		employee = make_test_employee("bsync-proc-3", user_id, status="Inactive")
		item = punch(self.device, user_id, "2026-04-05 09:00:00")
		self.push(item)
		process_pending()
		row = self.punch_row(item)
		self.assertEqual(row.status, "Skipped")
		self.assertEqual(row.employee, employee)
		self.assertIn("Inactive", row.reason)
		self.assertFalse(
			frappe.db.exists("Employee Checkin", {"employee": employee, "time": "2026-04-05 09:00:00"})
		)

	def test_duplicate_of_an_existing_checkin_is_linked(self):
		existing = frappe.get_doc(
			{
				"doctype": "Employee Checkin",
				"employee": self.employee,
				"time": "2026-04-06 09:00:00",
				"log_type": "IN",
				"device_id": self.device,
			}
		).insert()
		item = punch(self.device, self.uid("0111"), "2026-04-06 09:00:00", state=0)
		self.push(item)
		process_pending()
		row = self.punch_row(item)
		self.assertEqual(row.status, "Duplicate")
		self.assertEqual(row.employee_checkin, existing.name)
		self.assertIn(existing.name, row.reason)
		self.assertEqual(
			frappe.db.count("Employee Checkin", {"employee": self.employee, "time": "2026-04-06 09:00:00"}), 1
		)

	def test_duplicate_without_direction_is_linked(self):
		existing = frappe.get_doc(
			{"doctype": "Employee Checkin", "employee": self.employee, "time": "2026-04-06 10:00:00"}
		).insert()
		item = punch(self.device, self.uid("0111"), "2026-04-06 10:00:00", state=None)
		self.push(item)
		process_pending()
		row = self.punch_row(item)
		self.assertEqual((row.status, row.employee_checkin), ("Duplicate", existing.name))

	def test_same_time_other_direction_is_not_a_duplicate(self):
		self.push(
			punch(self.device, self.uid("0111"), "2026-04-07 18:00:00", state=0),
			punch(self.device, self.uid("0111"), "2026-04-07 18:00:01", state=1),
		)
		totals = process_pending()
		self.assertEqual(totals.get("Processed"), 2)

	def test_device_time_zone_to_site_time_zone(self):
		# Site: Asia/Kolkata (UTC+5:30). Device: Asia/Dubai (UTC+4). 08:00 in Dubai is 09:30 in Kolkata.
		item = punch(self.dubai, self.uid("0111"), "2026-04-08 08:00:00")
		self.push(item, device=self.dubai)
		process_pending()
		row = self.punch_row(item)
		self.assertEqual(str(row.site_time), "2026-04-08 09:30:00")
		self.assertEqual(
			str(frappe.db.get_value("Employee Checkin", row.employee_checkin, "time")), "2026-04-08 09:30:00"
		)

	def test_device_in_the_site_zone_keeps_its_time(self):
		item = punch(self.device, self.uid("0111"), "2026-04-09 23:59:59")
		self.push(item)
		process_pending()
		checkin = self.punch_row(item).employee_checkin
		self.assertEqual(str(frappe.db.get_value("Employee Checkin", checkin, "time")), "2026-04-09 23:59:59")

	@change_settings(
		"Biometric Sync Settings", {"in_states": "2", "out_states": "3", "skip_auto_attendance": 1}
	)
	def test_direction_rules_and_skip_auto_attendance_come_from_settings(self):
		items = [
			punch(self.device, self.uid("0111"), "2026-04-10 09:00:00", state=2, direction=None),
			punch(self.device, self.uid("0111"), "2026-04-10 18:00:00", state=3, direction=None),
			punch(self.device, self.uid("0111"), "2026-04-10 19:00:00", state=0, direction="IN"),
		]
		self.push(*items)
		process_pending()
		checkins = [frappe.get_doc("Employee Checkin", self.punch_row(i).employee_checkin) for i in items]
		self.assertEqual([c.log_type or None for c in checkins], ["IN", "OUT", None])
		self.assertTrue(all(c.skip_auto_attendance == 1 for c in checkins))

	def test_a_failing_checkin_ends_as_error_and_processing_goes_on(self):
		frappe.db.set_single_value(
			"HR Settings", "allow_geolocation_tracking", 1
		)  # HRMS then wants a location
		bad = punch(self.device, self.uid("0111"), "2026-04-11 09:00:00")
		unmapped = punch(self.device, self.uid("NOBODY"), "2026-04-11 09:00:01")
		self.push(bad, unmapped)
		process_pending()
		row = self.punch_row(bad)
		self.assertEqual(row.status, "Error")
		self.assertIn("atitude", row.reason)
		self.assertEqual(self.punch_row(unmapped).status, "Unmapped")
		log = frappe.get_doc("Biometric Sync Log", row.sync_log)
		self.assertGreaterEqual(log.error_count, 1)
		self.assertGreaterEqual(log.unmapped_count, 1)

	def test_a_new_lookup_field_replays_every_unmapped_punch(self):
		item = punch(
			self.device, self.employee, "2026-04-12 09:00:00"
		)  # the device knows people by Employee ID
		self.push(item)
		process_pending()
		self.assertEqual(self.punch_row(item).status, "Unmapped")

		def restore_lookup_field():
			frappe.db.set_single_value(
				"Biometric Sync Settings", "employee_lookup_field", "attendance_device_id"
			)
			# process_pending() commits, so the change below reaches the database: so must its undoing, or
			# every later test (and the site) keeps looking employees up by name.
			frappe.db.commit()

		self.addCleanup(restore_lookup_field)
		settings = frappe.get_doc("Biometric Sync Settings")
		settings.employee_lookup_field = "name"
		settings.save()
		self.assertEqual(self.punch_row(item).status, "Pending")
		process_pending()
		row = self.punch_row(item)
		self.assertEqual((row.status, row.employee), ("Processed", self.employee))

	def test_settings_refuse_an_unknown_lookup_field_and_overlapping_rules(self):
		settings = frappe.get_doc("Biometric Sync Settings")
		settings.employee_lookup_field = "no_such_field"
		self.assertRaises(frappe.ValidationError, settings.save)
		settings.reload()
		settings.in_states, settings.out_states = "0,1", "1"
		self.assertRaises(frappe.ValidationError, settings.save)

	def test_reprocess_sends_only_unfinished_punches_back(self):
		mapped = punch(self.device, self.uid("0111"), "2026-04-13 09:00:00")
		unmapped = punch(self.device, self.uid("LATER"), "2026-04-13 09:00:01")
		self.push(mapped, unmapped)
		process_pending()
		self.enqueue.reset_mock()
		answer = desk.reprocess_punches(frappe.as_json([staged_name(mapped), staged_name(unmapped)]))
		self.assertEqual(answer, {"requeued": 1, "ignored": 1})
		self.assertEqual(self.punch_row(mapped).status, "Processed")
		self.assertEqual(self.punch_row(unmapped).status, "Pending")
		self.assertTrue(self.processing_enqueued())
