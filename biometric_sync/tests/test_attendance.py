"""Daily Attendance from punches on a real site: punches through the ingest path become one submitted Attendance
per employee and day, what exists is left alone, a day is marked once, only after its devices delivered it,
late punches are flagged without touching the Attendance, the job and the Desk entry point.

Every run makes its own employees (new device user ids and e-mails) and holiday list, so a lived-in site with
earlier runs' Marks and Attendance gives the same results; other employees and devices of the site are kept out
(``only=`` and a patched device list), and the settings are restored after each test.
"""

from datetime import datetime, time, timedelta
from unittest.mock import patch

import frappe
from frappe.utils import add_days, get_datetime, getdate, nowdate

from biometric_sync import settings as bsync_settings
from biometric_sync.api.attendance import mark_attendance
from biometric_sync.api.ingest import push_punches
from biometric_sync.attendance import marker, tasks
from biometric_sync.attendance.day_rules import ABSENT, HALF_DAY, PRESENT, SKIPPED, Punch, evaluate
from biometric_sync.errors import BiometricSyncError
from biometric_sync.ingest.processor import process_pending
from biometric_sync.outbox import outbox
from biometric_sync.tests.factories import (
	PREFIX,
	BiometricTestCase,
	as_user,
	company_for_tests,
	make_device,
	make_sidecar,
	make_user,
	other_connection,
	punch,
	run_token,
)

MARK = marker.MARK
SETTINGS_FIELDS = (
	"attendance_mode",
	"attendance_start_date",
	"attendance_cutoff_time",
	"half_day_below_hours",
	"late_entry_after",
	"early_exit_before",
	"mark_absent",
	"attendance_marked_through",
)


def a_monday(weeks_back: int):
	"""A Monday some weeks ago (recent enough for the late punch lookback)."""
	day = getdate(add_days(nowdate(), -7 * weeks_back))
	return day - timedelta(days=day.weekday())


