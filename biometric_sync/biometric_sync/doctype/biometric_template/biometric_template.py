# Copyright (c) 2026, biometric_sync contributors
# For license information, please see license.txt

import frappe
from frappe.model.document import Document


class BiometricTemplate(Document):
	"""A fingerprint or face template one terminal holds for one device user (biometric data). Written only by
	biometric_sync.users.templates; named by a hash of device|user id|kind|index. No role has permissions."""

	def autoname(self):
		from biometric_sync.users.templates import template_name

		self.name = template_name(self.device, self.device_user_id, self.kind, self.template_index)

	def get_password(self, fieldname="password", raise_exception=True):
		"""Refused: ``frappe.client.get_password`` lets any System Manager read any Password field over REST
		(it checks no document permission). The app reads templates with ``get_decrypted_password`` itself."""
		frappe.throw("Templates are not readable", frappe.PermissionError)

	def on_trash(self):
		frappe.db.delete("__Auth", {"doctype": self.doctype, "name": self.name})
