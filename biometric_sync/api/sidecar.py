"""Endpoints the sidecar calls (role Biometric Sidecar; design.md, Contracts → Sidecar endpoints).

All are ``/api/method/biometric_sync.api.sidecar.<name>``; responses are Frappe's ``{"message": ...}``.

- ``heartbeat(sidecar, status)`` (POST): ``status`` is an object, every key optional:
  ``{"version": "0.1.0", "spool_depth": 12, "devices": [{"device": "Gate", "online": true,
  "clock_drift_seconds": 3, "memory_used_percent": 41.5, "read_through": "2026-01-02 08:00:00"}]}``
  (``read_through`` device-local; used for push devices such as ADMS). Marks the sidecar Online.
  Each device entry also says how its live channel is (issue 14): ``"live": "up" | "down" | "off"``; ``up``:
  punches arrive as they happen (ZK realtime events or a Hikvision alertStream held by the sidecar, paused
  during a read, or an ADMS terminal calling within its window); ``off``: the family has no live channel
  (eSSL), its punches come with each pull. When ``down``, also ``"live_error": "<CODE>: message"`` (a code of
  the sidecar's errors, e.g. ``DEVICE_CLOSED``, ``DEVICE_UNREACHABLE``, ``ADMS_DEVICE_OFFLINE``) and
  ``"live_since"``: ISO 8601 time (UTC, with offset) the channel went down. A down channel loses nothing
  (the next pull reads what it missed); it only makes punches late. The sidecar also sends a heartbeat within
  about a second of a live channel changing state. The site keeps it on the Biometric Device (Live Channel,
  Live Channel Since, Live Channel Error).
  → ``{"server_time": "...", "queued_commands": 2}``.
- ``get_config(sidecar)`` (GET or POST): this sidecar's devices only, with their secrets →
  ``{"sidecar", "site_time_zone", "direction_rules": {"in": [0, 4], "out": [1, 5]}, "adms_listen_address",
  "devices": [{"name", "enabled", "driver", "host", "port", "url", "serial_number", "comm_key", "username",
  "password", "time_zone", "pull_interval_minutes", "allow_clear_log", "import_since"}]}``.
- ``claim_commands(sidecar)`` (POST) → ``{"commands": [{"name", "command_type", "device", "payload",
  "sync_log", "attempts", "expires_on"}]}``.
- ``report_progress(command, done, total, message)`` (POST) → ``{"status": "Running"}``.
- ``report_unknown_device(sidecar, serial_number, remote_address)`` (POST): an ADMS terminal that no device
  names pushed to this sidecar. It is recorded once, disabled, with status Discovered, for a manager to
  approve by enabling it → ``{"device", "created"}``.
- ``confirm_punches(sidecar, device, punches)`` (POST): which of these punches (≤ 5000 ``{uid, time}``) are NOT
  staged as a Biometric Punch of that device → ``{"missing": [uids]}``. A Clear Log waits until none is missing.
  ``uids`` instead of ``punches`` (a list of uids, what older sidecars send) is answered too, more slowly.
- ``report_device_users(sidecar, device, users, complete=False, removed=None)`` (POST): the users a terminal
  holds (after a ``users_read``, or after a ``user_set``/``user_delete``): ``users`` (≤ 50,000) of ``{user_id,
  name, card, privilege: "user"|"admin", fingerprint, face}``; ``complete: true`` when the list is the whole
  terminal (rows not in it are marked removed); ``removed``: ids just deleted from it → ``{"received": n,
  "removed": n, "mapped": [...]}`` (``mapped``: ids mapped by "Map exact name matches automatically").
  Shape errors: ``INVALID_DEVICE_USER``/``DUPLICATE_USER_ID``/``INVALID_ARGUMENT`` 400, ``BATCH_TOO_LARGE`` 413
  (``biometric_sync.users.schema``).
- ``report_templates(sidecar, device, templates)`` (POST; issue 13, opt-in): fingerprint / face templates a
  ZK or ADMS terminal holds, ``templates`` (≤ 5000) of ``{user_id, kind: "fingerprint"|"face", index, format,
  data_b64}``. Only when Biometric Sync Settings' "Copy fingerprint and face templates between terminals" is on
  (else ``{"stored": 0, "skipped": "off"}``); stored encrypted (``biometric_sync.users.templates``) and copied
  as ``template_set`` commands to the Employee's other terminals of the family → ``{"stored", "changed",
  "queued"}``. Errors: ``INVALID_TEMPLATE``/``INVALID_ARGUMENT`` 400, ``BATCH_TOO_LARGE`` 413 (never quoting
  template data).
- ``complete_command(command, status, result)`` (POST): status ``Done`` | ``Failed``; ``result`` an object,
  keys used when present: ``read`` (int), ``error`` (text), ``read_through`` (device-local time, for pull),
  ``clock_drift_seconds``, ``memory_used_percent``; for clear_log ``cleared``, ``confirmed``, ``remaining``,
  ``unreadable_records``; for users_read ``users``, for user_set / user_delete ``user_id`` and ``action``; a
  failure's ``code`` (``USER_ID_INVALID``, ``USER_NAME_INVALID``, ``USER_CARD_INVALID``, ``USER_IS_ADMIN``,
  ``USER_PUNCHES_UNCONFIRMED``, ``DEVICE_UNSUPPORTED`` leave the device healthy) → ``{"status": "Done"}``.

Errors: HTTP status + ``code`` (see ``biometric_sync.errors``).
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import frappe
from frappe.utils import cint, now_datetime

from biometric_sync import settings as bsync_settings
from biometric_sync.api.access import require_command, require_device_of, require_sidecar
from biometric_sync.device_status import failure_status
from biometric_sync.errors import InvalidArgumentError, PayloadTooLargeError, fail
from biometric_sync.ingest import confirm
from biometric_sync.outbox import outbox
from biometric_sync.transactions import retry_on_deadlock
from biometric_sync.users import device_users
from biometric_sync.users import templates as device_templates
from biometric_sync.users.schema import DeviceUserError, parse_removed, parse_users

SECRET_FIELDS = ("comm_key", "password")


def _as_object(value, name: str) -> dict:
	if value is None or value == "":
		return {}
	if isinstance(value, str):
		try:
			value = frappe.parse_json(value)
		except Exception:
			value = None
	if not isinstance(value, dict):
		fail(InvalidArgumentError, "INVALID_ARGUMENT", f"{name} must be a JSON object")
	return value


@frappe.whitelist(methods=["POST"])
def heartbeat(sidecar: str, status: dict | str | None = None) -> dict:
	row = require_sidecar(sidecar)
	report = _as_object(status, "status")
	now = now_datetime()
	values = {"status": "Online", "last_heartbeat": now}
	if isinstance(report.get("version"), str):
		values["version"] = report["version"][:140]
	if isinstance(report.get("spool_depth"), int):
		values["spool_depth"] = max(0, report["spool_depth"])
	frappe.db.set_value("Biometric Sidecar", row.name, values, update_modified=False)

	devices = report.get("devices")
	for entry in devices if isinstance(devices, list) else []:
		if isinstance(entry, dict):
			_device_report(row.name, entry, now)
	frappe.db.commit()
	return {
		"server_time": str(now),
		"queued_commands": frappe.db.count("Biometric Command", {"sidecar": row.name, "status": "Queued"}),
	}


def _reachability(entry: dict, device: str, now) -> dict:
	"""Status from what the sidecar knows now. Online (a read, or an ADMS terminal calling) resolves the last
	error; a coded failure is Offline when the device could not be reached and Error when it answered wrongly
	(``biometric_sync.device_status``), and keeps the error the failed command recorded (more detailed than a
	code); no "online" at all (the sidecar has not read the device since it started) changes nothing."""
	online = entry.get("online")
	if online is True:
		return {"status": "Online", "last_seen": now, "last_error": None}
	if online is not False:
		return {}
	error = entry.get("error")
	if not isinstance(error, str) or not error:
		return {"status": "Offline"}
	values = {"status": failure_status(error)}
	if not frappe.db.get_value("Biometric Device", device, "last_error"):
		values["last_error"] = error[:2000]
	return values


LIVE_STATES = {"up": "Up", "down": "Down", "off": "Off"}


def _live_state(entry: dict, now) -> dict:
	"""The device's live channel as the sidecar reports it (``live``: up | down | off; ``live_since`` an ISO time;
	``live_error`` when down). Absent: unchanged (an older sidecar, or not known yet)."""
	state = LIVE_STATES.get(entry.get("live"))
	if not state:
		return {}
	since = None
	if isinstance(entry.get("live_since"), str):
		try:
			moment = datetime.fromisoformat(entry["live_since"].replace("Z", "+00:00"))
			if moment.tzinfo:
				moment = moment.astimezone(ZoneInfo(bsync_settings.site_time_zone())).replace(tzinfo=None)
			since = moment.replace(microsecond=0)
		except (ValueError, KeyError):
			since = None
	error = entry.get("live_error") if state == "Down" and isinstance(entry.get("live_error"), str) else None
	return {"live_channel": state, "live_since": since or now, "live_error": error[:2000] if error else None}


def _device_report(sidecar: str, entry: dict, now) -> None:
	device = frappe.db.get_value(
		"Biometric Device",
		{"name": entry.get("device"), "sidecar": sidecar},
		["name", "time_zone"],
		as_dict=True,
	)
	if not device:
		return  # not this sidecar's device: ignored, like any unknown key
	values = outbox.device_health(entry)
	values.update(_reachability(entry, device.name, now))
	values.update(_live_state(entry, now))
	read_through = outbox.to_site_time(entry.get("read_through"), device.time_zone)
	current = frappe.db.get_value("Biometric Device", device.name, "read_through")
	if read_through and (not current or read_through > frappe.utils.get_datetime(current)):
		values["read_through"] = read_through
	if values:
		frappe.db.set_value("Biometric Device", device.name, values, update_modified=False)
	if "read_through" in values:
		from biometric_sync.ingest.watermark import update_watermarks

		update_watermarks([device.name])


@frappe.whitelist(methods=["GET", "POST"])
def get_config(sidecar: str) -> dict:
	row = require_sidecar(sidecar)
	settings = bsync_settings.get_settings()
	devices = []
	for name in frappe.get_all(
		"Biometric Device", filters={"sidecar": row.name}, order_by="name asc", pluck="name"
	):
		device = frappe.get_doc("Biometric Device", name)
		entry = {
			"name": device.name,
			"enabled": bool(device.enabled),
			"driver": device.driver,
			"host": device.host,
			"port": cint(device.port) or None,
			"url": device.url,
			"serial_number": device.serial_number,
			"username": device.username,
			"time_zone": device.time_zone or bsync_settings.site_time_zone(),
			"pull_interval_minutes": cint(device.pull_interval),
			"allow_clear_log": bool(device.allow_clear_log),
			"import_since": f"{device.import_since} 00:00:00" if device.import_since else None,
		}
		for field in SECRET_FIELDS:
			entry[field] = device.get_password(field, raise_exception=False) or None
		devices.append(entry)
	return {
		"sidecar": row.name,
		"site_time_zone": bsync_settings.site_time_zone(),
		"direction_rules": bsync_settings.direction_rules(settings).as_contract(),
		"adms_listen_address": frappe.db.get_value("Biometric Sidecar", row.name, "adms_listen_address"),
		"devices": devices,
	}


def _committed(answer: dict) -> dict:
	frappe.db.commit()
	return answer


@frappe.whitelist(methods=["POST"])
def claim_commands(sidecar: str) -> dict:
	row = require_sidecar(sidecar)

	def claim() -> list[dict]:
		commands = outbox.claim(row.name)
		frappe.db.commit()
		return commands

	return {"commands": retry_on_deadlock(claim)}


@frappe.whitelist(methods=["POST"])
def report_progress(command: str, done: int = 0, total: int = 0, message: str | None = None) -> dict:
	require_command(command)
	return retry_on_deadlock(
		lambda: _committed(outbox.report_progress(command, cint(done), cint(total), message))
	)


@frappe.whitelist(methods=["POST"])
def complete_command(command: str, status: str, result: dict | str | None = None) -> dict:
	require_command(command)
	if status not in ("Done", "Failed"):
		fail(InvalidArgumentError, "INVALID_STATUS", 'status must be "Done" or "Failed"')
	report = _as_object(result, "result")
	return retry_on_deadlock(lambda: _committed(outbox.complete(command, status, report)))


MAX_CONFIRM_UIDS = 5000


@frappe.whitelist(methods=["POST"])
def confirm_punches(
	sidecar: str, device: str, punches: list | str | None = None, uids: list | str | None = None
) -> dict:
	row = require_sidecar(sidecar)
	device_row = require_device_of(row.name, device)
	if punches is not None:
		keys = _punch_keys(punches)
		staged = confirm.staged_names(device_row.name, keys)
		return {"missing": [uid for uid, _time in keys if uid not in staged]}
	# A sidecar from before punches were named by time and uid.
	items = frappe.parse_json(uids) if isinstance(uids, str) else uids
	if not isinstance(items, list) or not all(isinstance(uid, str) and uid for uid in items):
		fail(InvalidArgumentError, "INVALID_ARGUMENT", "punches must be a list of {uid, time}")
	_check_confirm_size(items)
	staged = confirm.staged_uids(device_row.name, items)
	return {"missing": [uid for uid in items if uid not in staged]}


def _punch_keys(punches) -> list[tuple[str, datetime]]:
	items = frappe.parse_json(punches) if isinstance(punches, str) else punches
	if not isinstance(items, list):
		fail(InvalidArgumentError, "INVALID_ARGUMENT", "punches must be a list of {uid, time}")
	_check_confirm_size(items)
	keys = []
	for item in items:
		uid = item.get("uid") if isinstance(item, dict) else None
		time = item.get("time") if isinstance(item, dict) else None
		try:
			parsed = datetime.strptime(time, "%Y-%m-%d %H:%M:%S") if isinstance(time, str) else None
		except ValueError:
			parsed = None
		if not isinstance(uid, str) or not uid or parsed is None:
			fail(
				InvalidArgumentError,
				"INVALID_ARGUMENT",
				"each punch must be {uid, time} with time as YYYY-MM-DD HH:MM:SS",
			)
		keys.append((uid, parsed))
	return keys


def _check_confirm_size(items: list) -> None:
	if len(items) > MAX_CONFIRM_UIDS:
		fail(PayloadTooLargeError, "BATCH_TOO_LARGE", f"at most {MAX_CONFIRM_UIDS} punches per call")


@frappe.whitelist(methods=["POST"])
def report_unknown_device(sidecar: str, serial_number: str, remote_address: str | None = None) -> dict:
	row = require_sidecar(sidecar)
	serial = (serial_number or "").strip()
	if not serial or len(serial) > 64 or not serial.isprintable():
		fail(InvalidArgumentError, "INVALID_ARGUMENT", "serial_number must be 1-64 printable characters")
	existing = frappe.db.get_value("Biometric Device", {"serial_number": serial}, "name")
	if existing:
		return {"device": existing, "created": False}
	doc = frappe.get_doc(
		{
			"doctype": "Biometric Device",
			"device_name": serial if not frappe.db.exists("Biometric Device", serial) else f"ADMS {serial}",
			"driver": "adms",
			"serial_number": serial,
			"sidecar": row.name,
			"enabled": 0,
			"status": "Discovered",
			"host": (remote_address or "")[:140] or None,
		}
	)
	doc.insert(ignore_permissions=True)
	# Someone must approve (enable) or delete it: tell them, as every other alert does (once: it is recorded
	# once, and a terminal already on the site is answered above).
	from biometric_sync.outbox.scheduler import alert

	alert(
		"Biometric Device",
		doc.name,
		f"ADMS terminal {serial} wants to connect",
		f"From {doc.host or 'an unknown address'} through sidecar {row.name}: enable it to take its punches, "
		"or delete it.",
	)
	frappe.db.commit()
	return {"device": doc.name, "created": True}


@frappe.whitelist(methods=["POST"])
def report_device_users(
	sidecar: str,
	device: str,
	users: list | str,
	complete: bool | int | str = False,
	removed: list | str | None = None,
) -> dict:
	row = require_sidecar(sidecar)
	device_row = require_device_of(row.name, device)
	try:
		parsed = parse_users(_json(users))
		gone = parse_removed(_json(removed))
	except DeviceUserError as error:
		exc = PayloadTooLargeError if error.code == "BATCH_TOO_LARGE" else InvalidArgumentError
		fail(exc, error.code, error.message)
	whole = complete is True or str(complete).lower() in ("1", "true")
	return retry_on_deadlock(lambda: _committed(device_users.report(device_row.name, parsed, whole, gone)))


@frappe.whitelist(methods=["POST"])
def report_templates(sidecar: str, device: str, templates: list | str) -> dict:
	row = require_sidecar(sidecar)
	device_row = require_device_of(row.name, device)
	if not device_templates.enabled():
		return {"stored": 0, "skipped": "off"}
	try:
		parsed = device_templates.parse_templates(_json(templates))
	except device_templates.TemplateError as error:
		exc = PayloadTooLargeError if error.code == "BATCH_TOO_LARGE" else InvalidArgumentError
		fail(exc, error.code, error.message)
	return retry_on_deadlock(lambda: _committed(device_templates.report(device_row.name, parsed)))


def _json(value):
	"""A list sent as a JSON string (form-encoded calls) → the list; anything unparsable stays as it is, for the
	shape check to refuse."""
	if not isinstance(value, str):
		return value
	try:
		return frappe.parse_json(value)
	except ValueError:
		return value
