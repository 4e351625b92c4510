"""The scheduled job of Daily Attendance from punches (hooks.py: cron every 15 minutes → ``mark_due_days``).

It does nothing unless Biometric Sync Settings' Attendance Mode is "Daily Attendance from punches". Then it
decides the days from Mark From (or the day after Marked Through) up to the last day whose cut-off has passed,
moves Marked Through over every day that is decided for every employee, and flags checkins that arrived after
their day was decided. Idempotent: a decided employee and day is never decided again (one Mark each). One run at
a time (a named database lock); a run stops after JOB_TIME_BOX_SECONDS and queues its continuation, so a
backlog does not hold a worker.
"""

import time
from datetime import date, timedelta

import frappe
from frappe.utils import getdate, now_datetime

from biometric_sync import settings as bsync_settings
from biometric_sync.attendance import day_rules, marker

JOB_TIME_BOX_SECONDS = 120
LOCK = "biometric_sync:attendance"
JOB_ID = "biometric_sync:attendance"
JOB_METHOD = "biometric_sync.attendance.tasks.mark_due_days"
DEFAULT_CUTOFF = "01:00:00"


def mark_due_days() -> dict | None:
	settings = bsync_settings.get_settings()
	if not bsync_settings.daily_attendance_on(settings):
		return None
	if not frappe.db.sql("select get_lock(%s, 0)", (LOCK,))[0][0]:
		return None  # another run is going
	try:
		result = run(settings, now_datetime())
		if result["timed_out"]:
			frappe.enqueue(JOB_METHOD, queue="default", job_id=JOB_ID, deduplicate=True)
		return result
	finally:
		frappe.db.sql("select release_lock(%s)", (LOCK,))


def due_days(settings, now) -> list[date]:
	"""The days a run looks at: from Mark From, or the day after Marked Through, to the last day due."""
	if not settings.attendance_start_date:
		return []
	first = getdate(settings.attendance_start_date)
	if settings.attendance_marked_through:
		first = max(first, getdate(settings.attendance_marked_through) + timedelta(days=1))
	cutoff = day_rules.as_time(settings.attendance_cutoff_time or DEFAULT_CUTOFF)
	last = min(day_rules.due_through(now, cutoff), now.date() - timedelta(days=1))
	return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def run(settings, now, time_box_seconds: float = JOB_TIME_BOX_SECONDS, commit: bool = True) -> dict:
	deadline = time.monotonic() + time_box_seconds
	days = []
	contiguous = True
	timed_out = False
	for day in due_days(settings, now):
		if time.monotonic() >= deadline:
			timed_out = True
			break
		summary = marker.mark_day(day, settings, deadline=deadline, commit=commit)
		days.append(summary.as_dict())
		timed_out = summary.timed_out
		contiguous = contiguous and summary.complete
		if contiguous:
			# Every employee of every day up to here is decided: later runs start after it.
			frappe.db.set_single_value(
				bsync_settings.SETTINGS, "attendance_marked_through", day, update_modified=False
			)
		if commit:
			frappe.db.commit()
		if timed_out:
			break
	flagged = marker.flag_late_punches(marker.late_punch_since(settings, now.date()))
	if commit:
		frappe.db.commit()
	return {"days": days, "late_punches_flagged": len(flagged), "timed_out": timed_out}
