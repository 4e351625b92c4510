app_name = "biometric_sync"
app_title = "Biometric Sync"
app_publisher = "biometric_sync contributors"
app_description = (
	"Biometric attendance terminals (ZKTeco, ADMS, Hikvision, eSSL) to ERPNext Employee Checkin, exactly once"
)
app_email = "dev@biometric-sync.invalid"
app_license = "mit"

# Employee Checkin lives in HRMS (which requires ERPNext).
required_apps = ["hrms"]
