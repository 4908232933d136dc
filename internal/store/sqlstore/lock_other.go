//go:build !unix

package sqlstore

import "os"

// lockFile makes the lock file but takes no lock: outside Unix a restore
// cannot tell whether a server has the database open.
func lockFile(path string, exclusive bool) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
}
