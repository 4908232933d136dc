package sqlstore

import (
	"context"
	"strings"

	"imslogin/internal/store"
)

// bulkBatch is how many members one INSERT writes: under SQLite's limit of
// 32,766 bound parameters and PostgreSQL's 65,535.
const bulkBatch = 2000

// BulkCreateMembers inserts members in large multi-row statements, one
// transaction per batch. It is for seeding benchmark data, not for the
// product's own paths, which add members one at a time with validation.
func (db *DB) BulkCreateMembers(ctx context.Context, members []store.Member) error {
	for start := 0; start < len(members); start += bulkBatch {
		batch := members[start:min(start+bulkBatch, len(members))]
		var sb strings.Builder
		sb.WriteString(`INSERT INTO members (org_id, email, name, name_key, role, status, licensed, data_access,
			email_verified, password_hash, created_at, last_signin_at, name_words, email_words) VALUES `)
		args := make([]any, 0, len(batch)*14)
		for i, m := range batch {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
			nameKey := store.NameKey(m.Name)
			args = append(args, m.OrgID, m.Email, m.Name, nameKey, string(m.Role), string(m.Status), m.Licensed, m.DataAccess,
				m.EmailVerified, m.PasswordHash, ms(m.CreatedAt), ms(m.LastSignInAt), searchWords(nameKey), searchWords(m.Email))
		}
		err := db.InTx(ctx, func(ctx context.Context) error {
			_, err := db.exec(ctx, sb.String(), args...)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// RefreshStatistics has PostgreSQL vacuum and sample the member tables
// after a bulk load, as autovacuum would within minutes. Until then its
// planner takes a million-member organisation for a few thousand and sorts
// whole tables where it would walk an index, and its index-only scans read
// every row's page to learn whether the row is visible. SQLite keeps no
// statistics here: its plans do not change with the data.
func (db *DB) RefreshStatistics(ctx context.Context) error {
	if db.d != dialectPostgres {
		return nil
	}
	_, err := db.write.ExecContext(ctx, `VACUUM (ANALYZE) members, member_terms`)
	return err
}
