"""Biometric Punch rows staged before punches were named by time and uid (``uid.staging_name``) are renamed
from "<uid>" to "<time>-<uid>", so a punch sent again after the update is still found as a duplicate.

In slices of SLICE rows, each committed, so a site with years of punches neither holds one huge transaction
nor locks the table for the whole migrate; run again (a migrate stopped midway), it goes on where it stopped.
The slices follow site time, not the old names: each slice's rows then sit together in the new primary key and
in the indexes that lead with status or device, instead of on a random page of each (in name order, a million
punches took half an hour on 2 cores). Nothing stores a punch's name (checkins, logs and attendance marks do not
link to it), so nothing else changes.

Sidecars keep pushing during the migrate, and one may send an old punch again before its row is renamed: it is
then staged a second time under the new name (a twin). One row per punch is kept: the old one if the twin is
still Pending (the twin goes), else the twin (it holds the newer outcome; the old one goes).
"""

import frappe

from biometric_sync.ingest.uid import UID_MAX_LENGTH, staging_name

SLICE = 5000
ATTEMPTS = 3


def execute():
	if not frappe.db.table_exists("Biometric Punch"):
		return
	since = "0001-01-01 00:00:00"
	while True:
		# Old names are the bare uid (64 hex characters); renamed ones are longer. The renamed rows of the last
		# slice's second are read again by the next and skipped.
		rows = frappe.db.sql(
			"select name, punch_time, site_time from `tabBiometric Punch` force index (site_time) "
			"where site_time >= %(since)s and char_length(name) = %(length)s and punch_time is not null "
			"order by site_time limit %(slice)s",
			{"since": since, "length": UID_MAX_LENGTH, "slice": SLICE},
		)
		if not rows:
			break
		_rename({row[0]: staging_name(row[0], row[1]) for row in rows})
		since = rows[-1][2]
	# Rows without a site time (none are staged so; a hand-made row could be).
	while rows := frappe.db.sql(
		"select name, punch_time from `tabBiometric Punch` where site_time is null "
		"and char_length(name) = %(length)s and punch_time is not null limit %(slice)s",
		{"length": UID_MAX_LENGTH, "slice": SLICE},
	):
		_rename({row[0]: staging_name(row[0], row[1]) for row in rows})


def _rename(new_names: dict[str, str]) -> None:
	"""old name → new name, in one transaction; twins are settled first (see the module notes)."""
	for attempt in range(ATTEMPTS):
		try:
			_settle_twins(new_names)
			if new_names:
				# The name staging_name gives, built by the database: one statement per slice.
				frappe.db.sql(
					"update `tabBiometric Punch` "
					"set name = concat(date_format(punch_time, '%%Y%%m%%d%%H%%i%%s'), '-', name) "
					"where name in %(names)s",
					{"names": list(new_names)},
				)
			frappe.db.commit()
			return
		except Exception as error:
			frappe.db.rollback()
			# A push staged another twin between the check and the rename: settle again.
			if attempt == ATTEMPTS - 1 or not _is_duplicate_entry(error):
				raise


def _is_duplicate_entry(error: Exception) -> bool:
	try:
		return bool(frappe.db.is_duplicate_entry(error))
	except Exception:
		return False  # not a database error


def _settle_twins(new_names: dict[str, str]) -> None:
	twins = dict(
		frappe.db.sql(
			"select name, status from `tabBiometric Punch` where name in %(names)s",
			{"names": list(new_names.values())},
		)
	)
	if not twins:
		return
	for old, new in list(new_names.items()):
		if new not in twins:
			continue
		if twins[new] == "Pending":
			frappe.db.sql("delete from `tabBiometric Punch` where name = %s", new)
		else:
			frappe.db.sql("delete from `tabBiometric Punch` where name = %s", old)
			del new_names[old]
