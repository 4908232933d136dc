package sqlstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"imslogin/internal/store"
)

// memberRowQuery reads members with their custom role's name and any
// sign-in lock (counted against the member's email, as sign-in does).
var memberRowQuery = `SELECT ` + prefixed("m.", memberColumns) + `, COALESCE(r.name, ''), COALESCE(l.locked_until, 0)
	FROM members m
	LEFT JOIN roles r ON r.id = m.role_id AND r.org_id = m.org_id
	LEFT JOIN signin_lockouts l ON l.org_id = m.org_id AND l.identifier = m.email
	WHERE m.org_id = ?`

// sortColumns maps each sort to its indexed column.
var sortColumns = map[store.MemberSort]string{
	store.SortName:       "m.name_key",
	store.SortEmail:      "m.email",
	store.SortStatus:     "m.status",
	store.SortLastSignIn: "m.last_signin_at",
}

// ListMembers pages by keyset: WHERE (column, id) > (cursor) ORDER BY
// column, id LIMIT n walks the (org_id, column, id) index, so every page
// costs the same however deep it is. It reads in two steps: the IDs of the
// page (membersearch.go for a search), then the rows of those IDs.
func (q *queries) ListMembers(ctx context.Context, orgID int64, mq store.MemberQuery) ([]store.MemberRow, error) {
	ctx = builtQueries(ctx)
	if !mq.Sort.Valid() {
		mq.Sort = store.SortName
	}
	limit := mq.Limit
	if limit <= 0 || limit > 201 {
		limit = 50
	}
	// Going back (Before) reads backwards from the cursor, then reverses.
	forward := mq.Before == nil
	k := keyset{col: sortColumns[mq.Sort], numeric: mq.Sort == store.SortLastSignIn, desc: mq.Desc != !forward, limit: limit}
	if c := cmp.Or(mq.After, mq.Before); c != nil {
		k.cursor = []any{cursorValue(mq.Sort, *c), c.ID}
	}
	var ids []int64
	var err error
	if words := searchTerms(mq.Search); len(words) > 0 {
		ids, err = q.searchMembers(ctx, orgID, mq.Sort, words, k)
	} else {
		ids, err = q.pageIDs(ctx, new(sqlParts).add(`SELECT m.id FROM members m WHERE m.org_id = ?`, orgID), k)
	}
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	byID, err := q.memberRows(ctx, orgID, ids)
	if err != nil {
		return nil, err
	}
	list := make([]store.MemberRow, 0, len(ids))
	for _, id := range ids {
		if r, ok := byID[id]; ok {
			list = append(list, r)
		}
	}
	if !forward {
		slices.Reverse(list)
	}
	return list, nil
}

// keyset is a page's place in a sorted list and its direction: WHERE
// (col, id) > (cursor) ORDER BY col, id LIMIT n, or the reverse.
type keyset struct {
	col     string // as in sortColumns
	numeric bool   // col holds numbers, not text
	desc    bool
	cursor  []any // the value and ID of the row the page follows; nil from the start
	limit   int
}

// after adds the condition that rows follow the cursor.
func (k keyset) after(p *sqlParts) *sqlParts {
	if k.cursor == nil {
		return p
	}
	op := ">"
	if k.desc {
		op = "<"
	}
	return p.add(fmt.Sprintf(` AND (%s, m.id) %s (?, ?)`, k.col, op), k.cursor...)
}

func (k keyset) order() string {
	dir := "ASC"
	if k.desc {
		dir = "DESC"
	}
	return fmt.Sprintf(` ORDER BY %s %s, m.id %s`, k.col, dir, dir)
}

// pageIDs reads the IDs of the page from a selection of members m. The
// cursor's condition comes last: SQLite tests conditions in order, and a
// row-value comparison costs more than a search's tests, which most rows
// of a long walk fail.
func (q *queries) pageIDs(ctx context.Context, p *sqlParts, k keyset) ([]int64, error) {
	k.after(p).add(k.order() + fmt.Sprintf(` LIMIT %d`, k.limit))
	return q.ids(ctx, p.text.String(), p.args...)
}

// sqlParts builds a statement and its arguments together.
type sqlParts struct {
	text strings.Builder
	args []any
}

func (p *sqlParts) add(text string, args ...any) *sqlParts {
	p.text.WriteString(text)
	p.args = append(p.args, args...)
	return p
}

func (q *queries) ids(ctx context.Context, query string, args ...any) ([]int64, error) {
	rows, err := q.in(ctx).r.QueryContext(ctx, q.bind(query), args...)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// memberRows reads the rows of a page of IDs.
func (q *queries) memberRows(ctx context.Context, orgID int64, ids []int64) (map[int64]store.MemberRow, error) {
	args := []any{orgID}
	for _, id := range ids {
		args = append(args, id)
	}
	// "+m.org_id" keeps the planner on the primary key: the IDs pick the
	// rows, and the organisation still scopes them.
	query := strings.Replace(memberRowQuery, "WHERE m.org_id = ?", "WHERE +m.org_id = ?", 1) +
		` AND m.id IN (?` + strings.Repeat(", ?", len(ids)-1) + `)`
	rows, err := q.in(ctx).r.QueryContext(ctx, q.bind(query), args...)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	out := make(map[int64]store.MemberRow, len(ids))
	for rows.Next() {
		var mr store.MemberRow
		targets := append(memberTargets(&mr.Member), &mr.RoleName, msTime{&mr.LockedUntil})
		if err := rows.Scan(targets...); err != nil {
			return nil, err
		}
		out[mr.ID] = mr
	}
	return out, rows.Err()
}

func cursorValue(s store.MemberSort, c store.MemberCursor) any {
	if s == store.SortLastSignIn {
		return c.Number
	}
	return c.Text
}

// CountMembers counts the members a search matches, stopping at limit+1
// (0: no limit), so a search over a large organisation stays cheap. Without
// a search it reads the count the triggers keep.
func (q *queries) CountMembers(ctx context.Context, orgID int64, search string, limit int) (int, error) {
	ctx = builtQueries(ctx)
	if words := searchTerms(search); len(words) > 0 {
		return q.countSearch(ctx, orgID, words, limit)
	}
	n, err := q.memberCounts(ctx, orgID, "members")
	if limit > 0 {
		n = min(n, limit+1)
	}
	return n, err
}

// memberCounts reads one of the organisation's counts, which triggers on
// members keep in member_counts: "members" or "licensed".
func (q *queries) memberCounts(ctx context.Context, orgID int64, column string) (int, error) {
	var n int
	err := q.queryRow(ctx, `SELECT COALESCE((SELECT `+column+` FROM member_counts WHERE org_id = ?), 0)`, orgID).Scan(&n)
	return n, translate(err)
}
