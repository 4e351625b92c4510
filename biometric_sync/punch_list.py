"""The HR page's punch list: a search (employee, device user id, device, day, status) → a page of punches, newest
first, through the index that serves the search.

Why not Frappe's get_list: for one device MariaDB picked the ``site_time`` index, reading punches newest first
until it had fifty of that device's. That is quick while the device punches every day, but a device whose
punches are older than everything else (a terminal away for months, a closed branch) made it read all the newer
punches of the other devices: 17.8 s on the history benchmark's site (600,000 newer punches of another device).
With the (device, site_time) index it reads that device's fifty newest.
"""

from frappe.utils import cint

FIELDS = (
	"name",
	"device",
	"device_user_id",
	"punch_time",
	"site_time",
	"direction",
	"status",
	"employee",
	"employee_name",
	"employee_checkin",
	"reason",
	"sync_log",
)
MAX_PAGE = 500


def query(
	employee: str | None = None,
	user_id: str | None = None,
	device: str | None = None,
	date: str | None = None,
	status: str | None = None,
	start: int = 0,
	page_length: int = 50,
) -> tuple[str, dict]:
	"""The SQL and its values for one page of the search (empty arguments do not filter)."""
	conditions, values = [], {}
	if employee and employee.strip():
		conditions.append("(`employee` like %(employee)s or `employee_name` like %(employee)s)")
		values["employee"] = f"%{employee.strip()}%"
	if user_id is not None and user_id != "":
		conditions.append("`device_user_id` = %(user_id)s")
		values["user_id"] = user_id
	if device:
		conditions.append("`device` = %(device)s")
		values["device"] = device
	if status:
		conditions.append("`status` = %(status)s")
		values["status"] = status
	if date and date.strip():
		conditions.append("`site_time` between %(day_start)s and %(day_end)s")
		values.update(day_start=f"{date.strip()} 00:00:00", day_end=f"{date.strip()} 23:59:59.999999")
	hint = ""
	if device and not values.get("user_id"):
		hint = (
			"force index (bsync_device_status_site_time)"
			if status
			else "force index (bsync_device_site_time)"
		)
	where = f"where {' and '.join(conditions)}" if conditions else ""
	values.update(start=max(0, cint(start)), length=min(MAX_PAGE, max(1, cint(page_length) or 50)))
	sql = (
		f"select {', '.join(f'`{f}`' for f in FIELDS)} from `tabBiometric Punch` {hint} {where} "
		"order by `site_time` desc, `name` desc limit %(start)s, %(length)s"
	)
	return sql, values
