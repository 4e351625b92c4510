"""Whitelisted methods behind the Desk buttons (Biometric Manager or System Manager).

- ``sync_now(device, from_time=None, to_time=None)``: a ``pull`` command, or ``pull_range`` when a range is
  given. ``from_time``/``to_time`` are SITE-local ("YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS"); the payload the
  sidecar gets is device-local: ``{"from": "...", "to": "..."}`` (a date alone means the whole day).
- ``test_connection(device)``: a ``test_connection`` command.
- ``clear_log(device)``: a ``clear_log`` command (ZK terminals whose Allow Clear Log is on; see
  ``biometric_sync.outbox.clearing``); an open one is returned instead of a second.
- ``read_users(device)``: a ``users_read`` command (the sidecar reports the terminal's users through
  ``report_device_users``); an open one is returned instead of a second. A manual Sync Now also asks for one, at
  most once an hour, once its pull is done, on terminals that can manage users (``outbox.complete``).
- ``enrolment_preview(device)`` / ``enrol_now(device)``: what enrolment would change on the terminal, and the
  commands that do it (``biometric_sync.users.enrollment``).
- ``employee_enrolment(employee)``: the Employee form's Device Enrolment: per device, the last user command.
- Commands are refused (``DEVICE_DISABLED``) for a disabled device: its sidecar does not serve it.
- ``command_status(command)``: what the progress dialog shows.
- ``reprocess_punches(names)``: the bulk "Reprocess" action of the punch list (Unmapped, Error and Skipped
  punches go back to Pending).
"""

import frappe
from frappe.utils import get_datetime

from biometric_sync import settings as bsync_settings
from biometric_sync.api.access import require_manager, require_name
from biometric_sync.errors import InvalidArgumentError, NotFoundError, NotPermittedError, fail
from biometric_sync.ingest.replay import requeue
from biometric_sync.ingest.timezones import NAIVE_FORMAT, convert_wall_time, is_valid_time_zone
from biometric_sync.outbox import clearing, outbox
from biometric_sync.transactions import retry_on_deadlock
from biometric_sync.users import device_users, enrollment

REPROCESSABLE = ("Unmapped", "Error", "Skipped")


def _device(device) -> frappe._dict:
	require_manager()
	require_name(device, "device")
	row = frappe.db.get_value(
		"Biometric Device", device, ["name", "sidecar", "time_zone", "driver", "enabled"], as_dict=True
	)
	if not row:
		fail(NotFoundError, "UNKNOWN_DEVICE", f"Biometric Device {device} does not exist")
	return row


def _enabled_device(device) -> frappe._dict:
	"""A device commands can be sent to. The sidecar serves only enabled devices: a command for a disabled one
	would only fail there (or, for user commands, wait for it for days)."""
	row = _device(device)
	if not row.enabled:
		fail(
			InvalidArgumentError,
			"DEVICE_DISABLED",
			f"Biometric Device {row.name} is disabled: enable it before sending it commands",
		)
	return row


def _bound(value, device_zone: str | None, end: bool):
	if not value:
		return None
	text = str(value).strip()
	try:
		moment = get_datetime(f"{text} {'23:59:59' if end else '00:00:00'}" if len(text) == 10 else text)
	except Exception:
		moment = None
	if moment is None:
		fail(InvalidArgumentError, "INVALID_ARGUMENT", f"{text} is not a date or date and time")
	site_zone = bsync_settings.site_time_zone()
	zone = device_zone if is_valid_time_zone(device_zone) else site_zone
	return convert_wall_time(moment.replace(tzinfo=None, microsecond=0), site_zone, zone)


@frappe.whitelist(methods=["POST"])
def sync_now(device: str, from_time: str | None = None, to_time: str | None = None) -> dict:
	row = _enabled_device(device)
	start, end = _bound(from_time, row.time_zone, False), _bound(to_time, row.time_zone, True)
	if start and end and start > end:
		fail(InvalidArgumentError, "INVALID_ARGUMENT", "From is after To")
	if start or end:
		payload = {
			"from": start.strftime(NAIVE_FORMAT) if start else None,
			"to": end.strftime(NAIVE_FORMAT) if end else None,
		}
		name = _create("pull_range", row, payload)
	else:
		name = _create("pull", row)
	return {"command": name}


def _committed(value):
	frappe.db.commit()
	return value


@frappe.whitelist(methods=["POST"])
def read_users(device: str) -> dict:
	row = _enabled_device(device)
	if not device_users.can_manage_users(row.driver):
		fail(
			InvalidArgumentError,
			"ENROLMENT_NOT_SUPPORTED",
			f"the users of a {row.driver} terminal cannot be read from here",
		)
	if not row.sidecar:
		fail(InvalidArgumentError, "INVALID_ARGUMENT", f"{row.name} has no sidecar")
	return {"command": retry_on_deadlock(lambda: _committed(device_users.create_read(row)))}


@frappe.whitelist()
def enrolment_preview(device: str) -> dict:
	row = _device(device)
	return enrollment.preview(row.name)


@frappe.whitelist(methods=["POST"])
def enrol_now(device: str) -> dict:
	row = _enabled_device(device)
	return retry_on_deadlock(lambda: _committed(enrollment.enrol_now(row.name)))


@frappe.whitelist()
def employee_enrolment(employee: str) -> dict:
	require_name(employee, "employee")
	if not frappe.has_permission("Employee", "read", doc=employee):
		fail(NotPermittedError, "NOT_PERMITTED", f"You may not read Employee {employee}")
	return enrollment.status_of(employee)


@frappe.whitelist(methods=["POST"])
def test_connection(device: str) -> dict:
	row = _enabled_device(device)
	return {"command": _create("test_connection", row)}


@frappe.whitelist(methods=["POST"])
def clear_log(device: str) -> dict:
	_enabled_device(device)
	row = frappe.db.get_value(
		"Biometric Device", device, ["name", "driver", "sidecar", "allow_clear_log"], as_dict=True
	)
	reason = clearing.why_not(row)
	if reason:
		fail(InvalidArgumentError, "CLEAR_NOT_ALLOWED", reason)
	open_clear = frappe.db.get_value(
		"Biometric Command",
		{"device": row.name, "command_type": "clear_log", "status": ("in", outbox.OPEN)},
		"name",
	)
	return {"command": open_clear or _create("clear_log", row)}


def _create(command_type: str, row, payload: dict | None = None) -> str:
	"""Queues the command and commits, so the person pressing the button never sees a deadlock (retried)."""

	def create() -> str:
		name = outbox.create_command(command_type, row.sidecar, row.name, payload)
		frappe.db.commit()
		return name

	return retry_on_deadlock(create)


@frappe.whitelist()
def command_status(command: str) -> dict:
	require_manager()
	require_name(command, "command")
	row = frappe.db.get_value(
		"Biometric Command",
		command,
		[
			"name",
			"command_type",
			"device",
			"status",
			"progress_done",
			"progress_total",
			"progress_message",
			"result",
			"error",
			"sync_log",
		],
		as_dict=True,
	)
	if not row:
		fail(NotFoundError, "UNKNOWN_COMMAND", f"Biometric Command {command} does not exist")
	row.result = frappe.parse_json(row.result) if row.result else None
	if row.sync_log:
		row.sync_log_counts = frappe.db.get_value(
			"Biometric Sync Log",
			row.sync_log,
			["status", "read_count", "new_count", "duplicate_count", "unmapped_count", "error_count"],
			as_dict=True,
		)
	return row


@frappe.whitelist(methods=["POST"])
def reprocess_punches(names: list | str) -> dict:
	require_manager()
	names = frappe.parse_json(names) if isinstance(names, str) else names
	if not isinstance(names, list):
		fail(InvalidArgumentError, "INVALID_ARGUMENT", "names must be a list")
	eligible = frappe.get_all(
		"Biometric Punch",
		filters={"name": ("in", names or [""]), "status": ("in", REPROCESSABLE)},
		pluck="name",
	)
	if eligible:
		requeue(eligible, f"Reprocess requested by {frappe.session.user}")
	return {"requeued": len(eligible), "ignored": len(names) - len(eligible)}
