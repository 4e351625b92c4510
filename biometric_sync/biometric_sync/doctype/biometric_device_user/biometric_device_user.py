# Copyright (c) 2026, biometric_sync contributors
# For license information, please see license.txt

from frappe.model.document import Document

from biometric_sync.users.schema import row_name


class BiometricDeviceUser(Document):
	"""A user as one terminal holds it; written only by biometric_sync.users.device_users (the sidecar's
	report_device_users). Named by a hash of device|device_user_id, so the primary key keeps one row per pair."""

	def autoname(self):
		self.name = row_name(self.device, self.device_user_id)
