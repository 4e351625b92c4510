"""The single writer of Biometric Command (the outbox).

Lifecycle: Queued → Claimed (``claim``) → Running (first ``report_progress``) → Done | Failed
(``complete``); Queued/Claimed/Running past ``expires_on`` → Expired (``expire_stale``, from the scheduler).

- Every new command nudges its sidecar: ``publish_realtime("biometric_sync:command", {"command": name},
  user=<sidecar API user>, after_commit=True)``. The nudge is only a wake-up; the sidecar also claims on
  (re)connect and on a timer.
- ``claim`` does not offer the commands of a disabled device: they wait until it is enabled again or expire.
- ``claim`` also re-offers a Claimed/Running command whose sidecar went quiet: no progress for
  ``LEASE_MINUTES`` and fewer than ``MAX_ATTEMPTS`` claims so far (a sidecar that crashed mid-pull).
- Device-user commands (``users_read``, ``user_set``, ``user_delete``; issue 13) wait for their terminal for
  ``USER_COMMAND_EXPIRY_DAYS`` (a terminal offline for days gets them when it is back) and are re-offered after
  every lease without a cap on attempts. Their refusals (``USER_*`` codes, ``DEVICE_UNSUPPORTED``) are answers of
  a healthy device, like a refused clear. When the terminal could not be reached (``RETRY_LATER_CODES``: offline,
  unreachable, not served by its sidecar yet, punches not confirmed yet) the command is not Failed but Queued
  again with a ``retry_after``: 2, 4, 8 … minutes after each try, at most ``RETRY_MAX_MINUTES``.
- A ``pull``/``pull_range``/``clear_log`` command gets its Biometric Sync Log at claim time; the claim response names it, so
  the sidecar passes it to ``push_punches``.
- ``complete`` is idempotent: completing a Done/Failed command again changes nothing. A late completion of an
  Expired command is recorded (the work was done).
- Progress and completion publish ``biometric_sync:progress`` ``{"command", "device"}`` to the device's
  document room (the Desk form of the device listens); the payload carries ids only, readers re-read.
"""

import frappe
from frappe.utils import add_to_date, cint, get_datetime, now_datetime

from biometric_sync import settings as bsync_settings
from biometric_sync.device_status import failure_status
from biometric_sync.ingest import sync_log as sync_logs
from biometric_sync.ingest.timezones import convert_wall_time, is_valid_time_zone
from biometric_sync.outbox import clearing

DOCTYPE = "Biometric Command"
USER_COMMAND_TYPES = ("users_read", "user_set", "user_delete", "template_set")
# Commands whose claim carries biometric data (never stored on the command; see users.templates).
TEMPLATE_COMMAND_TYPES = ("template_set",)
COMMAND_TYPES = (
	"pull",
	"pull_range",
	"test_connection",
	"sync_time",
	"reload_config",
	"clear_log",
	*USER_COMMAND_TYPES,
)
PULL_TYPES = ("pull", "pull_range")
# Commands that read punches get a Sync Log (a clear reads the whole log before it clears).
LOGGED_TYPES = (*PULL_TYPES, "clear_log")
OPEN = ("Queued", "Claimed", "Running")
FINISHED = ("Done", "Failed", "Expired")
LEASE_MINUTES = 10
MAX_ATTEMPTS = 3
# A device-user command that met one of these is tried again later instead of failing: the terminal is away.
RETRY_LATER_CODES = (
	"ADMS_DEVICE_OFFLINE",
	"ADMS_COMMAND_TIMEOUT",
	"DEVICE_UNREACHABLE",
	"DEVICE_REFUSED",
	"DEVICE_TIMEOUT",
	"DEVICE_BUSY",
	"DEVICE_CLOSED",
	"CONFIG_INVALID",
	"USER_PUNCHES_UNCONFIRMED",
	"SITE_UNAVAILABLE",
	"SITE_TIMEOUT",
)
RETRY_MAX_MINUTES = 60
CLAIM_LIMIT = 20
DEFAULT_EXPIRY_MINUTES = 30
USER_COMMAND_EXPIRY_DAYS = 14
# Failures of device-user commands that say the device is fine (it refused, or its family cannot do it).
USER_REFUSAL_CODES = (
	"USER_ID_INVALID",
	"USER_NAME_INVALID",
	"USER_CARD_INVALID",
	"USER_IS_ADMIN",
	"USER_PUNCHES_UNCONFIRMED",
	"DEVICE_UNSUPPORTED",
	"TEMPLATE_INVALID",
	"TEMPLATE_REFUSED",
)


