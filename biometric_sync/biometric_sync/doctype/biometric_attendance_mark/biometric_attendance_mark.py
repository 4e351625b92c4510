# Copyright (c) 2026, biometric_sync contributors
# For license information, please see license.txt

from frappe.model.document import Document


def mark_name(employee: str, attendance_date) -> str:
	"""One row per employee and day: the primary key makes the database refuse a second decision, so two workers
	marking the same day cannot both create an Attendance."""
	return f"{employee}-{attendance_date}"


class BiometricAttendanceMark(Document):
	"""What Daily Attendance from punches decided for one employee and day; written only by
	biometric_sync.attendance.marker."""

	def autoname(self):
		self.name = mark_name(self.employee, self.attendance_date)
