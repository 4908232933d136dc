package server

import "time"

// SetHeaderTimeout shortens the time clients have to send their headers,
// for a test of slow clients that runs in seconds; the returned func
// restores it.
func SetHeaderTimeout(d time.Duration) (restore func()) {
	old := headerTimeout
	headerTimeout = d
	return func() { headerTimeout = old }
}
