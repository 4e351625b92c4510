"""Which punches a device's log holds are staged here: what a Clear Log or a user delete waits for.

A punch is found by its name (``uid.staging_name``: its time and uid), through the primary key. A sidecar older
than that name sends uids only; those are found among the device's punches by uid, which reads every punch of the
device (there is no index on the uid alone: it would put a random page in every staged punch's path, see
``uid.staging_name``), slow on a big device but correct.
"""

from datetime import datetime

import frappe

from biometric_sync.ingest.uid import staging_name

PUNCH = "Biometric Punch"


def staged_names(device: str, punches: list[tuple[str, datetime]]) -> set[str]:
	"""The uids among ``punches`` ((uid, device-local time)) staged as punches of ``device``."""
	if not punches:
		return set()
	by_name = {staging_name(uid, time): uid for uid, time in punches}
	found = frappe.get_all(PUNCH, filters={"name": ("in", list(by_name)), "device": device}, pluck="name")
	return {by_name[name] for name in found}


def staged_uids(device: str, uids: list[str]) -> set[str]:
	"""The uids among ``uids`` staged as punches of ``device`` (an older sidecar's question)."""
	if not uids:
		return set()
	return set(
		frappe.db.sql_list(
			f"select punch_uid from `tab{PUNCH}` force index (bsync_device_site_time) "
			"where device = %(device)s and punch_uid in %(uids)s",
			{"device": device, "uids": uids},
		)
	)
