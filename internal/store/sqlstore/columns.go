package sqlstore

import (
	"fmt"
	"strings"
	"time"
)

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// ms stores a time as Unix milliseconds; the zero time is stored as 0.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func seconds(d time.Duration) int64 { return int64(d / time.Second) }

// msTime scans a Unix-milliseconds column into a time.Time.
type msTime struct{ t *time.Time }

func (m msTime) Scan(v any) error {
	n, ok := v.(int64)
	if !ok {
		return fmt.Errorf("time column holds %T, want int64", v)
	}
	*m.t = fromMS(n)
	return nil
}

// secs scans a seconds column into a time.Duration.
type secs struct{ d *time.Duration }

func (s secs) Scan(v any) error {
	n, ok := v.(int64)
	if !ok {
		return fmt.Errorf("duration column holds %T, want int64", v)
	}
	*s.d = time.Duration(n) * time.Second
	return nil
}

// prefixed qualifies each name of a comma-separated column list.
func prefixed(prefix, columns string) string {
	parts := strings.Split(columns, ",")
	for i, p := range parts {
		parts[i] = prefix + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// idOrZero scans a nullable ID column: NULL is 0.
type idOrZero struct{ id *int64 }

func (n idOrZero) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*n.id = 0
	case int64:
		*n.id = v
	default:
		return fmt.Errorf("id column holds %T, want int64", v)
	}
	return nil
}

// nullID stores 0 as NULL, for optional references.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// wordList scans a space-separated column (permission names) into a slice.
type wordList struct{ w *[]string }

func (l wordList) Scan(v any) error {
	var s string
	switch v := v.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("word list column holds %T, want text", v)
	}
	*l.w = strings.Fields(s)
	return nil
}

// words stores a list of names (none containing spaces) in one column.
func words(list []string) string { return strings.Join(list, " ") }
