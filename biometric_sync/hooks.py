app_name = "biometric_sync"
app_title = "Biometric Sync"
app_publisher = "biometric_sync contributors"
app_description = (
	"Biometric attendance terminals (ZKTeco, ADMS, Hikvision, eSSL) to ERPNext Employee Checkin, exactly once"
)
app_email = "dev@biometric-sync.invalid"
app_license = "mit"

# Employee Checkin lives in HRMS (which requires ERPNext). "org/repo" form, as HRMS writes "frappe/erpnext":
# frappe v15's installer resolves a bare "hrms" by asking api.github.com for the org, which fails offline.
required_apps = ["frappe/hrms"]

# The HR page (frontend/, built into public/frontend and www/biometric.html): deep links such as
# /biometric/devices/Main%20Gate are served by www/biometric.html, whose Vue router shows the right page.
website_route_rules = [{"from_route": "/biometric/<path:app_path>", "to_route": "biometric"}]

# Installation
# ------------
# Roles "Biometric Manager" and "Biometric Sidecar" and the default Biometric Sync Settings (idempotent).
after_install = "biometric_sync.install.after_install"
after_migrate = "biometric_sync.install.after_migrate"
before_uninstall = "biometric_sync.install.before_uninstall"

# Testing
# -------
# `bench run-tests --app biometric_sync` runs only this app's before_tests: make sure a Company exists.
before_tests = "biometric_sync.install.before_tests"

# Document Events
# ---------------
# Setting or changing an Employee's lookup field (attendance_device_id by default) replays that device user
# id's Unmapped punches.
# The same change moves the Employee link of its Biometric Device Users, and (issue 13) a new Employee, a new or
# changed id, a new name or a leaver queues user_set / user_delete for the terminals that enrol employees
# (on_update also runs on insert).
doc_events = {
	"Employee": {
		"on_update": [
			"biometric_sync.ingest.replay.on_employee_update",
			"biometric_sync.users.device_users.on_employee_update",
			"biometric_sync.users.enrollment.on_employee_update",
		],
		# Fingerprint / face templates (biometric data) go with the Employee.
		"on_trash": "biometric_sync.users.templates.on_employee_trash",
	},
	# ... and with the device user, and the device.
	"Biometric Device User": {"on_trash": "biometric_sync.users.templates.on_device_user_trash"},
	"Biometric Device": {"on_trash": "biometric_sync.users.templates.on_device_trash"},
}

# The Employee form's Device Enrolment (per terminal: the last user command and its result).
doctype_js = {"Employee": "public/js/employee_enrolment.js"}

# Scheduled Tasks
# ---------------
# Every minute: due pulls, command expiry, silent sidecars, alerts, retention, pending-punch safety net.
# Every 15 minutes: Daily Attendance from punches (does nothing unless that Attendance Mode is chosen).
scheduler_events = {
	"cron": {
		"* * * * *": ["biometric_sync.outbox.scheduler.tick"],
		"*/15 * * * *": ["biometric_sync.attendance.tasks.mark_due_days"],
	},
	# Employees whose relieving date came: off the terminals that enrol employees.
	"daily": ["biometric_sync.users.enrollment.check_relieving_dates"],
}
