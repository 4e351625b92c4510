# Copyright (c) 2026, biometric_sync contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import cint, get_system_timezone

from biometric_sync.device_fields import DRIVER_LABELS, missing_fields
from biometric_sync.ingest.timezones import is_valid_time_zone
from biometric_sync.outbox.clearing import can_clear
from biometric_sync.users.device_users import can_manage_users

# Changing these means the sidecar must re-read its config.
CONFIG_FIELDS = (
	"enabled",
	"driver",
	"sidecar",
	"time_zone",
	"pull_interval",
	"allow_clear_log",
	"host",
	"port",
	"url",
	"serial_number",
	"comm_key",
	"username",
	"password",
	"import_since",
)


# Password fields among them: saved, Frappe masks them as one "*" per character, so a new value of the same
# length ("1111" → "4242") looks unchanged in on_update. A value that is not a mask was typed just now.
SECRET_FIELDS = ("comm_key", "password")


class BiometricDevice(Document):
	def validate(self):
		self.flags.new_secret = any(
			self.get(field) and not self.is_dummy_password(self.get(field)) for field in SECRET_FIELDS
		)
		if not self.time_zone:
			self.time_zone = get_system_timezone()
		if not is_valid_time_zone(self.time_zone):
			frappe.throw(_("{0} is not an IANA time zone (e.g. Asia/Kolkata)").format(self.time_zone))
		if self.port and not 0 < cint(self.port) < 65536:
			frappe.throw(_("Port must be between 1 and 65535"))
		if cint(self.pull_interval) < 0:
			frappe.throw(_("Pull Interval cannot be negative"))
		self.validate_driver_fields()
		if cint(self.allow_clear_log) and not can_clear(self.driver):
			# A setting that would do nothing is not offered: only ZK logs can be cleared safely from here.
			self.allow_clear_log = 0
		if not can_manage_users(self.driver):
			self.enroll_employees = "No"  # eSSL: the sidecar cannot change its users

	def validate_driver_fields(self):
		"""An enabled device has what its driver needs (a Discovered terminal is not set up yet)."""
		if not self.enabled or self.status == "Discovered":
			return
		missing = missing_fields(self.driver, self.as_dict())
		if missing:
			labels = ", ".join(_(self.meta.get_label(field)) for field in missing)
			frappe.throw(
				_("A {0} device needs {1}").format(DRIVER_LABELS.get(self.driver, self.driver), labels),
				title=_("Missing Connection Details"),
			)

	def on_update(self):
		before = self.get_doc_before_save()
		changed = self.flags.new_secret or any(self.has_value_changed(field) for field in CONFIG_FIELDS)
		if before and not changed:
			return
		from biometric_sync.outbox.outbox import create_command, has_open_reload

		sidecars = {self.sidecar, before.sidecar if before else None} - {None, ""}
		for sidecar in sorted(sidecars):
			if not has_open_reload(sidecar):
				create_command("reload_config", sidecar, None)
