"""The indexes this app owns, on its own tables and on Employee Checkin (design.md: every query on a table that
grows with time goes through an index).

Added at install and at every migrate (idempotent: an index that exists by name is left alone), and the one on
another app's table is removed at uninstall. Each names the queries it serves; ``tests/test_indexes.py``
EXPLAINs those queries.
"""

import frappe

# doctype → [(index name, columns)]. Names start with "bsync_" so they are recognisably ours.
OWN_INDEXES: dict[str, list[tuple[str, list[str]]]] = {
	"Biometric Punch": [
		# processor.claim_chunk: the oldest Pending punches (status = 'Pending' order by site_time, name);
		# tasks.has_pending; the overview's counts per status; the Unmapped page (status = 'Unmapped').
		("bsync_status_site_time", ["status", "site_time"]),
		# watermark.update_device_watermark: min(site_time) of a device's Pending punches; a device's Unmapped count.
		("bsync_device_status_site_time", ["device", "status", "site_time"]),
		# The Punches page searching one device, newest first.
		("bsync_device_site_time", ["device", "site_time"]),
		# The Punches page searching one device user id, newest first: through the one-column index MariaDB read
		# and sorted every punch of that user id (365 ms at 3,400 punches each on the history site; 10-18 ms so);
		# replay of one device user id's Unmapped punches.
		("bsync_user_id_site_time", ["device_user_id", "site_time"]),
		# A run's punches (the Sync Log page) and retention unlinking pruned logs.
		("bsync_sync_log", ["sync_log"]),
		# The Desk list (newest first) and retention.
		("bsync_creation", ["creation"]),
	],
	"Biometric Sync Log": [
		# The overview and device page: each device's newest run (device, started); the Sync logs page by device.
		("bsync_device_started", ["device", "started"]),
		# The Sync logs page, newest first.
		("bsync_started", ["started"]),
		# The Desk list (newest first) and retention: logs older than the cutoff.
		("bsync_creation", ["creation"]),
		# Retention unlinking pruned commands.
		("bsync_command", ["command"]),
	],
	"Biometric Command": [
		# outbox.claim: a sidecar's open commands, oldest first.
		("bsync_sidecar_status_creation", ["sidecar", "status", "creation"]),
		# Open commands of a device (has_open, the device page).
		("bsync_device_status", ["device", "status"]),
		# outbox.expire_stale: open commands past expires_on.
		("bsync_status_expires_on", ["status", "expires_on"]),
		# The Desk list (newest first) and retention: commands older than the cutoff.
		("bsync_creation", ["creation"]),
		# Retention unlinking pruned logs.
		("bsync_sync_log", ["sync_log"]),
		# The Employee form's Device Enrolment: the user commands about one Employee, newest first.
		("bsync_employee_creation", ["employee", "creation"]),
		# Coalescing user commands and the relieving-date check: a device's commands about one device user id.
		("bsync_device_user_id", ["device", "device_user_id"]),
	],
	"Biometric Device User": [
		# The Unmapped page's device names, accept/replay, and the Employee hook: rows of one device user id.
		("bsync_user_id", ["device_user_id"]),
		# A report (every row of one device) and the enrolment plan (a device's present rows).
		("bsync_device_removed", ["device", "removed_on"]),
		# The Employee hook: rows linked to one Employee.
		("bsync_employee", ["employee"]),
	],
	"Biometric Attendance Mark": [
		# The Biometric Attendance report (a range of days) and marker.flag_late_punches (the recent days).
		("bsync_attendance_date", ["attendance_date"]),
		# The report for one employee.
		("bsync_employee_date", ["employee", "attendance_date"]),
	],
}

# Indexes of ours that no query reads any more: dropped at install and migrate. Each index on a punch's status is
# written twice when the punch is processed (its old entry marked deleted, purged later, and the new one).
UNUSED_INDEXES: dict[str, list[str]] = {
	# (status, device_user_id), until 2026-12: the Unmapped page reads through bsync_status_site_time and replay
	# through bsync_user_id_site_time.
	"Biometric Punch": ["bsync_status_user_id"],
}

# HRMS checks every new checkin for a duplicate (employee, time, log type); Employee Checkin has an index on
# employee alone, so that check read every checkin of the employee (23 ms at 9,000 checkins each).
CHECKIN_INDEX = ("bsync_employee_time", ["employee", "time"])
FOREIGN_INDEXES: dict[str, list[tuple[str, list[str]]]] = {
	"Employee Checkin": [
		CHECKIN_INDEX,
		# watermark.shift_types_fed_by, after every processing run: the shifts a device's recent checkins
		# fed (device_id, time); without it, every checkin of the site is read.
		("bsync_device_time", ["device_id", "time"]),
	]
}


def ensure_indexes() -> None:
	for doctype, indexes in (OWN_INDEXES | FOREIGN_INDEXES).items():
		if not frappe.db.table_exists(doctype):
			continue
		for name, columns in indexes:
			if not frappe.db.has_index(f"tab{doctype}", name):
				# Not frappe.db.add_index: outside install and migrate it turns a one-column index into a
				# Property Setter on the doctype, which is not ours to leave behind.
				frappe.db.sql_ddl(
					f"alter table `tab{doctype}` add index if not exists `{name}` "
					f"({', '.join(f'`{column}`' for column in columns)})"
				)
	drop_unused_indexes()


def drop_unused_indexes() -> None:
	for doctype, names in UNUSED_INDEXES.items():
		if not frappe.db.table_exists(doctype):
			continue
		for name in names:
			if frappe.db.has_index(f"tab{doctype}", name):
				frappe.db.sql_ddl(f"alter table `tab{doctype}` drop index `{name}`")


def drop_foreign_indexes() -> None:
	"""Our indexes on other apps' tables (our own tables go with the app)."""
	for doctype, indexes in FOREIGN_INDEXES.items():
		if not frappe.db.table_exists(doctype):
			continue
		for name, _columns in indexes:
			if frappe.db.has_index(f"tab{doctype}", name):
				frappe.db.sql_ddl(f"alter table `tab{doctype}` drop index `{name}`")