def create_command(
	command_type: str,
	sidecar: str,
	device: str | None = None,
	payload: dict | None = None,
	trigger: str = "manual",
	device_user_id: str | None = None,
	employee: str | None = None,
) -> str:
	if command_type not in COMMAND_TYPES:
		raise ValueError(f"unknown command type {command_type}")
	if command_type in USER_COMMAND_TYPES:
		expiry = USER_COMMAND_EXPIRY_DAYS * 24 * 60
	else:
		expiry = cint(bsync_settings.get_settings().command_expiry_minutes) or DEFAULT_EXPIRY_MINUTES
	doc = frappe.get_doc(
		{
			"doctype": DOCTYPE,
			"command_type": command_type,
			"sidecar": sidecar,
			"device": device,
			"payload": frappe.as_json(payload or {}),
			"status": "Queued",
			"trigger": trigger,
			"requested_by": frappe.session.user,
			"device_user_id": device_user_id,
			"employee": employee,
			"expires_on": add_to_date(now_datetime(), minutes=expiry),
		}
	)
	doc.insert(ignore_permissions=True)
	nudge(sidecar, doc.name)
	return doc.name


def nudge(sidecar: str, command: str) -> None:
	api_user = frappe.db.get_value("Biometric Sidecar", sidecar, "api_user")
	if api_user:
		frappe.publish_realtime(
			"biometric_sync:command", {"command": command}, user=api_user, after_commit=True
		)


def open_user_command(device: str, command_type: str, payload: dict) -> str | None:
	"""An open device-user command of this device with the same type and payload (coalescing)."""
	filters = {"device": device, "command_type": command_type, "status": ("in", OPEN)}
	if payload.get("user_id") is not None:
		filters["device_user_id"] = payload["user_id"]
	for name, text in frappe.get_all(DOCTYPE, filters=filters, fields=["name", "payload"], as_list=True):
		if (frappe.parse_json(text) if text else {}) == payload:
			return name
	return None


def has_open(device: str, command_types: tuple[str, ...]) -> bool:
	return bool(
		frappe.db.exists(
			DOCTYPE, {"device": device, "command_type": ("in", command_types), "status": ("in", OPEN)}
		)
	)


def has_open_reload(sidecar: str) -> bool:
	"""A reload_config not yet claimed: the sidecar will read the latest config anyway."""
	return bool(
		frappe.db.exists(DOCTYPE, {"sidecar": sidecar, "command_type": "reload_config", "status": "Queued"})
	)


def claim(sidecar: str, limit: int = CLAIM_LIMIT) -> list[dict]:
	"""Takes the sidecar's Queued commands (and stale claims, see module doc), oldest first."""
	now = now_datetime()
	lease_cutoff = add_to_date(now, minutes=-LEASE_MINUTES)
	# A plain read lists the candidates, then each is locked by primary key and checked again: a locking read
	# over the sidecar's index would lock its gaps too, so a Sync Now inserting a command for this sidecar
	# would wait for (or deadlock with) the claim.
	# Candidates are chosen by the same rule as the locked check below: commands waiting for their retry time (a
	# terminal away for days) must not fill the window and starve new ones (found on a bench: 800 of them did).
	# Commands of a disabled device wait (until it is enabled again or they expire): its sidecar does not serve
	# it, so they could only fail there (user commands would be retried for days).
	eligible = """(expires_on is null or expires_on > %(now)s)
		and not exists (select 1 from `tabBiometric Device` d where d.name = `tabBiometric Command`.device and d.enabled = 0)
		and ((status = 'Queued' and (retry_after is null or retry_after <= %(now)s))
			or (status in ('Claimed', 'Running') and modified < %(cutoff)s
				and (attempts < %(max)s or command_type in %(uncapped)s)))"""
	values = {
		"sidecar": sidecar,
		"limit": limit * 5,
		"now": now,
		"cutoff": lease_cutoff,
		"max": MAX_ATTEMPTS,
		"uncapped": USER_COMMAND_TYPES,
	}
	candidates = [
		row[0]
		for row in frappe.db.sql(
			f"""select name from `tab{DOCTYPE}`
			where sidecar = %(sidecar)s and status in ('Queued', 'Claimed', 'Running') and {eligible}
			order by creation, name
			limit %(limit)s""",
			values,
		)
	]
	names = []
	for name in candidates:
		if len(names) == limit:
			break
		row = frappe.db.sql(
			f"""select name from `tab{DOCTYPE}` where name = %(name)s and {eligible} for update""",
			{**values, "name": name},
		)
		if row:
			names.append(row[0][0])
	claimed = []
	for name in names:
		# One command that cannot be handed out must not stop the others (found on a bench: a user command
		# naming a deleted Employee failed every claim of its sidecar, so nothing ran any more).
		frappe.db.savepoint("bsync_claim")
		try:
			doc = frappe.get_doc(DOCTYPE, name)
			if doc.command_type in LOGGED_TYPES and not doc.sync_log:
				doc.sync_log = sync_logs.create(
					doc.device,
					doc.sidecar,
					"schedule" if doc.trigger == "schedule" else "manual",
					command=doc.name,
					requested_by=doc.requested_by,
				)
			doc.status = "Claimed"
			doc.attempts = cint(doc.attempts) + 1
			doc.claimed_on = now
			_save(doc)
			claimed.append(as_contract(doc))
		except Exception as error:
			frappe.db.rollback(save_point="bsync_claim")
			frappe.clear_messages()
			frappe.log_error(title=f"biometric_sync: command {name} could not be claimed")
			frappe.db.set_value(
				DOCTYPE,
				name,
				{"status": "Failed", "finished_on": now, "error": f"could not be handed out: {error}"[:2000]},
				update_modified=False,
			)
		else:
			frappe.db.release_savepoint("bsync_claim")
	return claimed


