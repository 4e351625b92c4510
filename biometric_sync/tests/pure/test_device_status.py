from biometric_sync.device_status import error_code, failure_status


def test_a_device_that_cannot_be_reached_is_offline():
	for error in ("DEVICE_TIMEOUT: no answer in 10 s", "DEVICE_REFUSED", "ADMS_DEVICE_OFFLINE: not called"):
		assert failure_status(error) == "Offline"


def test_a_device_that_answered_wrongly_is_in_error():
	for error in (
		"DEVICE_AUTH_FAILED: comm key rejected",
		"ZK_COUNT_MISMATCH: 3 of 4",
		"connection refused",
		"",
		None,
	):
		assert failure_status(error) == "Error"


def test_the_code_is_the_part_before_the_colon():
	assert error_code("DEVICE_CLOSED: reset by peer") == "DEVICE_CLOSED"
	assert error_code(None) == ""
