# Copyright (c) 2026, biometric_sync contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import today

from biometric_sync.ingest.direction import DirectionRulesError, parse_rules
from biometric_sync.settings import DAILY_ATTENDANCE, alert_users


class BiometricSyncSettings(Document):
	def validate(self):
		try:
			parse_rules(self.in_states, self.out_states)
		except DirectionRulesError as error:
			frappe.throw(str(error), title=_("Punch Direction"))
		self.employee_lookup_field = (self.employee_lookup_field or "").strip()
		if self.employee_lookup_field != "name" and not frappe.get_meta("Employee").has_field(
			self.employee_lookup_field
		):
			frappe.throw(_("Employee has no field {0}").format(frappe.bold(self.employee_lookup_field)))
		unknown = [user for user in alert_users(self.alert_users) if not frappe.db.exists("User", user)]
		if unknown:
			frappe.throw(_("No such user: {0}").format(", ".join(unknown)), title=_("Also Alert These Users"))
		if self.attendance_mode == DAILY_ATTENDANCE and not self.attendance_start_date:
			# Switching the mode on must not mark years of history: it starts today unless told otherwise.
			self.attendance_start_date = today()
		if self.has_value_changed("attendance_start_date") and self.get_doc_before_save():
			# Days from the new start on are looked at again (each employee's decided days stay decided).
			self.attendance_marked_through = None

	def on_update(self):
		# A different lookup field can map punches that were Unmapped: try them all again.
		if self.has_value_changed("employee_lookup_field") and self.get_doc_before_save():
			from biometric_sync.ingest.replay import requeue_unmapped

			requeue_unmapped(None, reason=f"Replayed: lookup field is now {self.employee_lookup_field}")