def _save(doc) -> None:
	"""Saves a command's own state. A command outlives what it names (an Employee deleted since it was queued):
	its links are not checked again here."""
	doc.flags.ignore_links = True
	doc.save(ignore_permissions=True)


def as_contract(doc) -> dict:
	payload = frappe.parse_json(doc.payload) if doc.payload else {}
	if doc.command_type in TEMPLATE_COMMAND_TYPES:
		from biometric_sync.users.templates import claim_payload

		payload = claim_payload(payload)
	return {
		"name": doc.name,
		"command_type": doc.command_type,
		"device": doc.device,
		"payload": payload,
		"sync_log": doc.sync_log,
		"attempts": cint(doc.attempts),
		"expires_on": str(doc.expires_on) if doc.expires_on else None,
	}


def report_progress(command: str, done: int, total: int, message: str | None = None) -> dict:
	doc = frappe.get_doc(DOCTYPE, command, for_update=True)
	if doc.status in ("Claimed", "Queued"):
		doc.status = "Running"
	if doc.status == "Running":
		doc.progress_done = max(0, cint(done))
		doc.progress_total = max(0, cint(total))
		doc.progress_message = (message or "")[:1000]
		_save(doc)
		publish_progress(doc)
	return {"status": doc.status}


def complete(command: str, status: str, result: dict | None) -> dict:
	doc = frappe.get_doc(DOCTYPE, command, for_update=True)
	if doc.status in ("Done", "Failed"):
		return {"status": doc.status}
	result = result or {}
	if doc.command_type in TEMPLATE_COMMAND_TYPES:
		from biometric_sync.users.templates import safe_result

		result = safe_result(result)  # nothing of a template's data in result / error
	now = now_datetime()
	if (
		status == "Failed"
		and doc.command_type in USER_COMMAND_TYPES
		and result.get("code") in RETRY_LATER_CODES
	):
		return _retry_later(doc, result, now)
	doc.status = status
	if doc.command_type in TEMPLATE_COMMAND_TYPES:
		doc.payload = frappe.as_json({})  # finished: not even the reference to the template stays
	doc.result = frappe.as_json(result)
	doc.error = str(result.get("error"))[:2000] if result.get("error") else None
	doc.finished_on = now
	if status == "Done" and cint(doc.progress_total):
		doc.progress_done = doc.progress_total
	_save(doc)

	if doc.sync_log:
		read, cleared = result.get("read"), result.get("cleared")
		sync_logs.finish(
			doc.sync_log,
			"Success" if status == "Done" else "Failed",
			error=doc.error,
			read_count=cint(read) if isinstance(read, int) else None,
			cleared_count=cint(cleared)
			if isinstance(cleared, int) and doc.command_type == "clear_log"
			else None,
		)
	if doc.device:
		_update_device(doc, status, result, now)
		if status == "Done" and doc.command_type in PULL_TYPES and doc.trigger == "manual":
			from biometric_sync.users.device_users import read_after_sync

			# After a person's Sync Now, the terminal's users too (at most hourly; issue 13).
			read_after_sync(
				frappe.db.get_value(
					"Biometric Device", doc.device, ["name", "driver", "sidecar"], as_dict=True
				)
			)
	publish_progress(doc)
	return {"status": doc.status}


