"""Daily Attendance from punches, the Frappe part: which employees and days, what exists, and the writes.

For one day D (``mark_day``):

1. **Employees**: those whose lookup field (Biometric Sync Settings, Attendance Device ID by default) is set and
   who are employed on D: joined on or before D, and Active, or relieved on or after D. Each gets exactly one
   Biometric Attendance Mark for D; those that have one are done.
2. **Complete**: an employee's day is decided only when every enabled device of theirs has a watermark at the
   end of D (``day_rules.day_is_complete``). Their devices are the ones that fed their checkins from
   DEVICE_LOOKBACK_DAYS before D through D; without any, every enabled device. When every enabled device is
   through D (the usual case) this is not even asked per employee.
3. **What exists**: an Attendance that is not cancelled (draft or submitted, whoever made it: HRMS's Shift Type
   auto attendance, a Leave Application, a person), an approved and submitted Leave Application covering D, a
   holiday of the employee's Holiday List (or the company's default), and all of the employee's checkins on D.
4. **Decide** (``day_rules.decide``) and **write**, in one savepoint per employee: the Mark first (named from
   employee and date, so the database refuses a second one from a concurrent run), then for Present, Half Day
   and Absent a submitted Attendance with in/out time, working hours, late entry and early exit; the day's
   checkins are linked to it (as HRMS does), so Shift Type auto attendance does not take them again. An
   Attendance that HRMS refuses (e.g. one was just made elsewhere) leaves the Mark Skipped with HRMS's message.

Late punches (``flag_late_punches``): a Mark records how many checkins the employee had on D when it was
decided. When more exist later, checkins arrived after the decision: the Mark gets Late Punch to Review and a
comment goes on its Attendance. Nothing else changes: a submitted Attendance is never modified.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import frappe
from frappe.utils import add_days, cint, flt, get_datetime, getdate, strip_html

from biometric_sync import settings as bsync_settings
from biometric_sync.attendance import day_rules
from biometric_sync.attendance.day_rules import ABSENT, HALF_DAY, PRESENT, DayRules, EmployeeDay, Punch

MARK = "Biometric Attendance Mark"
# The devices an employee uses are read from this many days of checkins before the day.
DEVICE_LOOKBACK_DAYS = 7
# Decisions of this many days back are watched for checkins that arrive after them.
LATE_PUNCH_LOOKBACK_DAYS = 62
BATCH = 200  # employees per query and per commit
REASON_LENGTH = 1000
MARKED = (PRESENT, HALF_DAY, ABSENT)


@dataclass
class DaySummary:
	day: date
	counts: dict = field(default_factory=lambda: defaultdict(int))
	already: int = 0  # employees decided before this run
	waiting: dict = field(default_factory=dict)  # employee → devices not yet through the day
	timed_out: bool = False

	@property
	def complete(self) -> bool:
		return not self.waiting and not self.timed_out

	def as_dict(self) -> dict:
		holding = sorted({device for devices in self.waiting.values() for device in devices})
		return {
			"day": str(self.day),
			"counts": dict(self.counts),
			"already_decided": self.already,
			"waiting_employees": len(self.waiting),
			"holding_devices": holding,
			"complete": self.complete,
		}


def rules_from(settings) -> DayRules:
	return DayRules(
		half_day_below_hours=flt(settings.half_day_below_hours),
		late_entry_after=day_rules.as_time(settings.late_entry_after),
		early_exit_before=day_rules.as_time(settings.early_exit_before),
	)


def mark_day(
	day,
	settings=None,
	deadline: float | None = None,
	commit: bool = True,
	only: list[str] | None = None,
) -> DaySummary:
	"""Decides every employee of ``day`` whose devices have delivered it and who has no Mark yet. Stops between
	batches once ``time.monotonic()`` passes ``deadline`` (the summary says so). ``only``: just these employees
	(tests on a site with other employees)."""
	import time

	day = getdate(day)
	settings = settings or bsync_settings.get_settings()
	rules = rules_from(settings)
	mark_absent = bool(cint(settings.mark_absent))
	summary = DaySummary(day)

	employees = employees_of_day(day, bsync_settings.lookup_field(settings))
	if only is not None:
		employees = [e for e in employees if e.name in set(only)]
	decided = set(frappe.get_all(MARK, filters={"attendance_date": day}, pluck="employee"))
	todo = [e for e in employees if e.name not in decided]
	summary.already = len(employees) - len(todo)
	if not todo:
		return summary

	summary.waiting = waiting_employees([e.name for e in todo], day)
	ready = [e for e in todo if e.name not in summary.waiting]
	for start in range(0, len(ready), BATCH):
		if deadline is not None and start and time.monotonic() >= deadline:
			summary.timed_out = True
			break
		batch = ready[start : start + BATCH]
		for _employee, outcome in _decide_batch(batch, day, rules, mark_absent):
			summary.counts[outcome] += 1
		if commit:
			frappe.db.commit()
	return summary


def employees_of_day(day: date, lookup_field: str) -> list[frappe._dict]:
	"""The employees the module answers for on ``day`` (see the module docstring)."""
	employee = frappe.qb.DocType("Employee")
	lookup = employee[lookup_field]
	query = (
		frappe.qb.from_(employee)
		.select(
			employee.name,
			employee.employee_name,
			employee.company,
			employee.holiday_list,
			employee.status,
			employee.date_of_joining,
			employee.relieving_date,
		)
		.where(lookup.isnotnull() & (lookup != ""))
		.where(employee.date_of_joining.isnull() | (employee.date_of_joining <= day))
		.where(
			(employee.status == "Active")
			& (employee.relieving_date.isnull() | (employee.relieving_date >= day))
			| (employee.status.isin(["Left", "Suspended"]) & (employee.relieving_date >= day))
		)
		.orderby(employee.name)
	)
	return query.run(as_dict=True)


def enabled_device_watermarks() -> dict[str, datetime | None]:
	rows = frappe.get_all("Biometric Device", filters={"enabled": 1}, fields=["name", "watermark"])
	return {row.name: (get_datetime(row.watermark) if row.watermark else None) for row in rows}


def waiting_employees(employees: list[str], day: date) -> dict[str, list[str]]:
	"""employee → the devices that have not delivered ``day`` yet, for the employees who must wait."""
	watermarks = enabled_device_watermarks()
	if day_rules.day_is_complete(watermarks.values(), day):
		return {}
	if not watermarks:
		return {employee: ["(no enabled Biometric Device)"] for employee in employees}
	fed: dict[str, set[str]] = defaultdict(set)
	for batch in _batches(employees):
		# (employee, time) index: a range of each employee's checkins.
		rows = frappe.db.sql(
			"""select distinct employee, device_id from `tabEmployee Checkin`
			where employee in %(employees)s and time >= %(since)s and time < %(until)s
			and device_id in %(devices)s""",
			{
				"employees": batch,
				"since": add_days(day, -DEVICE_LOOKBACK_DAYS),
				"until": add_days(day, 1),
				"devices": list(watermarks),
			},
		)
		for employee, device in rows:
			fed[employee].add(device)
	waiting = {}
	for employee in employees:
		devices = sorted(fed.get(employee) or watermarks)
		if not day_rules.day_is_complete((watermarks[d] for d in devices), day):
			waiting[employee] = [d for d in devices if not day_rules.day_is_complete([watermarks[d]], day)]
	return waiting


def _decide_batch(batch: list, day: date, rules: DayRules, mark_absent: bool):
	names = [e.name for e in batch]
	checkins = _checkins(names, day)
	attendance = _attendance(names, day)
	leaves = _leaves(names, day)
	holidays, lists = _holidays(batch, day)
	for employee in batch:
		own = checkins.get(employee.name, [])
		holiday_list = lists.get(employee.name)
		employee_day = EmployeeDay(
			day=day,
			punches=[Punch(get_datetime(c.time), c.log_type or None) for c in own],
			date_of_joining=getdate(employee.date_of_joining) if employee.date_of_joining else None,
			relieving_date=getdate(employee.relieving_date) if employee.relieving_date else None,
			employee_status=employee.status,
			attendance=attendance.get(employee.name),
			leave=leaves.get(employee.name),
			holiday=holidays.get(holiday_list) if holiday_list else None,
			has_holiday_list=bool(holiday_list),
		)
		decision = day_rules.decide(employee_day, rules, mark_absent)
		outcome = write_decision(employee, day, decision, [c.name for c in own])
		if outcome:
			yield employee.name, outcome


def _checkins(employees: list[str], day: date) -> dict[str, list]:
	found = defaultdict(list)
	rows = frappe.db.sql(
		"""select name, employee, time, log_type from `tabEmployee Checkin`
		where employee in %(employees)s and time >= %(day)s and time < %(next)s
		order by employee, time, name""",
		{"employees": employees, "day": day, "next": add_days(day, 1)},
		as_dict=True,
	)
	for row in rows:
		found[row.employee].append(row)
	return found


def _attendance(employees: list[str], day: date) -> dict[str, tuple]:
	rows = frappe.get_all(
		"Attendance",
		filters={"employee": ("in", employees), "attendance_date": day, "docstatus": ("<", 2)},
		fields=["name", "employee", "status", "docstatus"],
		order_by="docstatus desc, creation",
	)
	found = {}
	for row in rows:
		found.setdefault(row.employee, (row.name, row.status, row.docstatus))
	return found


def _leaves(employees: list[str], day: date) -> dict[str, tuple]:
	rows = frappe.get_all(
		"Leave Application",
		filters={
			"employee": ("in", employees),
			"from_date": ("<=", day),
			"to_date": (">=", day),
			"status": "Approved",
			"docstatus": 1,
		},
		fields=["name", "employee", "leave_type"],
	)
	return {row.employee: (row.name, row.leave_type) for row in rows}


def _holidays(batch: list, day: date) -> tuple[dict[str, str], dict[str, str | None]]:
	"""(holiday list → the day's holiday description, employee → their holiday list): the employee's own list,
	else their company's default, as HRMS's get_holiday_list_for_employee."""
	companies = {e.company for e in batch if not e.holiday_list and e.company}
	defaults = dict(
		frappe.get_all(
			"Company",
			filters={"name": ("in", list(companies) or [""])},
			fields=["name", "default_holiday_list"],
			as_list=True,
		)
	)
	lists = {e.name: e.holiday_list or defaults.get(e.company) or None for e in batch}
	wanted = {value for value in lists.values() if value}
	holidays = {}
	if wanted:
		for row in frappe.get_all(
			"Holiday",
			filters={"parent": ("in", list(wanted)), "parenttype": "Holiday List", "holiday_date": day},
			fields=["parent", "description"],
		):
			holidays[row.parent] = strip_html(row.description or "").strip()
	return holidays, lists


def write_decision(employee, day: date, decision, checkins: list[str]) -> str | None:
	"""Writes the Mark and, for Present/Half Day/Absent, the submitted Attendance. Returns the outcome written,
	or None when another run decided this employee and day first."""
	frappe.db.savepoint("bsync_attendance")
	try:
		mark = _new_mark(employee, day, decision)
		mark.insert(ignore_permissions=True)
	except frappe.DuplicateEntryError:
		frappe.db.rollback(save_point="bsync_attendance")
		frappe.clear_messages()
		return None
	except Exception:
		# Not decided: the next run tries again.
		frappe.db.rollback(save_point="bsync_attendance")
		frappe.clear_messages()
		frappe.log_error(title=f"biometric_sync: attendance of {employee.name} on {day} failed")
		return None
	if decision.outcome not in MARKED:
		frappe.db.release_savepoint("bsync_attendance")
		return decision.outcome
	frappe.db.savepoint("bsync_attendance_doc")
	try:
		attendance = _submit_attendance(employee, day, decision)
	except Exception as error:
		frappe.db.rollback(save_point="bsync_attendance_doc")
		frappe.clear_messages()
		message = strip_html(str(error)) or type(error).__name__
		reason = f"{decision.outcome} not marked: {message}"[:REASON_LENGTH]
		mark.db_set({"outcome": day_rules.SKIPPED, "reason": reason}, update_modified=False)
		frappe.db.release_savepoint("bsync_attendance")
		return day_rules.SKIPPED
	if checkins:
		frappe.db.sql(
			"""update `tabEmployee Checkin` set attendance = %(attendance)s
			where name in %(names)s and (attendance is null or attendance = '')""",
			{"attendance": attendance, "names": checkins},
		)
	mark.db_set("attendance", attendance, update_modified=False)
	frappe.db.release_savepoint("bsync_attendance")
	return decision.outcome


def _new_mark(employee, day: date, decision):
	times = decision.times
	return frappe.get_doc(
		{
			"doctype": MARK,
			"employee": employee.name,
			"employee_name": employee.employee_name,
			"attendance_date": day,
			"outcome": decision.outcome,
			"reason": decision.reason[:REASON_LENGTH],
			"punches": decision.punches,
			"first_punch": decision.first_punch,
			"last_punch": decision.last_punch,
			"working_hours": times.working_hours if times else 0,
			"late_entry": int(decision.late_entry),
			"early_exit": int(decision.early_exit),
		}
	)


def _submit_attendance(employee, day: date, decision) -> str:
	times = decision.times
	doc = frappe.get_doc(
		{
			"doctype": "Attendance",
			"employee": employee.name,
			"employee_name": employee.employee_name,
			"company": employee.company,
			"attendance_date": day,
			"status": decision.outcome,
			"working_hours": times.working_hours if times else 0,
			"in_time": times.in_time if times else None,
			"out_time": times.out_time if times else None,
			"late_entry": int(decision.late_entry),
			"early_exit": int(decision.early_exit),
		}
	)
	doc.flags.ignore_permissions = True
	doc.insert()
	doc.submit()
	doc.add_comment("Comment", text=f"Marked by Biometric Sync from punches: {decision.reason}")
	return doc.name


# --- Late punches ---------------------------------------------------------------------------------------------


# The Marks since a day whose day has more checkins now than when it was decided: the recent Marks through their
# (attendance_date) index, each one's checkins through Employee Checkin's (employee, time) index.
LATE_PUNCH_QUERY = f"""select m.name, m.employee, m.attendance_date, m.punches, m.late_punches, m.attendance,
		count(c.name) as count_now
	from `tab{MARK}` m
	join `tabEmployee Checkin` c on c.employee = m.employee
		and c.time >= m.attendance_date and c.time < m.attendance_date + interval 1 day
	where m.attendance_date >= %(since)s
	group by m.name
	having count(c.name) > m.punches + m.late_punches"""


def flag_late_punches(since) -> list[str]:
	"""Flags the Marks since ``since`` whose day now has more checkins than were decided on. Returns them."""
	rows = frappe.db.sql(LATE_PUNCH_QUERY, {"since": getdate(since)}, as_dict=True)
	flagged = []
	for row in rows:
		late = day_rules.late_punch_count(row.punches, row.late_punches, row.count_now)
		if late is None:
			continue
		newest = frappe.db.sql(
			"""select time from `tabEmployee Checkin` where employee = %(employee)s
			and time >= %(day)s and time < %(next)s order by creation desc, name desc limit 1""",
			{"employee": row.employee, "day": row.attendance_date, "next": add_days(row.attendance_date, 1)},
		)
		late_time = newest[0][0] if newest else None
		frappe.db.set_value(
			MARK,
			row.name,
			{"late_punch": 1, "late_punches": late, "late_punch_time": late_time},
			update_modified=False,
		)
		if row.attendance:
			# A comment, not a change: the submitted Attendance stays as it is for HR to review.
			frappe.get_doc("Attendance", row.attendance).add_comment(
				"Comment",
				text=(
					f"Biometric Sync: {late} punch(es) for this day arrived after it was marked "
					f"(latest at {late_time}). Attendance was not changed; please review."
				),
			)
		flagged.append(row.name)
	return flagged


def late_punch_since(settings, today: date) -> date:
	start = getdate(settings.attendance_start_date) if settings.attendance_start_date else today
	return max(start, today - timedelta(days=LATE_PUNCH_LOOKBACK_DAYS))


def _batches(items: list, size: int = BATCH):
	for start in range(0, len(items), size):
		yield items[start : start + size]
