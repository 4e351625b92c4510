# Copyright (c) 2026, biometric_sync contributors
# For license information, please see license.txt
"""What Daily Attendance from punches decided per day and employee, and why some were not marked: each row is
a Biometric Attendance Mark (Skipped rows carry the reason). Days not decided for everyone yet are named in the
message with the devices that hold them."""

import frappe
from frappe import _
from frappe.utils import add_days, getdate, today

from biometric_sync import settings as bsync_settings
from biometric_sync.attendance import marker, overview

LATE_PUNCH = "Late punch to review"


def execute(filters=None):
	filters = frappe._dict(filters or {})
	from_date = getdate(filters.from_date or add_days(today(), -7))
	to_date = getdate(filters.to_date or add_days(today(), -1))
	conditions = {"attendance_date": ("between", [from_date, to_date])}
	if filters.outcome == LATE_PUNCH:
		conditions["late_punch"] = 1
	elif filters.outcome:
		conditions["outcome"] = filters.outcome
	if filters.employee:
		conditions["employee"] = filters.employee
	rows = frappe.get_list(
		marker.MARK,
		filters=conditions,
		fields=list(overview.MARK_FIELDS),
		order_by="attendance_date desc, employee asc",
		limit_page_length=0,
	)
	return columns(), rows, waiting_message(from_date, to_date), None, summary(rows)


def columns() -> list[dict]:
	return [
		{"fieldname": "attendance_date", "label": _("Date"), "fieldtype": "Date", "width": 100},
		{
			"fieldname": "employee",
			"label": _("Employee"),
			"fieldtype": "Link",
			"options": "Employee",
			"width": 130,
		},
		{"fieldname": "employee_name", "label": _("Name"), "fieldtype": "Data", "width": 150},
		{"fieldname": "outcome", "label": _("Outcome"), "fieldtype": "Data", "width": 100},
		{"fieldname": "reason", "label": _("Reason"), "fieldtype": "Data", "width": 300},
		{
			"fieldname": "attendance",
			"label": _("Attendance"),
			"fieldtype": "Link",
			"options": "Attendance",
			"width": 140,
		},
		{"fieldname": "punches", "label": _("Punches"), "fieldtype": "Int", "width": 80},
		{"fieldname": "first_punch", "label": _("First Punch"), "fieldtype": "Datetime", "width": 150},
		{"fieldname": "last_punch", "label": _("Last Punch"), "fieldtype": "Datetime", "width": 150},
		{
			"fieldname": "working_hours",
			"label": _("Hours"),
			"fieldtype": "Float",
			"precision": 2,
			"width": 70,
		},
		{"fieldname": "late_entry", "label": _("Late Entry"), "fieldtype": "Check", "width": 80},
		{"fieldname": "early_exit", "label": _("Early Exit"), "fieldtype": "Check", "width": 80},
		{"fieldname": "late_punch", "label": _("Late Punch to Review"), "fieldtype": "Check", "width": 100},
		{"fieldname": "late_punches", "label": _("Late Punches"), "fieldtype": "Int", "width": 80},
		{
			"fieldname": "late_punch_time",
			"label": _("Late Punch Time"),
			"fieldtype": "Datetime",
			"width": 150,
		},
	]


def summary(rows) -> list[dict]:
	colors = {"Present": "Green", "Half Day": "Orange", "Absent": "Red", "Skipped": "Grey"}
	out = [
		{
			"value": sum(1 for row in rows if row.outcome == outcome),
			"label": _(outcome),
			"indicator": color,
			"datatype": "Int",
		}
		for outcome, color in colors.items()
	]
	out.append(
		{
			"value": sum(1 for row in rows if row.late_punch),
			"label": _("Late punches to review"),
			"indicator": "Blue",
			"datatype": "Int",
		}
	)
	return out


def waiting_message(from_date, to_date) -> str | None:
	"""Days in the range that are past but not decided for every employee, and what holds them."""
	settings = bsync_settings.get_settings()
	if not bsync_settings.daily_attendance_on(settings) or not settings.attendance_start_date:
		return _("Attendance Mode is not Daily Attendance from punches: nothing new is marked.")
	lines = []
	for day in overview.undecided_days(from_date, to_date, settings):
		line = _("{0}: {1} employees not decided yet").format(day["day"], day["undecided"])
		if day["devices"]:
			line += " — " + _("waiting for {0}").format(", ".join(day["devices"]))
		else:
			line += " — " + _("waiting for the cut-off time or the next run")
		lines.append(frappe.utils.escape_html(line))
	return "<br>".join(lines) or None
