"""Checkin names from numbers reserved ahead: the site's own series, no series row lock held by a chunk, and
Frappe's naming wherever something else takes part in it."""

import frappe
from frappe.model.naming import NamingSeries, parse_naming_series
from frappe.utils import add_days, getdate, now_datetime

from biometric_sync.api.ingest import push_punches
from biometric_sync.ingest import checkin_names
from biometric_sync.ingest.processor import process_pending
from biometric_sync.tests.factories import (
	BiometricTestCase,
	make_device,
	make_sidecar,
	make_test_employee,
	other_connection,
	punch,
	run_threads,
	run_token,
	staged_name,
)

SERIES = "EMP-CKIN-.MM.-.YYYY.-.######"


class TestCheckinNames(BiometricTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.token = run_token()
		cls.sidecar = make_sidecar("Names")
		cls.gate = make_device("Names Gate", cls.sidecar)
		cls.user_id = f"NAMES-{cls.token}"
		cls.employee = make_test_employee("bsync-names-1", cls.user_id)
		frappe.db.commit()

	def push(self, count: int, day: str) -> list[dict]:
		items = [
			punch(self.gate, self.user_id, f"{add_days(getdate(day), i)} 09:00:00", state=0)
			for i in range(count)
		]
		answer = push_punches(self.sidecar, self.gate, items)
		self.assertTrue(all(r["status"] == "new" for r in answer["results"]), answer)
		return items

	def checkin_of(self, item) -> str:
		return frappe.db.get_value("Biometric Punch", staged_name(item), "employee_checkin")

	def test_hrms_series_is_a_plain_series(self):
		# HRMS names checkins from its series and nothing else takes part: the case reserved names serve.
		self.assertEqual(checkin_names.plain_series(), SERIES)

	def test_checkins_take_consecutive_numbers_of_the_sites_series(self):
		prefix = NamingSeries(SERIES).get_prefix()
		items = self.push(5, "2003-02-03")
		process_pending()
		names = [self.checkin_of(item) for item in items]
		self.assertTrue(all(name and name.startswith(prefix) for name in names), names)
		numbers = sorted(int(name[len(prefix) :]) for name in names)
		self.assertEqual(numbers, list(range(numbers[0], numbers[0] + 5)))
		# The series counter moved past them: Frappe's next checkin (HRMS, the mobile app) takes a new number.
		current = frappe.db.sql("select `current` from `tabSeries` where `name` = %s", (prefix,))[0][0]
		self.assertGreaterEqual(current, numbers[-1])
		other = frappe.get_doc(
			{"doctype": "Employee Checkin", "employee": self.employee, "time": "2003-03-01 09:00:00"}
		).insert(ignore_permissions=True)
		self.assertGreater(int(other.name[len(prefix) :]), numbers[-1])

	def test_a_chunk_in_progress_holds_no_lock_on_the_series(self):
		prefix = NamingSeries(SERIES).get_prefix()
		items = self.push(3, "2003-04-07")
		frappe.db.commit()
		self.addCleanup(self.drop, items)
		other = other_connection()
		try:
			# The chunk's checkins are inserted and not yet committed. HRMS's own checkin endpoint (another
			# connection) still gets its number at once; with Frappe's getseries in the chunk it would wait for
			# the chunk to commit, and NOWAIT would fail.
			process_pending(max_chunks=1, commit=False)
			self.assertTrue(all(self.checkin_of(item) for item in items))
			current = other.sql(
				"select `current` from `tabSeries` where `name` = %s for update nowait", (prefix,)
			)
			self.assertEqual(len(current), 1)
		finally:
			other.rollback()
			other.close()
		frappe.db.rollback()

	def test_workers_reserving_at_once_get_disjoint_numbers_and_no_deadlock(self):
		# Two processing workers reserve blocks of the same series at the same moments (found on the bench: a
		# read-then-update reservation deadlocked between two workers and failed punches).
		prefix = f"BSYNC-RESERVE-{self.token}-"
		site, sites_path = frappe.local.site, frappe.local.sites_path
		self.addCleanup(self.drop_series, prefix)

		def worker():
			frappe.init(site=site, sites_path=sites_path)
			frappe.connect()
			names = checkin_names.ReservedNames(SERIES)
			try:
				return [
					number
					for _ in range(40)
					for first in [names._reserve(prefix, 3)]
					for number in range(first, first + 3)
				]
			finally:
				names.close()
				frappe.destroy()

		numbers = [n for got in run_threads(worker, worker) for n in got]
		self.assertEqual(sorted(numbers), list(range(1, 241)))

	def test_a_series_of_dates_and_text_names_a_chunk_from_one_template(self):
		series = f"BSD{self.token}-.YYYY.-.MM.-.###"
		names = checkin_names.ReservedNames(series)
		self.assertTrue(names.fixed)
		today = now_datetime()
		prefix = f"BSD{self.token}-{today:%Y}-{today:%m}-"
		self.addCleanup(self.drop_series, prefix)
		try:
			names.expect(3)
			got = [
				names.name_for(frappe._dict(doctype="Employee Checkin", employee=f"E-{i}")) for i in range(3)
			]
		finally:
			names.close()
		self.assertEqual(got, [f"{prefix}001", f"{prefix}002", f"{prefix}003"])
		# Frappe's own naming (HRMS's endpoint, the mobile app) goes on from there.
		self.assertEqual(parse_naming_series(series), f"{prefix}004")
		frappe.db.rollback()

	def test_a_series_with_a_field_of_the_checkin_is_worked_out_for_each_checkin(self):
		series = f"BSF{self.token}-.employee.-.####"
		names = checkin_names.ReservedNames(series)
		self.assertFalse(names.fixed)
		self.addCleanup(self.drop_series, f"BSF{self.token}-E-1-")
		self.addCleanup(self.drop_series, f"BSF{self.token}-E-2-")
		try:
			names.expect(2)
			first = names.name_for(frappe._dict(doctype="Employee Checkin", employee="E-1"))
			second = names.name_for(frappe._dict(doctype="Employee Checkin", employee="E-2"))
		finally:
			names.close()
		self.assertEqual((first, second), (f"BSF{self.token}-E-1-0001", f"BSF{self.token}-E-2-0001"))

	def drop_series(self, prefix: str):
		frappe.db.delete("Series", {"name": prefix})
		frappe.db.commit()

	def test_a_document_naming_rule_is_left_to_frappe(self):
		prefix = f"BSNR-{self.token}-"
		rule = frappe.get_doc(
			{
				"doctype": "Document Naming Rule",
				"document_type": "Employee Checkin",
				"prefix": prefix,
				"prefix_digits": 4,
				"priority": 1,
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()
		self.addCleanup(self.drop_rule, rule.name)
		self.assertIsNone(checkin_names.plain_series())
		items = self.push(2, "2003-05-05")
		process_pending()
		self.assertEqual([self.checkin_of(item) for item in items], [f"{prefix}0001", f"{prefix}0002"])

	def drop(self, items):
		frappe.db.rollback()
		frappe.db.delete("Biometric Punch", {"name": ("in", [staged_name(item) for item in items])})
		frappe.db.commit()

	def drop_rule(self, rule: str):
		frappe.db.rollback()
		frappe.db.delete("Employee Checkin", {"employee": self.employee})
		frappe.delete_doc("Document Naming Rule", rule, ignore_permissions=True, force=True)
		frappe.db.commit()