class AttendanceTestCase(BiometricTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.token = run_token()
		zone = bsync_settings.site_time_zone()
		cls.sidecar = make_sidecar("Attendance")
		cls.gate_a = make_device("Attendance A", cls.sidecar, time_zone=zone)
		cls.gate_b = make_device("Attendance B", cls.sidecar, time_zone=zone)
		cls.holiday_list = f"{PREFIX} Holidays {cls.token}"
		cls.holiday = a_monday(3) + timedelta(days=2)  # a Wednesday
		frappe.get_doc(
			{
				"doctype": "Holiday List",
				"holiday_list_name": cls.holiday_list,
				"from_date": cls.holiday - timedelta(days=200),
				"to_date": cls.holiday + timedelta(days=200),
				"holidays": [{"holiday_date": cls.holiday, "description": "Founders' Day"}],
			}
		).insert()
		cls.employees: list[str] = []
		frappe.db.commit()

	@classmethod
	def tearDownClass(cls):
		frappe.db.rollback()
		if cls.employees:
			attendance = frappe.get_all(
				"Attendance", filters={"employee": ("in", cls.employees)}, pluck="name"
			)
			frappe.db.delete(
				"Comment", {"reference_doctype": "Attendance", "reference_name": ("in", attendance or [""])}
			)
			frappe.db.delete("Attendance", {"employee": ("in", cls.employees)})
			frappe.db.delete(MARK, {"employee": ("in", cls.employees)})
			frappe.db.delete("Leave Application", {"employee": ("in", cls.employees)})
			frappe.db.delete("Employee Checkin", {"employee": ("in", cls.employees)})
			frappe.db.delete("Biometric Punch", {"employee": ("in", cls.employees)})
			frappe.db.delete("Employee", {"name": ("in", cls.employees)})
		frappe.db.delete("Holiday List", {"name": cls.holiday_list})
		frappe.db.delete("Holiday", {"parent": cls.holiday_list})
		frappe.db.commit()
		super().tearDownClass()

	def setUp(self):
		super().setUp()
		saved = {
			field: frappe.db.get_single_value(bsync_settings.SETTINGS, field) for field in SETTINGS_FIELDS
		}

		def restore():
			frappe.db.rollback()
			frappe.db.set_single_value(bsync_settings.SETTINGS, saved)
			frappe.db.commit()

		self.addCleanup(restore)
		self.configure()
		# Only this class's devices count (a lived-in site has others, whose watermarks are not ours to set).
		real = marker.enabled_device_watermarks
		devices = {self.gate_a, self.gate_b}
		watermarks = patch.object(
			marker,
			"enabled_device_watermarks",
			lambda: {name: value for name, value in real().items() if name in devices},
		)
		watermarks.start()
		self.addCleanup(watermarks.stop)
		self.set_watermark(self.gate_a, None)
		self.set_watermark(self.gate_b, None)

	def configure(self, **values):
		settings = {
			"attendance_mode": bsync_settings.DAILY_ATTENDANCE,
			"attendance_start_date": a_monday(8),
			"attendance_cutoff_time": "01:00:00",
			"half_day_below_hours": 4,
			"late_entry_after": "09:15:00",
			"early_exit_before": "17:00:00",
			"mark_absent": 0,
			"attendance_marked_through": None,
		}
		settings.update(values)
		frappe.db.set_single_value(bsync_settings.SETTINGS, settings)
		frappe.db.commit()

	def employee(self, label: str, **values) -> tuple[str, str]:
		"""A new employee of this run: (name, device user id). No User behind it (Frappe throttles creating
		users), and deleted after the class."""
		user_id = f"AT-{self.token}-{label}"
		doc = frappe.get_doc(
			{
				"doctype": "Employee",
				"first_name": f"{PREFIX} Att {self.token} {label}",
				"company": company_for_tests(),
				"gender": "Female",
				"date_of_birth": "1990-05-08",
				"date_of_joining": "2013-01-01",
				"status": "Active",
				"attendance_device_id": user_id,
				"holiday_list": self.holiday_list,
			}
		).insert(ignore_permissions=True)
		if values:
			frappe.db.set_value("Employee", doc.name, values)
		type(self).employees.append(doc.name)
		frappe.db.commit()
		return doc.name, user_id

	def set_watermark(self, device: str, value):
		frappe.db.set_value("Biometric Device", device, "watermark", value, update_modified=False)
		frappe.db.commit()

	def through(self, day, *devices):
		"""The devices have delivered every punch of the day."""
		for device in devices or (self.gate_a, self.gate_b):
			self.set_watermark(device, datetime.combine(day, time(23, 59, 59)))

	def checkin(self, employee: str, moment, log_type=None, device=None) -> str:
		doc = frappe.get_doc(
			{
				"doctype": "Employee Checkin",
				"employee": employee,
				"time": moment,
				"log_type": log_type,
				"device_id": device or self.gate_a,
			}
		)
		doc.insert(ignore_permissions=True)
		frappe.db.commit()
		return doc.name

	def mark(self, employee: str, day) -> frappe._dict | None:
		return frappe.db.get_value(MARK, {"employee": employee, "attendance_date": day}, "*", as_dict=True)

	def attendance_of(self, employee: str, day) -> list[frappe._dict]:
		return frappe.get_all(
			"Attendance",
			filters={"employee": employee, "attendance_date": day},
			fields=["*"],
		)


class TestDailyAttendance(AttendanceTestCase):
	def test_a_day_of_punches_through_the_ingest_path_becomes_attendance(self):
		day = a_monday(4)
		on_time, on_time_id = self.employee("ontime")
		late, late_id = self.employee("late")
		early, early_id = self.employee("early")
		items = [
			punch(self.gate_a, on_time_id, f"{day} 09:00:00", state=0),
			punch(self.gate_a, on_time_id, f"{day} 13:00:00", state=1),
			punch(self.gate_a, on_time_id, f"{day} 14:00:00", state=0),
			punch(self.gate_a, on_time_id, f"{day} 18:00:00", state=1),
			punch(self.gate_a, late_id, f"{day} 09:40:00", state=None),
			punch(self.gate_a, late_id, f"{day} 12:00:00", state=None),
			punch(self.gate_a, early_id, f"{day} 08:55:00", state=0),
			punch(self.gate_a, early_id, f"{day} 16:00:00", state=1),
		]
		result = push_punches(self.sidecar, self.gate_a, items)
		self.assertEqual({r["status"] for r in result["results"]}, {"new"})
		command = outbox.create_command("pull", self.sidecar, self.gate_a)
		outbox.claim(self.sidecar)
		outbox.complete(command, "Done", {"read_through": f"{add_days(day, 1)} 06:00:00"})
		process_pending()
		self.through(day, self.gate_b)  # gate B fed nobody: only gate A counts, and it is through

		summary = marker.mark_day(day, only=[on_time, late, early])
		self.assertEqual(dict(summary.counts), {PRESENT: 2, HALF_DAY: 1})
		self.assertTrue(summary.complete)

		[present] = self.attendance_of(on_time, day)
		self.assertEqual((present.status, present.docstatus), (PRESENT, 1))
		self.assertEqual(get_datetime(present.in_time), datetime.combine(day, time(9)))
		self.assertEqual(get_datetime(present.out_time), datetime.combine(day, time(18)))
		self.assertAlmostEqual(present.working_hours, 8.0)  # IN/OUT pairs: the lunch hour is out
		self.assertEqual((present.late_entry, present.early_exit), (0, 0))

		[half] = self.attendance_of(late, day)
		self.assertEqual(half.status, HALF_DAY)
		self.assertEqual(half.late_entry, 1)
		self.assertAlmostEqual(half.working_hours, 2.33)

		[left_early] = self.attendance_of(early, day)
		self.assertEqual((left_early.status, left_early.early_exit, left_early.late_entry), (PRESENT, 1, 0))

		mark = self.mark(on_time, day)
		self.assertEqual((mark.outcome, mark.attendance, mark.punches), (PRESENT, present.name, 4))
		# The checkins are linked to the Attendance, as HRMS links its own: Shift Type auto attendance skips them.
		linked = frappe.get_all("Employee Checkin", filters={"employee": on_time}, pluck="attendance")
		self.assertEqual(set(linked), {present.name})

	def test_an_existing_attendance_a_leave_and_a_holiday_are_left_alone(self):
		day = self.holiday
		had, _ = self.employee("had")
		on_leave, _ = self.employee("leave")
		holiday, _ = self.employee("holiday")
		for employee in (had, on_leave, holiday):
			self.checkin(employee, datetime.combine(day, time(9)))
			self.checkin(employee, datetime.combine(day, time(17, 30)))
		draft = frappe.get_doc(
			{
				"doctype": "Attendance",
				"employee": had,
				"attendance_date": day,
				"status": "Work From Home",
				"company": company_for_tests(),
			}
		).insert()
		leave = self.approved_leave(on_leave, day)
		frappe.db.commit()
		self.through(day)

		# The holiday list is the holiday employee's only: the others work that day.
		frappe.db.set_value("Employee", [had, on_leave], "holiday_list", None)
		frappe.db.commit()
		marker.mark_day(day, only=[had, on_leave, holiday])

		self.assertEqual(self.mark(had, day).outcome, SKIPPED)
		self.assertIn(draft.name, self.mark(had, day).reason)
		self.assertEqual([a.name for a in self.attendance_of(had, day)], [draft.name])
		self.assertEqual(
			frappe.db.get_value("Attendance", draft.name, ["status", "docstatus"]), ("Work From Home", 0)
		)

		self.assertEqual(self.mark(on_leave, day).outcome, SKIPPED)
		self.assertIn(leave, self.mark(on_leave, day).reason)
		self.assertEqual(self.attendance_of(on_leave, day), [])

		self.assertEqual(self.mark(holiday, day).outcome, SKIPPED)
		self.assertEqual(self.mark(holiday, day).reason, "Holiday: Founders' Day")
		self.assertEqual(self.mark(holiday, day).punches, 2)
		self.assertEqual(self.attendance_of(holiday, day), [])

	def approved_leave(self, employee: str, day) -> str:
		leave_type = f"{PREFIX} Leave"
		if not frappe.db.exists("Leave Type", leave_type):
			frappe.get_doc({"doctype": "Leave Type", "leave_type_name": leave_type}).insert()
		doc = frappe.get_doc(
			{
				"doctype": "Leave Application",
				"employee": employee,
				"leave_type": leave_type,
				"from_date": day - timedelta(days=1),
				"to_date": day + timedelta(days=1),
				"posting_date": day,
				"company": company_for_tests(),
				"status": "Approved",
				"docstatus": 1,
			}
		)
		# Stored as approved without HRMS's allocation checks and without the Attendance its submit would make:
		# what is tested is that the leave alone keeps the day from being marked.
		doc.name = f"{PREFIX} LA {self.token} {employee}"
		doc.db_insert()
		return doc.name

	def test_a_day_is_marked_once_and_a_second_writer_is_refused_by_the_database(self):
		day = a_monday(4) + timedelta(days=1)
		first, _ = self.employee("once")
		second, _ = self.employee("race")
		for employee in (first, second):
			self.checkin(employee, datetime.combine(day, time(9)))
			self.checkin(employee, datetime.combine(day, time(18)))
		self.through(day)

		# Another worker decided `second` first (committed on its own connection).
		other = other_connection()
		try:
			other.sql(
				f"insert into `tab{MARK}` (name, employee, attendance_date, outcome, reason, punches, creation, "
				"modified, owner, modified_by, docstatus) values (%s, %s, %s, 'Skipped', 'other worker', 2, "
				"now(), now(), 'Administrator', 'Administrator', 0)",
				(f"{second}-{day}", second, day),
			)
			other.commit()
		finally:
			other.close()
		employee_row = frappe._dict(
			name=second, employee_name=second, company=company_for_tests(), holiday_list=None
		)
		decision = evaluate(
			[Punch(datetime.combine(day, time(9))), Punch(datetime.combine(day, time(18)))],
			marker.rules_from(bsync_settings.get_settings()),
		)
		self.assertIsNone(marker.write_decision(employee_row, day, decision, []))
		self.assertEqual(self.attendance_of(second, day), [])

		summary = marker.mark_day(day, only=[first, second])
		self.assertEqual((dict(summary.counts), summary.already), ({PRESENT: 1}, 1))
		again = marker.mark_day(day, only=[first, second])  # a re-sync, a second run
		self.assertEqual((dict(again.counts), again.already), ({}, 2))
		self.assertEqual(len(self.attendance_of(first, day)), 1)
		self.assertEqual(self.mark(second, day).reason, "other worker")

	def test_waits_until_every_device_of_the_employee_delivered_the_day(self):
		day = a_monday(4) + timedelta(days=3)
		employee, _ = self.employee("twogates")
		self.checkin(employee, datetime.combine(day, time(9)), device=self.gate_a)
		# Gate B fed this employee the day before: it is one of their devices.
		self.checkin(employee, datetime.combine(day - timedelta(days=1), time(18)), device=self.gate_b)
		self.through(day, self.gate_a)
		self.set_watermark(self.gate_b, datetime.combine(day, time(12)))

		summary = marker.mark_day(day, only=[employee])
		self.assertFalse(summary.complete)
		self.assertEqual(summary.as_dict()["holding_devices"], [self.gate_b])
		self.assertIsNone(self.mark(employee, day))

		# Gate B delivers the evening punch and catches up.
		self.checkin(employee, datetime.combine(day, time(18, 30)), device=self.gate_b)
		self.through(day, self.gate_b)
		summary = marker.mark_day(day, only=[employee])
		self.assertTrue(summary.complete)
		mark = self.mark(employee, day)
		self.assertEqual((mark.outcome, mark.punches), (PRESENT, 2))
		self.assertEqual(get_datetime(mark.last_punch), datetime.combine(day, time(18, 30)))

	def test_a_late_punch_is_flagged_and_the_submitted_attendance_is_not_changed(self):
		day = a_monday(5)
		employee, _ = self.employee("latepunch")
		absent, _ = self.employee("absentlate")
		self.checkin(employee, datetime.combine(day, time(9)))
		self.checkin(employee, datetime.combine(day, time(12)))
		self.through(day)
		self.configure(mark_absent=1)
		marker.mark_day(day, only=[employee, absent])
		[before] = self.attendance_of(employee, day)
		self.assertEqual(before.status, HALF_DAY)
		self.assertEqual(self.mark(absent, day).outcome, ABSENT)
		ours = {f"{employee}-{day}", f"{absent}-{day}"}
		# (Marks of other tests and of the site are scanned too: only these two are looked at.)
		self.assertEqual(ours & set(marker.flag_late_punches(day)), set())  # nothing arrived late yet

		self.checkin(employee, datetime.combine(day, time(18)), device=self.gate_b)
		self.checkin(absent, datetime.combine(day, time(10)))
		flagged = marker.flag_late_punches(day)
		frappe.db.commit()
		self.assertEqual(ours & set(flagged), ours)

		mark = self.mark(employee, day)
		self.assertEqual((mark.outcome, mark.late_punch, mark.late_punches), (HALF_DAY, 1, 1))
		self.assertEqual(get_datetime(mark.late_punch_time), datetime.combine(day, time(18)))
		[after] = self.attendance_of(employee, day)
		self.assertEqual(
			(after.name, after.status, after.docstatus, after.out_time, after.modified),
			(before.name, before.status, before.docstatus, before.out_time, before.modified),
		)
		self.assertTrue(
			frappe.db.exists(
				"Comment",
				{
					"reference_doctype": "Attendance",
					"reference_name": after.name,
					"content": ("like", "%arrived after%"),
				},
			)
		)
		self.assertEqual(self.mark(absent, day).outcome, ABSENT)  # the decision stays, flagged
		self.assertEqual(ours & set(marker.flag_late_punches(day)), set())  # flagged once per late punch

		self.checkin(employee, datetime.combine(day, time(18, 5)))
		marker.flag_late_punches(day)
		self.assertEqual(self.mark(employee, day).late_punches, 2)

	def test_absent_only_on_working_days_between_joining_and_relieving(self):
		monday = a_monday(3)
		wednesday = self.holiday
		self.configure(mark_absent=1)
		stayed, _ = self.employee("stayed")
		joined, _ = self.employee("joined", date_of_joining=monday + timedelta(days=1))
		relieved, _ = self.employee("relieved")
		frappe.db.set_value("Employee", relieved, {"status": "Left", "relieving_date": monday})
		frappe.db.commit()
		group = [stayed, joined, relieved]
		for day in (monday, monday + timedelta(days=1), wednesday):
			self.through(day)
			marker.mark_day(day, only=group)

		self.assertEqual(self.mark(stayed, monday).outcome, ABSENT)
		self.assertEqual(self.attendance_of(stayed, monday)[0].status, ABSENT)
		self.assertEqual(self.mark(stayed, wednesday).outcome, SKIPPED)  # holiday
		self.assertEqual(self.attendance_of(stayed, wednesday), [])
		self.assertIsNone(self.mark(joined, monday))  # not employed yet
		self.assertEqual(self.mark(joined, monday + timedelta(days=1)).outcome, ABSENT)  # the joining day
		self.assertEqual(self.mark(relieved, monday).outcome, ABSENT)  # the relieving day is a working day
		self.assertIsNone(self.mark(relieved, monday + timedelta(days=1)))

	def test_without_mark_absent_a_day_without_punches_is_recorded_not_marked(self):
		day = a_monday(3) + timedelta(days=3)
		employee, _ = self.employee("nopunch")
		self.through(day)
		marker.mark_day(day, only=[employee])
		mark = self.mark(employee, day)
		self.assertEqual((mark.outcome, mark.reason), (SKIPPED, "No punches (Mark Absent is off)"))
		self.assertEqual(self.attendance_of(employee, day), [])

	def test_the_report_lists_the_decisions_and_the_days_not_decided(self):
		from biometric_sync.biometric_sync.report.biometric_attendance.biometric_attendance import execute

		day = a_monday(5) + timedelta(days=1)
		worked, _ = self.employee("reportp")
		self.checkin(worked, datetime.combine(day, time(9)))
		self.checkin(worked, datetime.combine(day, time(18)))
		self.through(day)
		marker.mark_day(day, only=[worked])
		self.checkin(worked, datetime.combine(day, time(19)))
		marker.flag_late_punches(day)
		frappe.db.commit()

		_columns, rows, _message, _chart, summary = execute(
			{"from_date": day, "to_date": day, "employee": worked}
		)
		self.assertEqual(
			[(r.employee, r.outcome, r.punches, r.late_punch) for r in rows], [(worked, PRESENT, 2, 1)]
		)
		self.assertEqual({s["label"]: s["value"] for s in summary}["Present"], 1)
		late = execute(
			{"from_date": day, "to_date": day, "employee": worked, "outcome": "Late punch to review"}
		)[1]
		self.assertEqual(len(late), 1)
		self.assertEqual(
			execute({"from_date": day, "to_date": day, "employee": worked, "outcome": ABSENT})[1], []
		)

		# A day after Marked Through whose device is behind is named with the device.
		later = day + timedelta(days=1)
		self.set_watermark(self.gate_a, datetime.combine(later, time(12)))
		self.configure(attendance_marked_through=day)
		with patch.object(
			marker, "employees_of_day", lambda d, f: [e for e in self.all_of(d, f) if e.name == worked]
		):
			message = execute({"from_date": later, "to_date": later})[2]
		self.assertIn(f"{later}: 1 employees not decided yet", message)
		self.assertIn(self.gate_a, message)

	all_of = staticmethod(marker.employees_of_day)

	def test_the_hr_page_reads_a_days_counts_and_decisions(self):
		from biometric_sync.api import ui

		day = a_monday(6) + timedelta(days=2)
		worked, _ = self.employee("pagep")
		self.checkin(worked, datetime.combine(day, time(9)))
		self.checkin(worked, datetime.combine(day, time(18)))
		self.through(day)
		marker.mark_day(day, only=[worked])
		self.checkin(worked, datetime.combine(day, time(19)))
		marker.flag_late_punches(day)
		frappe.db.commit()

		answer = ui.attendance(str(day), str(day), str(day))
		self.assertEqual(answer["day"], str(day))
		mine = [m for m in answer["marks"] if m.employee == worked]
		self.assertEqual([(m.outcome, m.punches, m.late_punch) for m in mine], [(PRESENT, 2, 1)])
		# The day's counts are the day's decisions, whoever else was marked that day.
		counts = answer["days"][0]
		self.assertEqual(counts["day"], str(day))
		self.assertEqual(counts["present"], sum(1 for m in answer["marks"] if m.outcome == PRESENT))
		self.assertEqual(counts["late_punches"], sum(1 for m in answer["marks"] if m.late_punch))
		with self.assertRaises(BiometricSyncError) as caught:
			ui.attendance(str(day), str(day + timedelta(days=90)))
		self.assertEqual(caught.exception.code, "INVALID_ARGUMENT")


class TestAttendanceJob(AttendanceTestCase):
	def setUp(self):
		super().setUp()
		# The job answers for every employee of the site: here, for this class's employees only.
		real = marker.employees_of_day
		only = patch.object(
			marker,
			"employees_of_day",
			lambda day, field: [e for e in real(day, field) if e.name in type(self).employees],
		)
		only.start()
		self.addCleanup(only.stop)

	def test_does_nothing_unless_the_mode_is_daily_attendance(self):
		employee, _ = self.employee("modeoff")
		day = a_monday(6)
		self.checkin(employee, datetime.combine(day, time(9)))
		self.through(day)
		self.configure(attendance_mode=bsync_settings.SHIFT_ATTENDANCE, attendance_start_date=day)
		self.assertIsNone(tasks.mark_due_days())
		self.assertIsNone(self.mark(employee, day))

	def test_marks_due_days_after_the_cutoff_and_moves_marked_through(self):
		start = a_monday(6)
		employee, _ = self.employee("job")
		for offset in range(3):
			day = start + timedelta(days=offset)
			self.checkin(employee, datetime.combine(day, time(9)))
			self.checkin(employee, datetime.combine(day, time(17, 30)))
		self.through(start + timedelta(days=2))
		self.configure(attendance_start_date=start, attendance_cutoff_time="02:00:00")

		# 01:30 on the third day: the first day is due (its cut-off was 02:00 on the second), the second not yet.
		now = datetime.combine(start + timedelta(days=2), time(1, 30))
		result = tasks.run(bsync_settings.get_settings(), now)
		self.assertEqual([d["day"] for d in result["days"]], [str(start)])
		self.assertEqual(self.mark(employee, start).outcome, PRESENT)
		self.assertIsNone(self.mark(employee, start + timedelta(days=1)))
		self.assertEqual(
			getdate(frappe.db.get_single_value(bsync_settings.SETTINGS, "attendance_marked_through")), start
		)

		# A day later: the next two days; a device behind on the last one holds Marked Through before it.
		self.set_watermark(self.gate_a, datetime.combine(start + timedelta(days=1), time(23, 59, 59)))
		now = datetime.combine(start + timedelta(days=4), time(3))
		result = tasks.run(bsync_settings.get_settings(), now)
		self.assertEqual(
			[d["day"] for d in result["days"]][:2], [str(start + timedelta(days=n)) for n in (1, 2)]
		)
		self.assertEqual(self.mark(employee, start + timedelta(days=1)).outcome, PRESENT)
		self.assertIsNone(self.mark(employee, start + timedelta(days=2)))
		self.assertEqual(
			getdate(frappe.db.get_single_value(bsync_settings.SETTINGS, "attendance_marked_through")),
			start + timedelta(days=1),
		)
		self.assertEqual(len(self.attendance_of(employee, start)), 1)  # not marked again

	def test_switching_the_mode_on_starts_today(self):
		frappe.db.set_single_value(
			bsync_settings.SETTINGS,
			{"attendance_mode": bsync_settings.SHIFT_ATTENDANCE, "attendance_start_date": None},
		)
		settings = frappe.get_single(bsync_settings.SETTINGS)
		settings.attendance_mode = bsync_settings.DAILY_ATTENDANCE
		settings.save()
		self.assertEqual(getdate(settings.attendance_start_date), getdate(nowdate()))
		self.assertEqual(tasks.due_days(settings, datetime.combine(getdate(nowdate()), time(23))), [])


class TestMarkAttendanceApi(AttendanceTestCase):
	def test_only_a_manager_may_mark_a_day(self):
		hr = make_user("bsync-att-hr", ["HR User"])
		with as_user(hr), self.assertRaises(BiometricSyncError) as caught:
			mark_attendance(str(a_monday(2)))
		self.assertEqual(caught.exception.code, "NOT_PERMITTED")

	def test_refuses_when_the_mode_is_off_and_for_today_or_before_mark_from(self):
		self.configure(attendance_mode=bsync_settings.SHIFT_ATTENDANCE)
		with self.assertRaises(BiometricSyncError) as caught:
			mark_attendance(str(a_monday(2)))
		self.assertEqual(caught.exception.code, "ATTENDANCE_MODE_OFF")
		self.configure()
		for value in (nowdate(), str(a_monday(9)), "not a date"):
			with self.subTest(value=value), self.assertRaises(BiometricSyncError) as caught:
				mark_attendance(value)
			self.assertEqual(caught.exception.code, "INVALID_ARGUMENT")

	def test_marks_a_day_now_before_its_cutoff(self):
		day = getdate(add_days(nowdate(), -1))
		employee, _ = self.employee("api")
		self.checkin(employee, datetime.combine(day, time(9)))
		self.checkin(employee, datetime.combine(day, time(18)))
		self.through(day)
		self.configure(attendance_start_date=day, attendance_cutoff_time="23:59:00")
		with patch.object(
			marker, "employees_of_day", lambda d, f: [e for e in self.all_of(d, f) if e.name == employee]
		):
			summary = mark_attendance(str(day))
		self.assertEqual(summary["counts"], {PRESENT: 1})
		self.assertEqual(self.attendance_of(employee, day)[0].status, PRESENT)

	all_of = staticmethod(marker.employees_of_day)


# (what runs it, the query, an index it must be able to use)
ATTENDANCE_QUERIES = [
	(
		"marker._checkins: the employees' checkins of a day",
		"select name, employee, time, log_type from `tabEmployee Checkin` where employee in ('A', 'B') "
		"and time >= '2026-03-02' and time < '2026-03-03'",
		"bsync_employee_time",
	),
	(
		"marker.waiting_employees: the devices that fed the employees",
		"select distinct employee, device_id from `tabEmployee Checkin` where employee in ('A', 'B') "
		"and time >= '2026-02-23' and time < '2026-03-03' and device_id in ('X', 'Y')",
		"bsync_employee_time",
	),
	(
		"mark_day and the report: the Marks of a day or range",
		f"select employee from `tab{MARK}` where attendance_date between '2026-03-02' and '2026-03-09'",
		"bsync_attendance_date",
	),
	(
		"the report for one employee",
		f"select name from `tab{MARK}` where employee = 'A' and attendance_date >= '2026-03-02'",
		"bsync_employee_date",
	),
]


class TestAttendanceIndexes(BiometricTestCase):
	def test_the_marker_queries_can_use_an_index(self):
		for label, query, index in ATTENDANCE_QUERIES:
			with self.subTest(query=label):
				plan = frappe.db.sql(f"explain {query}", as_dict=True)[0]
				usable = {*(plan.possible_keys or "").split(","), plan.key}
				self.assertIn(index, usable, f"{label}: {plan}")

	def test_the_late_punch_scan_reads_checkins_through_the_employee_time_index(self):
		plans = frappe.db.sql(f"explain {marker.LATE_PUNCH_QUERY}", {"since": "2026-03-02"}, as_dict=True)
		checkins = next(plan for plan in plans if plan.table == "c")
		self.assertIn("bsync_employee_time", {*(checkins.possible_keys or "").split(","), checkins.key})
		self.assertNotEqual(checkins.type, "ALL", plans)
		marks = next(plan for plan in plans if plan.table == "m")
		self.assertIn("bsync_attendance_date", (marks.possible_keys or "").split(","))
