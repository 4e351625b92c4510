# Copyright (c) 2026, biometric_sync contributors
# For license information, please see license.txt

from frappe.model.document import Document
from frappe.utils import get_datetime

from biometric_sync.ingest.uid import staging_name


class BiometricPunch(Document):
	"""One punch as received from a sidecar; written only by biometric_sync.ingest (staging, processor)."""

	def autoname(self):
		# The name staging gives it (staging inserts rows directly; this covers a document inserted otherwise).
		self.name = staging_name(self.punch_uid, get_datetime(self.punch_time))
