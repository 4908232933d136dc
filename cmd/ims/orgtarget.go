package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"imslogin/internal/config"
	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore"
)

// orgTarget is the flags of every command on one organisation's portals or
// login services: the database, the organisation, the public URL the
// addresses shown are built from, and --json.
type orgTarget struct {
	cfg    config.Config
	org    string
	asJSON bool
}

// addFlags gives cmd the flags, bound to t.
func (t *orgTarget) addFlags(cmd *cobra.Command, withJSON bool, publicURLUse string) {
	t.cfg = config.Default()
	f := cmd.Flags()
	f.StringVar(&t.org, "org", "", "organisation name (required)")
	cmd.MarkFlagRequired("org")
	if withJSON {
		f.BoolVar(&t.asJSON, "json", false, "print JSON")
	}
	addDatabaseFlag(cmd, &t.cfg.DatabaseURL)
	f.StringVar(&t.cfg.PublicURL, "public-url", t.cfg.PublicURL, "the server's public URL, which "+publicURLUse+" (env IMS_PUBLIC_URL)")
}

// openOrg connects to the database and finds the organisation; the caller
// closes the database.
func (t *orgTarget) openOrg(ctx context.Context) (*sqlstore.DB, store.Organisation, error) {
	if err := t.cfg.Validate(); err != nil {
		return nil, store.Organisation{}, err
	}
	db, err := openMigrated(ctx, t.cfg.DatabaseURL)
	if err != nil {
		return nil, store.Organisation{}, err
	}
	o, err := db.OrganisationByName(ctx, t.org)
	if err != nil {
		db.Close()
		if errors.Is(err, store.ErrNotFound) {
			err = fmt.Errorf("no organisation named %q", t.org)
		}
		return nil, o, err
	}
	return db, o, nil
}
