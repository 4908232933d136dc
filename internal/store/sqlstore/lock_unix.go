//go:build unix

package sqlstore

import (
	"errors"
	"os"
	"syscall"
)

// lockFile takes an advisory lock on path (made if missing): shared for
// every process that opens the database, exclusive for a restore, which
// so finds out whether anything has the database open. The lock ends
// with the returned file, or with the process.
func lockFile(path string, exclusive bool) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errLocked
		}
		return nil, err
	}
	return f, nil
}
