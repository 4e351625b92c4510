"""Which Biometric Device fields each driver needs (pure: no frappe import). The sidecar builds a device's
driver from exactly these (sidecar/src/drivers/registry.ts); a device missing one cannot be read, so the
form requires them and says which."""

from collections.abc import Mapping

DRIVER_LABELS = {"zk": "ZKTeco", "adms": "ADMS (push)", "hikvision": "Hikvision", "essl": "eSSL"}
REQUIRED = {
	"zk": ("host",),
	"adms": ("serial_number",),
	"hikvision": ("host", "username", "password"),
	"essl": ("url", "username", "password"),
}


def missing_fields(driver: str | None, values: Mapping) -> list[str]:
	"""The fields ``driver`` needs that ``values`` leaves empty, in form order."""
	needed = list(REQUIRED.get(driver or "", ()))
	# eTimeTrackLite filters by the device's serial number; eBioServer (webservice.asmx) by location, optional.
	if driver == "essl" and "webservice.asmx" not in str(values.get("url") or "").lower():
		needed.append("serial_number")
	return [field for field in needed if not str(values.get(field) or "").strip()]
