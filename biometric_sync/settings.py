"""Read access to Biometric Sync Settings and the values derived from them."""

import frappe
from frappe.utils import get_system_timezone

from biometric_sync.ingest.direction import DEFAULT_RULES, DirectionRules, DirectionRulesError, parse_rules

SETTINGS = "Biometric Sync Settings"
DEFAULT_LOOKUP_FIELD = "attendance_device_id"
SHIFT_ATTENDANCE = "Shift Type auto attendance (HRMS)"
DAILY_ATTENDANCE = "Daily Attendance from punches"


def get_settings():
	return frappe.get_cached_doc(SETTINGS)


def direction_rules(settings=None) -> DirectionRules:
	settings = settings or get_settings()
	try:
		return parse_rules(settings.in_states, settings.out_states)
	except DirectionRulesError:
		# The settings form refuses bad rules; a value that slipped in some other way falls back to the default.
		return DEFAULT_RULES


def lookup_field(settings=None) -> str:
	settings = settings or get_settings()
	return (settings.employee_lookup_field or "").strip() or DEFAULT_LOOKUP_FIELD


def site_time_zone() -> str:
	return get_system_timezone()


def alert_users(text: str | None) -> list[str]:
	"""The extra alert recipients of the settings: one user per line (commas and spaces tolerated)."""
	return [part for part in (text or "").replace(",", "\n").split() if part]


def daily_attendance_on(settings=None) -> bool:
	settings = settings or get_settings()
	return settings.attendance_mode == DAILY_ATTENDANCE
