"""Whitelisted methods of Daily Attendance from punches (Biometric Manager or System Manager).

- ``mark_attendance(date)``: decides that day now, without waiting for the cut-off time (the button "Mark a Day
  Now" on Biometric Sync Settings). The rest is as the scheduled job does it: only past days from Mark From on,
  each employee once, and only employees whose devices have delivered the day; the answer names the devices
  that hold the others.
"""

import frappe
from frappe.utils import getdate, today

from biometric_sync import settings as bsync_settings
from biometric_sync.api.access import require_manager
from biometric_sync.attendance import marker
from biometric_sync.errors import InvalidArgumentError, fail


@frappe.whitelist(methods=["POST"])
def mark_attendance(date: str) -> dict:
	require_manager()
	try:
		day = getdate(date) if date else None
	except Exception:
		day = None
	if not day:
		fail(InvalidArgumentError, "INVALID_ARGUMENT", f"{date!r} is not a date")
	settings = bsync_settings.get_settings()
	if not bsync_settings.daily_attendance_on(settings):
		fail(
			InvalidArgumentError,
			"ATTENDANCE_MODE_OFF",
			f"Attendance Mode is not {bsync_settings.DAILY_ATTENDANCE}",
		)
	if day >= getdate(today()):
		fail(InvalidArgumentError, "INVALID_ARGUMENT", "Only a day before today can be marked")
	if settings.attendance_start_date and day < getdate(settings.attendance_start_date):
		fail(
			InvalidArgumentError,
			"INVALID_ARGUMENT",
			f"{day} is before Mark From ({settings.attendance_start_date})",
		)
	summary = marker.mark_day(day, settings)
	frappe.db.commit()
	return summary.as_dict()