def _retry_later(doc, result: dict, now) -> dict:
	"""The terminal was away: queued again for a later try (the sidecar claims it once retry_after has passed)."""
	wait = min(RETRY_MAX_MINUTES, 2 ** min(max(cint(doc.attempts), 1), 6))
	doc.status = "Queued"
	doc.retry_after = add_to_date(now, minutes=wait)
	doc.result = frappe.as_json(result)
	error = str(result.get("error") or result.get("code"))
	doc.error = f"{error[:1800]} (try {cint(doc.attempts)}; tried again after {doc.retry_after})"
	_save(doc)
	publish_progress(doc)
	return {"status": doc.status}


def _update_device(doc, status: str, result: dict, now) -> None:
	device = frappe.db.get_value("Biometric Device", doc.device, ["name", "time_zone"], as_dict=True)
	if not device:
		return
	values: dict = {}
	if status == "Done":
		values.update(status="Online", last_seen=now, last_error=None)
	elif doc.command_type == "clear_log" and clearing.is_refusal(result):
		pass  # the device answered; the clear was refused for a reason the command and its Sync Log give
	elif doc.command_type in USER_COMMAND_TYPES and result.get("code") in USER_REFUSAL_CODES:
		pass  # the device (or its family) refused this user change; the command says why
	else:
		# Unreachable is Offline, a wrong answer Error; the coded error stays visible either way.
		status_now = failure_status(result.get("code") or doc.error)
		values.update(status=status_now, last_error=(doc.error or "command failed")[:2000])
	values.update(device_health(result))
	if status == "Done" and doc.command_type == "pull":
		read_through = to_site_time(result.get("read_through"), device.time_zone)
		read_through = read_through or (get_datetime(doc.claimed_on) if doc.claimed_on else None)
		current = frappe.db.get_value("Biometric Device", device.name, "read_through")
		if read_through and (not current or read_through > get_datetime(current)):
			values["read_through"] = read_through
	if values:
		frappe.db.set_value("Biometric Device", device.name, values, update_modified=False)
	if "read_through" in values:
		from biometric_sync.ingest.watermark import update_watermarks

		update_watermarks([device.name])


def device_health(report: dict) -> dict:
	"""Clock drift and memory use from a command result or a heartbeat's device entry, when present."""
	values = {}
	drift = report.get("clock_drift_seconds")
	if isinstance(drift, int | float) and not isinstance(drift, bool):
		values["clock_drift_seconds"] = int(drift)
	memory = report.get("memory_used_percent")
	if isinstance(memory, int | float) and not isinstance(memory, bool):
		values["memory_used_percent"] = max(0.0, min(100.0, float(memory)))
	return values


def to_site_time(device_local, device_zone: str | None):
	"""A device-local naive "YYYY-MM-DD HH:MM:SS" → site-local datetime; None if absent or malformed."""
	if not device_local or not isinstance(device_local, str):
		return None
	try:
		wall = get_datetime(device_local)
	except Exception:
		return None
	if wall is None:
		return None
	site_zone = bsync_settings.site_time_zone()
	zone = device_zone if is_valid_time_zone(device_zone) else site_zone
	return convert_wall_time(wall.replace(tzinfo=None), zone, site_zone)


def expire_stale(now=None) -> list[str]:
	now = now or now_datetime()
	names = frappe.get_all(
		DOCTYPE, filters={"status": ("in", OPEN), "expires_on": ("<", now)}, pluck="name", limit=500
	)
	for name in names:
		doc = frappe.get_doc(DOCTYPE, name)
		doc.status = "Expired"
		doc.error = "Expired before the sidecar finished it"
		doc.finished_on = now
		_save(doc)
		if doc.sync_log:
			sync_logs.finish(doc.sync_log, "Failed", error=doc.error)
		publish_progress(doc)
	return names


def publish_progress(doc) -> None:
	payload = {"command": doc.name, "device": doc.device}
	if doc.device:
		frappe.publish_realtime(
			"biometric_sync:progress",
			payload,
			doctype="Biometric Device",
			docname=doc.device,
			after_commit=True,
		)
	frappe.publish_realtime(
		"biometric_sync:progress", payload, doctype=DOCTYPE, docname=doc.name, after_commit=True
	)
