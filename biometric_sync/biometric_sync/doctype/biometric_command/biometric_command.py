# Copyright (c) 2026, biometric_sync contributors
# For license information, please see license.txt

from frappe.model.document import Document


class BiometricCommand(Document):
	"""One command for a sidecar (the outbox); written only by biometric_sync.outbox.outbox."""
