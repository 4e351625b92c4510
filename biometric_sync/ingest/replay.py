"""Replay of Unmapped punches: when an Employee's lookup field is set or changed, the punches parked for that
device user id go back to Pending and are processed again (hooks.py → doc_events["Employee"]["on_update"]).
Changing the lookup field itself in Biometric Sync Settings replays every Unmapped punch."""

import frappe

from biometric_sync import settings as bsync_settings
from biometric_sync.ingest import sync_log
from biometric_sync.ingest.tasks import enqueue_processing

PUNCH = "Biometric Punch"


def on_employee_update(doc, method=None) -> None:
	field = bsync_settings.lookup_field()
	if not doc.has_value_changed(field):
		return
	value = doc.get(field)
	if value is None or value == "":
		return
	requeue_unmapped(str(value), reason=f"Replayed: Employee {doc.name} now has {field} = {value!s}")


def requeue_unmapped(user_id: str | None = None, reason: str = "Replayed") -> int:
	"""Unmapped punches of ``user_id`` (exact match; all of them when None) → Pending. Returns how many."""
	filters = {"status": "Unmapped"}
	if user_id is not None:
		filters["device_user_id"] = user_id
	rows = frappe.get_all(PUNCH, filters=filters, fields=["name", "device_user_id", "device"])
	if user_id is not None:
		rows = [row for row in rows if row.device_user_id == user_id]
	if not rows:
		return 0
	requeue([row.name for row in rows], reason)
	# One log per device: how many punches went back to processing, when and at whose request (a replay is
	# over once they are queued; their outcomes are on the punches).
	now = frappe.utils.now_datetime()
	for device in sorted({row.device for row in rows}):
		count = sum(1 for row in rows if row.device == device)
		sync_log.create(
			device,
			None,
			"replay",
			status="Success",
			read_count=count,
			started=now,
			finished=now,
			duration=0,
			requested_by=frappe.session.user,
		)
	return len(rows)


def requeue(names: list[str], reason: str) -> None:
	"""Sets the punches back to Pending (keeping what they were linked to until processed again)."""
	punch = frappe.qb.DocType(PUNCH)
	for start in range(0, len(names), 1000):
		(
			frappe.qb.update(punch)
			.set(punch.status, "Pending")
			.set(punch.reason, reason)
			.set(punch.modified, frappe.utils.now_datetime())
			.where(punch.name.isin(names[start : start + 1000]))
			.run()
		)
	enqueue_processing()
