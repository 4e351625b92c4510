"""A device's status after a failure (pure: no frappe import).

Offline means the sidecar could not reach the device (no answer, refused, closed, an ADMS terminal that stopped
calling): what is true now is "unplugged, off, or off the network". Error means the device answered and something
was wrong (credentials, protocol, configuration). Either way the coded error stays in Last Error until a read
succeeds, so HR sees why.
"""

UNREACHABLE_CODES = (
	"DEVICE_UNREACHABLE",
	"DEVICE_REFUSED",
	"DEVICE_TIMEOUT",
	"DEVICE_CLOSED",
	"ADMS_DEVICE_OFFLINE",
)


def error_code(error: str | None) -> str:
	"""The code a sidecar error starts with ("DEVICE_TIMEOUT: no answer in 10 s" → "DEVICE_TIMEOUT")."""
	return (error or "").split(":", 1)[0].strip()


def failure_status(code_or_error: str | None) -> str:
	return "Offline" if error_code(code_or_error) in UNREACHABLE_CODES else "Error"
