package sqlstore

import "context"

// MigrateTo applies the missing migrations up to version.
func (db *DB) MigrateTo(ctx context.Context, version int) ([]string, error) {
	return db.migrateTo(ctx, version)
}

// Exec runs a statement with "?" placeholders, for changes no store method
// makes.
func (db *DB) Exec(ctx context.Context, query string, args ...any) error {
	_, err := db.exec(ctx, query, args...)
	return err
}
