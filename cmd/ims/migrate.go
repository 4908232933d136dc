package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"imslogin/internal/store/sqlstore"
)

// checkMigrations prints the migrations ims migrate would apply, and fails
// unless there are none. It changes nothing: it does not even create a
// SQLite database that is missing.
func checkMigrations(cmd *cobra.Command, databaseURL string) error {
	if path, ok := strings.CutPrefix(databaseURL, "sqlite:"); ok && path != "" {
		if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("no SQLite database at %s: ims migrate creates it", path)
		}
	}
	db, err := sqlstore.Open(cmd.Context(), databaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	pending, err := db.Pending(cmd.Context())
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if len(pending) == 0 {
		v, err := db.LatestVersion()
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "The %s database's schema is current (version %d).\n", db.Dialect(), v)
		return nil
	}
	for _, m := range pending {
		fmt.Fprintf(out, "pending %s (version %d)\n", m.Name, m.Version)
	}
	are := "migrations are"
	if len(pending) == 1 {
		are = "migration is"
	}
	return fmt.Errorf("the %s database's schema is not current: %d %s pending; ims migrate applies them",
		db.Dialect(), len(pending), are)
}
