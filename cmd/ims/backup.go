package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"imslogin/internal/config"
	"imslogin/internal/store/sqlstore"
)

func newBackupCommand() *cobra.Command {
	cfg := config.Default()
	var to string
	cmd := &cobra.Command{
		Use:   "backup --to FILE",
		Short: "Copy a SQLite database consistently while it is in use",
		Long: "Write a consistent copy of the SQLite database to FILE while servers keep using it (one\n" +
			"snapshot, compacted). The secret key file is not in the copy: back it up too, kept apart from\n" +
			"the data, or the authenticator apps and signing keys in the copy cannot be opened.\n" +
			"PostgreSQL databases are backed up with pg_dump or WAL archiving (docs/OPERATIONS.md).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cfg.SQLite() {
				return sqlstore.ErrNotSQLite
			}
			if err := mustExist(cfg.DatabaseURL); err != nil {
				return err
			}
			db, err := sqlstore.Open(cmd.Context(), cfg.DatabaseURL)
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.Backup(cmd.Context(), to); err != nil {
				return err
			}
			info, err := os.Stat(to)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Backed up %s to %s (%s).\n", cfg.DatabaseURL, to, megabytes(info.Size()))
			if key, err := cfg.SecretKeyPath(); err == nil {
				fmt.Fprintf(cmd.OutOrStdout(), "Keep a copy of the secret key file %s with your backups: "+
					"without it, authenticator apps and portals' signing keys in this copy cannot be opened.\n", key)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "file to write the copy to (must not exist)")
	cmd.MarkFlagRequired("to")
	addDatabaseFlag(cmd, &cfg.DatabaseURL)
	cmd.Flags().StringVar(&cfg.SecretKeyFile, "secret-key-file", "", "the server's key file, to name in the reminder (env IMS_SECRET_KEY_FILE)")
	return cmd
}

func newRestoreCommand() *cobra.Command {
	databaseURL := config.Default().DatabaseURL
	var from string
	cmd := &cobra.Command{
		Use:   "restore --from FILE",
		Short: "Put a backup in place of the SQLite database (with every server stopped)",
		Long: "Replace the SQLite database with a copy ims backup made. It is refused while a server or any\n" +
			"other ims command has the database open, and when the copy is damaged or a newer ims made it.\n" +
			"The database it replaces is kept as PATH.before-restore. Restore the secret key file of the\n" +
			"copy too, if it differs from the one in place.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			aside, err := sqlstore.Restore(cmd.Context(), databaseURL, from)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Restored %s from %s.\n", databaseURL, from)
			if aside != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "The database it replaced is kept as %s: delete it once the restored one is checked.\n", aside)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the backup to restore")
	cmd.MarkFlagRequired("from")
	addDatabaseFlag(cmd, &databaseURL)
	return cmd
}

// mustExist refuses a SQLite database that is not there, which opening
// would create.
func mustExist(databaseURL string) error {
	path := databaseURL[len("sqlite:"):]
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("no SQLite database at %s", path)
	}
	return nil
}

func megabytes(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }
