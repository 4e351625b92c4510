"""The per-minute scheduler job (hooks.py → scheduler_events cron "* * * * *" → ``tick``).

Each step runs on its own; one failing step is logged (Error Log) and does not stop the others:

1. expire stale commands (past ``expires_on``);
2. mark sidecars without a heartbeat for ``sidecar_silence_minutes`` Offline, with an alert, and the devices
   they last reported Online with them;
3. when Biometric Sync Settings is enabled: create ``pull`` commands for enabled pull devices that are due
   (``outbox.due.is_due``), raise alerts for clock drift and device memory, and ask for a ``clear_log`` of
   the devices that allow it once their log memory reaches the alert threshold (``outbox.clearing``), and a
   daily ``users_read`` of every enabled device whose family can manage users (none open, none in the last 20 h;
   ``biometric_sync.users.device_users.due_reads``);
4. prune by retention;
5. enqueue processing if Pending punches are waiting (safety net for the deduplicated job).

Alerts are Notification Logs (the Desk bell, and e-mail per the user's notification settings) for every
enabled Biometric Manager, HR Manager and System Manager and the users the settings list. Each is sent once
when its condition starts (a device's clock drift, log memory or refused credentials; a sidecar going silent),
and again only after the condition was resolved and came back (``Biometric Device.open_alerts``; a sidecar's
Online → Offline transition).
"""

import frappe
from frappe.utils import add_to_date, cint, get_datetime, now_datetime

from biometric_sync import settings as bsync_settings
from biometric_sync.ingest.tasks import enqueue_processing, has_pending
from biometric_sync.outbox import clearing, outbox
from biometric_sync.outbox.due import PULL_DRIVERS, is_due
from biometric_sync.users import device_users

PRUNE_BATCH = 10_000


def tick() -> None:
	settings = bsync_settings.get_settings()
	now = now_datetime()
	steps = [
		lambda: outbox.expire_stale(now),
		lambda: mark_silent_sidecars(now, settings),
	]
	if cint(settings.enabled):
		steps += [
			lambda: create_due_pulls(now),
			lambda: device_alerts(settings),
			lambda: create_due_clears(now, settings),
			lambda: device_users.due_reads(now),
		]
	steps += [lambda: prune(now, settings), _process_if_pending]
	for step in steps:
		try:
			step()
			frappe.db.commit()
		except Exception:
			frappe.db.rollback()
			frappe.log_error(title="biometric_sync: scheduler step failed")


def due_devices(now) -> list[frappe._dict]:
	devices = frappe.get_all(
		"Biometric Device",
		filters={
			"enabled": 1,
			"driver": ("in", PULL_DRIVERS),
			"pull_interval": (">", 0),
			"sidecar": ("is", "set"),
		},
		fields=["name", "sidecar", "pull_interval"],
	)
	if not devices:
		return []
	names = [d.name for d in devices]
	last = dict(
		frappe.db.sql(
			"""select device, max(creation) from `tabBiometric Command`
			where command_type = 'pull' and device in %(names)s group by device""",
			{"names": names},
		)
	)
	open_devices = set(
		frappe.get_all(
			"Biometric Command",
			filters={
				"device": ("in", names),
				"command_type": ("in", outbox.PULL_TYPES),
				"status": ("in", outbox.OPEN),
			},
			pluck="device",
		)
	)
	return [
		d
		for d in devices
		if is_due(
			now,
			get_datetime(last[d.name]) if last.get(d.name) else None,
			d.pull_interval,
			d.name in open_devices,
		)
	]


def create_due_pulls(now) -> list[str]:
	return [outbox.create_command("pull", d.sidecar, d.name, trigger="schedule") for d in due_devices(now)]


def create_due_clears(now, settings) -> list[str]:
	return [
		outbox.create_command("clear_log", d.sidecar, d.name, trigger="schedule")
		for d in clearing.due_clears(now, settings)
	]


def mark_silent_sidecars(now, settings) -> list[str]:
	minutes = cint(settings.sidecar_silence_minutes)
	if minutes <= 0:
		return []
	cutoff = add_to_date(now, minutes=-minutes)
	silent = frappe.get_all(
		"Biometric Sidecar",
		filters={"status": "Online"},
		or_filters=[["last_heartbeat", "<", cutoff], ["last_heartbeat", "is", "not set"]],
		pluck="name",
	)
	for name in silent:
		frappe.db.set_value("Biometric Sidecar", name, "status", "Offline", update_modified=False)
		# Nothing vouches for its devices any more: those it last saw Online are Offline now (last seen and any
		# last error kept); a device in Error keeps its error. Its next read or contact makes it Online again.
		frappe.db.set_value(
			"Biometric Device",
			{"sidecar": name, "status": "Online"},
			"status",
			"Offline",
			update_modified=False,
		)
		alert("Biometric Sidecar", name, f"Sidecar {name} is silent", f"No heartbeat for {minutes} minutes.")
	return silent


AUTH_FAILURE_CODES = ("DEVICE_AUTH_FAILED",)


def device_conditions(
	device, drift_limit: int, memory_limit: int, offline_minutes: int = 0, now=None
) -> dict[str, tuple[str, str]]:
	"""The alert conditions a device is in now: key → (subject, message)."""
	found = {}
	if offline_minutes > 0 and device.get("status") == "Offline" and now is not None:
		since = device.get("last_seen") or device.get("creation")
		if since and get_datetime(since) <= add_to_date(now, minutes=-offline_minutes):
			found["unreachable"] = (
				f"{device.name} cannot be reached",
				f"Not reached for more than {offline_minutes} minutes"
				+ (f": {str(device.last_error)[:900]}" if device.get("last_error") else "."),
			)
	drift = cint(device.clock_drift_seconds)
	if drift_limit > 0 and abs(drift) > drift_limit:
		found["clock"] = (
			f"Clock of {device.name} is off",
			f"The device clock is {drift:+d} seconds off (alert above {drift_limit}).",
		)
	memory = float(device.memory_used_percent or 0)
	if memory_limit > 0 and memory >= memory_limit:
		found["memory"] = (
			f"Log memory of {device.name} is nearly full",
			f"{memory:.0f}% of the device's log memory is used (alert at {memory_limit}%).",
		)
	error = str(device.last_error or "")
	if any(error.startswith(code) for code in AUTH_FAILURE_CODES):
		found["auth"] = (f"{device.name} refused the credentials", error[:1000])
	return found


def device_alerts(settings) -> list[tuple[str, str]]:
	"""Alerts for conditions that started since the last tick; resolved ones are forgotten, so they alert again
	when they come back."""
	raised = []
	drift_limit = cint(settings.clock_drift_alert_seconds)
	memory_limit = cint(settings.memory_alert_percent)
	offline_minutes = cint(settings.device_offline_alert_minutes)
	now = now_datetime()
	# Plain SQL: frappe.get_all drops any field whose name contains "_seen" (it takes last_seen for its own _seen).
	for device in frappe.db.sql(
		"""select name, status, last_seen, creation, clock_drift_seconds, memory_used_percent, last_error,
			open_alerts
		from `tabBiometric Device` where enabled = 1""",
		as_dict=True,
	):
		now_in = device_conditions(device, drift_limit, memory_limit, offline_minutes, now)
		was_in = set(filter(None, (device.open_alerts or "").split(",")))
		for key in sorted(set(now_in) - was_in):
			if alert("Biometric Device", device.name, *now_in[key]):
				raised.append((device.name, key))
		if set(now_in) != was_in:
			frappe.db.set_value(
				"Biometric Device",
				device.name,
				"open_alerts",
				",".join(sorted(now_in)),
				update_modified=False,
			)
	return raised


def alert(doctype: str, name: str, subject: str, message: str) -> bool:
	"""A Notification Log for each alert recipient. True if anyone was told."""
	users = alert_recipients()
	for user in users:
		frappe.get_doc(
			{
				"doctype": "Notification Log",
				"for_user": user,
				"type": "Alert",
				"document_type": doctype,
				"document_name": name,
				"subject": subject,
				"email_content": message,
			}
		).insert(ignore_permissions=True)
	return bool(users)


# Who hears every alert: those who run the terminals and those who answer for attendance and the site.
ALERT_ROLES = ("Biometric Manager", "HR Manager", "System Manager")


def alert_recipients() -> list[str]:
	"""Enabled users holding an alert role (Administrator among them: every role is implied for it, none is
	stored), plus the users named in the settings, each once."""
	users = set(
		frappe.get_all(
			"Has Role", filters={"role": ("in", ALERT_ROLES), "parenttype": "User"}, pluck="parent"
		)
	)
	users.add("Administrator")
	users.update(bsync_settings.alert_users(bsync_settings.get_settings().alert_users))
	return sorted(
		frappe.get_all(
			"User",
			filters={"name": ("in", list(users)), "enabled": 1, "user_type": "System User"},
			pluck="name",
		)
	)


def prune(now, settings) -> dict:
	pruned = {"logs": 0, "commands": 0, "punches": 0}
	log_days = cint(settings.log_retention_days)
	if log_days > 0:
		cutoff = add_to_date(now, days=-log_days)
		logs = frappe.get_all(
			"Biometric Sync Log",
			filters={"creation": ("<", cutoff)},
			pluck="name",
			limit=PRUNE_BATCH,
			order_by="creation asc",
		)
		if logs:
			for doctype in ("Biometric Punch", "Biometric Command"):
				table = frappe.qb.DocType(doctype)
				frappe.qb.update(table).set(table.sync_log, None).where(table.sync_log.isin(logs)).run()
			frappe.db.delete("Biometric Sync Log", {"name": ("in", logs)})
		commands = frappe.get_all(
			"Biometric Command",
			filters={"creation": ("<", cutoff), "status": ("in", outbox.FINISHED)},
			pluck="name",
			limit=PRUNE_BATCH,
			order_by="creation asc",
		)
		if commands:
			table = frappe.qb.DocType("Biometric Sync Log")
			frappe.qb.update(table).set(table.command, None).where(table.command.isin(commands)).run()
			frappe.db.delete("Biometric Command", {"name": ("in", commands)})
		pruned.update(logs=len(logs), commands=len(commands))
	punch_days = cint(settings.punch_retention_days)
	if punch_days > 0:
		cutoff = add_to_date(now, days=-punch_days)
		punches = frappe.get_all(
			"Biometric Punch",
			filters={"creation": ("<", cutoff), "status": ("in", ("Processed", "Duplicate", "Skipped"))},
			pluck="name",
			limit=PRUNE_BATCH,
			order_by="creation asc",  # oldest first, through the creation index
		)
		if punches:
			frappe.db.delete("Biometric Punch", {"name": ("in", punches)})
		pruned["punches"] = len(punches)
	return pruned


def _process_if_pending() -> None:
	if has_pending():
		enqueue_processing()
