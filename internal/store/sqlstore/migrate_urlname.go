package sqlstore

import (
	"context"
	"database/sql"

	"imslogin/internal/store"
)

// migrationSteps are the Go parts of migrations, by version: each runs in
// the migration's transaction, after its SQL, for what SQL cannot do the
// same way on both dialects.
var migrationSteps = map[int]func(ctx context.Context, tx *sql.Tx, d dialect) error{
	13: fillURLNames,
}

// fillURLNames replaces the placeholder URL names of 0013_url_name.sql
// with those derived from the organisations' names, oldest organisation
// first, so it keeps the plain one (acme-corp) and a later "Acme-Corp"
// gets acme-corp-2, as creating them today would.
func fillURLNames(ctx context.Context, tx *sql.Tx, d dialect) error {
	type org struct {
		id      int64
		urlName string
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, name FROM organisations ORDER BY id`)
	if err != nil {
		return err
	}
	var orgs []org
	taken := map[string]bool{}
	for rows.Next() {
		var o org
		var name string
		if err := rows.Scan(&o.id, &name); err != nil {
			rows.Close()
			return err
		}
		o.urlName = firstFree(store.URLNameOf(name), taken)
		taken[o.urlName] = true
		orgs = append(orgs, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	// First off the placeholders, to names no URL name can be ('-' is never
	// first), so no derived name meets a placeholder another row still holds.
	if _, err := tx.ExecContext(ctx, `UPDATE organisations SET url_name = '-' || id`); err != nil {
		return err
	}
	update := (&queries{d: d}).bind(`UPDATE organisations SET url_name = ? WHERE id = ?`)
	for _, o := range orgs {
		if _, err := tx.ExecContext(ctx, update, o.urlName, o.id); err != nil {
			return err
		}
	}
	return nil
}
