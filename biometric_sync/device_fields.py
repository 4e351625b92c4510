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


# What each family's sidecar driver measures (a read's or Test Connection's clock_drift_seconds and
# memory_used_percent). The others never report them: their columns hold Frappe's default 0, which is not a
# measurement ("in sync", "0%"), so the page shows nothing instead.
MEASURES_CLOCK = frozenset({"zk", "hikvision"})
MEASURES_MEMORY = frozenset({"zk", "adms"})


def missing_fields(driver: str | None, values: Mapping) -> list[str]:
	"""The fields ``driver`` needs that ``values`` leaves empty, in form order."""
	needed = list(REQUIRED.get(driver or "", ()))
	# eTimeTrackLite filters by the device's serial number; eBioServer (webservice.asmx) by location, optional.
	if driver == "essl" and "webservice.asmx" not in str(values.get("url") or "").lower():
		needed.append("serial_number")
	return [field for field in needed if not str(values.get(field) or "").strip()]
