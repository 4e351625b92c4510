"""What Daily Attendance from punches decided, for the report and the HR page: counts per day, the decisions of
a day, and the past days not decided for everyone yet with the devices that hold them."""

import frappe
from frappe.utils import add_days, getdate, today

from biometric_sync import settings as bsync_settings
from biometric_sync.attendance import marker

# Past days whose undecided employees are looked at (each costs a few queries).
WAITING_DAYS = 31
MARK_FIELDS = (
	"attendance_date",
	"employee",
	"employee_name",
	"outcome",
	"reason",
	"attendance",
	"punches",
	"first_punch",
	"last_punch",
	"working_hours",
	"late_entry",
	"early_exit",
	"late_punch",
	"late_punches",
	"late_punch_time",
)


def day_counts(from_date, to_date) -> list[dict]:
	"""Per day (newest first): how many employees got each outcome, and late punches to review. Through the
	(attendance_date) index of Biometric Attendance Mark."""
	rows = frappe.db.sql(
		f"""select attendance_date as day,
			sum(outcome = 'Present') as present, sum(outcome = 'Half Day') as half_day,
			sum(outcome = 'Absent') as absent, sum(outcome = 'Skipped') as skipped,
			sum(late_punch) as late_punches
		from `tab{marker.MARK}`
		where attendance_date between %(from)s and %(to)s
		group by attendance_date order by attendance_date desc""",
		{"from": getdate(from_date), "to": getdate(to_date)},
		as_dict=True,
	)
	keys = ("present", "half_day", "absent", "skipped", "late_punches")
	return [{"day": str(row.day), **{key: int(row[key] or 0) for key in keys}} for row in rows]


def undecided_days(from_date, to_date, settings=None) -> list[dict]:
	"""Past days in the range not decided for every employee: how many wait, and for which devices (none: the
	cut-off time or the next run of the job)."""
	settings = settings or bsync_settings.get_settings()
	if not bsync_settings.daily_attendance_on(settings) or not settings.attendance_start_date:
		return []
	first = max(getdate(from_date), getdate(settings.attendance_start_date))
	if settings.attendance_marked_through:
		first = max(first, add_days(getdate(settings.attendance_marked_through), 1))
	last = min(getdate(to_date), add_days(getdate(today()), -1))
	lookup = bsync_settings.lookup_field(settings)
	found = []
	day = getdate(first)
	while day <= last and len(found) < WAITING_DAYS:
		employees = marker.employees_of_day(day, lookup)
		decided = set(frappe.get_all(marker.MARK, filters={"attendance_date": day}, pluck="employee"))
		todo = [e.name for e in employees if e.name not in decided]
		if todo:
			waiting = marker.waiting_employees(todo, day)
			devices = sorted({d for held in waiting.values() for d in held})
			found.append({"day": str(day), "undecided": len(todo), "devices": devices})
		day = getdate(add_days(day, 1))
	return found
