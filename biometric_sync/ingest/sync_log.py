"""The single writer of Biometric Sync Log.

One log per run: a pull command (created when the sidecar claims the command), a window of pushes (one log
per device per clock hour, for punches pushed without a ``sync_log``), or a replay. Counters are bumped with
atomic ``col = col + n`` updates, so concurrent batches for the same log add up correctly.
"""

import json

import frappe
from frappe.utils import get_datetime, now_datetime, time_diff_in_seconds

DOCTYPE = "Biometric Sync Log"
COUNTERS = ("read_count", "new_count", "duplicate_count", "unmapped_count", "error_count")
EXCERPT_LENGTH = 2000


def create(
	device: str | None, sidecar: str | None, trigger: str, command: str | None = None, **values
) -> str:
	doc = frappe.get_doc(
		{
			"doctype": DOCTYPE,
			"device": device,
			"sidecar": sidecar,
			"trigger": trigger,
			"command": command,
			"status": values.pop("status", "Running"),
			"started": values.pop("started", None) or now_datetime(),
			**values,
		}
	)
	doc.insert(ignore_permissions=True)
	return doc.name


def for_push(device: str, sidecar: str, sync_log: str | None) -> str:
	"""The log a push batch counts into: the one the sidecar names (if it is this device's), else this
	hour's push log of the device. An unknown ``sync_log`` is not an error: the batch must still land."""
	if sync_log and frappe.db.get_value(DOCTYPE, sync_log, "device") == device:
		return sync_log
	now = now_datetime()
	window_start = now.replace(minute=0, second=0, microsecond=0)
	existing = frappe.get_all(
		DOCTYPE,
		filters={"device": device, "trigger": "push", "started": (">=", window_start)},
		order_by="started desc",
		limit=1,
		pluck="name",
	)
	if existing:
		return existing[0]
	return create(device, sidecar, "push", status="Success", started=now)


def add_counts(name: str, **counts: int) -> None:
	"""Atomically adds to the counters (read_count=..., new_count=..., ...)."""
	increments = {field: int(value) for field, value in counts.items() if field in COUNTERS and value}
	if not name or not increments:
		return
	assignments = ", ".join(f"`{field}` = coalesce(`{field}`, 0) + %({field})s" for field in increments)
	frappe.db.sql(
		f"update `tab{DOCTYPE}` set {assignments} where name = %(name)s",
		{**increments, "name": name},
	)


def record_push(name: str, request_items: list, results: list[dict]) -> None:
	"""After a push batch: counters, last-seen excerpts, finished/duration, Partial when anything was rejected.

	What a push log received is what it read; a pull's log has its read count from the command's result (what
	the device held), so its uploads count as new, duplicate or rejected only (else every punch counted twice)."""
	new = sum(1 for r in results if r["status"] == "new")
	duplicate = sum(1 for r in results if r["status"] == "duplicate")
	rejected = sum(1 for r in results if r["status"] == "rejected")
	started, trigger = frappe.db.get_value(DOCTYPE, name, ["started", "trigger"])
	add_counts(
		name,
		read_count=len(results) if trigger == "push" else 0,
		new_count=new,
		duplicate_count=duplicate,
		error_count=rejected,
	)
	now = now_datetime()
	values = {
		"finished": now,
		"duration": time_diff_in_seconds(now, started) if started else 0,
		"request_excerpt": excerpt(request_items[:3]),
		"response_excerpt": excerpt([r for r in results if r["status"] == "rejected"][:5] or results[:3]),
	}
	if rejected:
		values["status"] = "Partial"
	frappe.db.set_value(DOCTYPE, name, values, update_modified=False)


def finish(
	name: str,
	status: str,
	error: str | None = None,
	read_count: int | None = None,
	cleared_count: int | None = None,
) -> None:
	"""Closes a command's log: Failed when the command failed, Partial when punches were rejected."""
	if not name or not frappe.db.exists(DOCTYPE, name):
		return
	row = frappe.db.get_value(DOCTYPE, name, ["started", "error_count"], as_dict=True)
	now = now_datetime()
	if status != "Failed" and (row.error_count or 0) > 0:
		status = "Partial"
	values = {
		"status": status,
		"finished": now,
		"duration": time_diff_in_seconds(now, get_datetime(row.started)) if row.started else 0,
	}
	if error:
		values["error"] = str(error)[:EXCERPT_LENGTH]
	if read_count is not None:
		values["read_count"] = int(read_count)
	if cleared_count is not None:
		values["cleared_count"] = int(cleared_count)
	frappe.db.set_value(DOCTYPE, name, values, update_modified=False)


def excerpt(value) -> str:
	text = value if isinstance(value, str) else json.dumps(value, default=str, indent=1)
	return text[:EXCERPT_LENGTH]
