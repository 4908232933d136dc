package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// errLocked is what lockFile returns when another process holds the lock.
var errLocked = errors.New("locked")

// ErrInUse means a restore found the database open: a server, or another
// ims command, is using it.
var ErrInUse = errors.New("the database is in use")

// ErrNotSQLite means a backup or restore was asked of PostgreSQL, which has
// tools of its own.
var ErrNotSQLite = errors.New("ims backup and ims restore copy SQLite databases; back up PostgreSQL with pg_dump " +
	"(or continuous WAL archiving for point-in-time recovery) and restore with pg_restore: see docs/OPERATIONS.md")

// lockPath is the file every process opening the database holds a shared
// lock on.
func lockPath(dbPath string) string { return dbPath + ".lock" }

// Backup writes a consistent copy of a SQLite database to dest while the
// database stays in use: VACUUM INTO reads one snapshot (a read
// transaction, which in WAL mode holds up no writer) into a new, compact
// file. The copy is written beside dest and renamed into place once
// synced, so dest is never a half-written file. dest must not exist.
func (db *DB) Backup(ctx context.Context, dest string) error {
	if db.d != dialectSQLite {
		return ErrNotSQLite
	}
	if _, err := os.Stat(dest); err == nil {
		return fmt.Errorf("%s exists: name a new file", dest)
	}
	tmp := dest + ".partial"
	os.Remove(tmp)
	// On the writer connection (the readers are query_only), though it
	// writes nothing to the database: in this process alone it waits for
	// this process's own writes.
	if _, err := db.write.ExecContext(ctx, `VACUUM INTO ?`, tmp); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("copy the database: %w", err)
	}
	if err := syncFile(tmp); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, dest); err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(filepath.Dir(dest))
}

// Restore puts the SQLite database backup in place of the one databaseURL
// names. It is refused with ErrInUse while any process has that database
// open (every opener holds a shared lock on PATH.lock), and refused if the
// backup is damaged or a newer ims made it. The database it replaces,
// with its write-ahead log, is kept as PATH.before-restore (returned as
// aside; empty when there was none).
func Restore(ctx context.Context, databaseURL, backup string) (aside string, err error) {
	path, ok := strings.CutPrefix(databaseURL, "sqlite:")
	if !ok {
		return "", ErrNotSQLite
	}
	lock, err := lockFile(lockPath(path), true)
	if errors.Is(err, errLocked) {
		return "", fmt.Errorf("%w: %s is open in a running ims (a server or another command); stop it first", ErrInUse, path)
	}
	if err != nil {
		return "", err
	}
	defer lock.Close()
	tmp := path + ".restoring"
	defer removeDatabaseFiles(tmp)
	if err := copyFile(backup, tmp); err != nil {
		return "", err
	}
	if err := checkRestorable(ctx, tmp); err != nil {
		return "", fmt.Errorf("the backup %s cannot be restored: %w", backup, err)
	}
	if aside, err = moveAside(path); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, path); err != nil {
		return aside, err
	}
	return aside, syncDir(filepath.Dir(path))
}

// checkRestorable opens a copy of a backup as ims would: it must pass
// SQLite's integrity check and hold no migration this ims does not know.
func checkRestorable(ctx context.Context, path string) error {
	db, err := openSQLite(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	var result string
	if err := db.read.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&result); err != nil {
		return err
	}
	if result != "ok" {
		return fmt.Errorf("integrity check: %s", result)
	}
	_, err = db.Pending(ctx)
	return err
}

// moveAside renames the database and its write-ahead log files to
// PATH.before-restore, the names SQLite gives that database's own log, so
// the old database opens as it was.
func moveAside(path string) (string, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	aside := path + ".before-restore"
	removeDatabaseFiles(aside)
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Rename(path+suffix, aside+suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
	}
	return aside, nil
}

// removeDatabaseFiles removes a database and its companion files.
func removeDatabaseFiles(path string) {
	for _, suffix := range []string{"", "-wal", "-shm", "-journal", ".lock"} {
		os.Remove(path + suffix)
	}
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}
