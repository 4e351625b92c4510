"""``POST /api/method/biometric_sync.api.ingest.push_punches`` (design.md, Contracts → Ingest).

Request (JSON body): ``{"sidecar": "...", "device": "...", "punches": [Punch, ...≤1000], "sync_log": null}``.

Response: ``{"message": {"results": [...], "sync_log": "BSL-...", "counts": {"new": n, "duplicate": n,
"rejected": n}}}`` with one result per punch, in request order:

- ``{"uid": "...", "status": "new"}``: stored now;
- ``{"uid": "...", "status": "duplicate"}``: already stored (earlier, concurrently, or twice in this batch);
- ``{"uid": <as sent>, "status": "rejected", "code": "INVALID_TIME", "error": "human text"}``: not stored;
  codes in ``biometric_sync.ingest.schema`` plus STORE_FAILED (a database error on that one row).

Every result echoes the uid exactly as sent (null only when the item was not an object), so
``results[i].uid == punches[i].uid`` always holds.

The sidecar may drop a spool entry once its uid is ``new`` or ``duplicate``. The call returns only after the
rows are committed; processing into Employee Checkin runs afterwards in a background job. Request-level errors
(auth, unknown device, too many punches, bad shape) are HTTP errors with a ``code`` (``biometric_sync.errors``).
"""

import frappe

from biometric_sync import settings as bsync_settings
from biometric_sync.api.access import require_device_of, require_sidecar
from biometric_sync.errors import InvalidArgumentError, PayloadTooLargeError, fail
from biometric_sync.ingest import sync_log as sync_logs
from biometric_sync.ingest.staging import stage_punches
from biometric_sync.ingest.tasks import enqueue_processing
from biometric_sync.transactions import retry_on_deadlock

MAX_PUNCHES = 1000


@frappe.whitelist(methods=["POST"])
def push_punches(sidecar: str, device: str, punches: list | str, sync_log: str | None = None) -> dict:
	sidecar_row = require_sidecar(sidecar)
	device_row = require_device_of(sidecar_row.name, device)
	items = frappe.parse_json(punches) if isinstance(punches, str) else punches
	if not isinstance(items, list):
		fail(InvalidArgumentError, "INVALID_ARGUMENT", "punches must be a list")
	if len(items) > MAX_PUNCHES:
		fail(
			PayloadTooLargeError,
			"BATCH_TOO_LARGE",
			f"at most {MAX_PUNCHES} punches per call, got {len(items)}",
		)

	# A deadlock rolls the whole batch back (nothing of it is stored): it runs again. The sidecar retries a 5xx too.
	return retry_on_deadlock(lambda: _push(sidecar_row.name, device_row, items, sync_log))


def _push(sidecar: str, device_row, items: list, sync_log: str | None) -> dict:
	log_name = sync_logs.for_push(device_row.name, sidecar, sync_log)
	staged = stage_punches(
		device_row.name, device_row.time_zone, bsync_settings.site_time_zone(), items, log_name
	)
	sync_logs.record_push(log_name, items, staged.results)
	if staged.new_uids:
		enqueue_processing()
		# The HR page's live feed shows a punch once it is staged, not only once it became a checkin.
		frappe.publish_realtime(
			"biometric_sync:refresh",
			{"device": device_row.name},
			doctype="Biometric Device",
			docname=device_row.name,
			after_commit=True,
		)
	frappe.db.commit()
	return {
		"results": staged.results,
		"sync_log": log_name,
		"counts": {status: staged.count(status) for status in ("new", "duplicate", "rejected")},
	}
