# Copyright (c) 2026, biometric_sync contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from biometric_sync.api.access import SIDECAR_ROLE


class BiometricSidecar(Document):
	def validate(self):
		if self.api_user and SIDECAR_ROLE not in frappe.get_roles(self.api_user):
			frappe.msgprint(
				_("{0} does not have the role {1}: the sidecar's calls will be refused.").format(
					self.api_user, SIDECAR_ROLE
				),
				indicator="orange",
				alert=True,
			)
