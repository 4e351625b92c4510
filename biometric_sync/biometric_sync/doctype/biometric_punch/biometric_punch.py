# Copyright (c) 2026, biometric_sync contributors
# For license information, please see license.txt

from frappe.model.document import Document


class BiometricPunch(Document):
	"""One punch as received from a sidecar; written only by biometric_sync.ingest (staging, processor)."""
