package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"imslogin/internal/store"
)

// Team Members search (store.MemberQuery.Search says what matches). The
// store writes the words of each member's name key and email with them, in
// members.name_words and email_words; triggers keep one row per word in
// member_terms (org_id, starts, term, member_id, and the member's status),
// where starts marks the terms the name key (1) or the email (2) begins
// with.
//
// One word of the search drives it: the one with the fewest term rows; the
// others are tested on name_words and email_words. How a page is read
// depends on how many members have the driving word:
//   - few (at most gatherLimit term rows): their rows are read through
//     member_terms and sorted. Sorted by name, the members whose name key
//     begins with the word are not counted among them: they are a range of
//     the name index, read there in order however many they are (a common
//     first name). Sorted by email, the same with the email.
//   - many: the sorted list is walked from the cursor, testing each
//     member's words, and a page is soon full. When the first walkLimit
//     members hold too few matches (they lie further on in this order), the
//     walk goes on to the end of the page; off the name index, which holds
//     the words, it tests instead whether each member is among the driving
//     word's, gathered from member_terms first when at most setLimit, so
//     the walk reads no member's row.
//   - many, sorted by status: one status at a time, from the cursor's,
//     since the term rows of one status are a range of an index: a status
//     none of them has is skipped, a few are gathered, and among many the
//     walk soon fills the page.

// Variables so tests can run every path on a few members.
var (
	gatherLimit = 10_000  // term rows read and sorted without walking
	walkLimit   = 20_000  // members walked before gathering the word's members
	setLimit    = 200_000 // members of a word gathered to walk by
)

// maxDrivers bounds the words whose term rows are counted to choose the
// driving word: the longest, which are the likeliest to be rare.
const maxDrivers = 4

// leading is the starts bit of each sort whose column a term can begin.
var leading = map[store.MemberSort]int{store.SortName: 1, store.SortEmail: 2}

// searchTerms are a search's distinct lower-cased words, longest first.
func searchTerms(search string) []string {
	words := store.SearchWords(strings.ToLower(search))
	slices.SortFunc(words, func(a, b string) int { return cmp.Or(len(b)-len(a), strings.Compare(a, b)) })
	words = slices.Compact(words)
	return words[:min(len(words), store.MaxSearchWords)]
}

// searchWords is how a name key or email is stored for search: its
// distinct words, sorted, each after a space, so that a word beginning with
// w contains " " + w.
func searchWords(text string) string {
	words := store.SearchWords(text)
	if len(words) == 0 {
		return ""
	}
	slices.Sort(words)
	return " " + strings.Join(slices.Compact(words), " ")
}

// prefixEnd is the least string above every string that begins with p, in
// bytewise order: p <= s < prefixEnd(p) selects them from an index.
func prefixEnd(p string) string {
	r := []rune(p)
	for i := len(r) - 1; i >= 0; i-- {
		switch r[i] {
		case utf8.MaxRune:
			continue
		case 0xD7FF: // the surrogates are not characters
			r[i] = 0xE000
		default:
			r[i]++
		}
		return string(r[:i+1])
	}
	return p + string(utf8.MaxRune)
}

// memberSearch is one search's plan: its words, the one driving it, and
// which term rows hold the members that the sorted column does not begin
// with.
type memberSearch struct {
	orgID     int64
	status    store.MemberStatus // the status searched; "" for any
	words     []string
	driver    string
	others    []string // the words but the driver
	lead      int      // the starts bit of the sorted column, 0 if none
	elsewhere string   // the starts values without lead
}

// searchMembers returns the IDs of a page of the members having every word.
func (q *queries) searchMembers(ctx context.Context, orgID int64, sort store.MemberSort, words []string, k keyset) ([]int64, error) {
	s := memberSearch{orgID: orgID, words: words, lead: leading[sort], elsewhere: startsWithout(leading[sort])}
	rows, err := q.chooseDriver(ctx, &s)
	if err != nil {
		return nil, err
	}
	switch {
	case rows <= gatherLimit:
		return q.gatherPage(ctx, s, k)
	case sort == store.SortStatus:
		return q.pageByStatus(ctx, s, k)
	}
	ids, end, err := q.walkWindow(ctx, s, k)
	if err != nil || len(ids) == k.limit || end == nil {
		return ids, err
	}
	rest := k
	rest.cursor, rest.limit = end, k.limit-len(ids)
	more, err := q.walkOn(ctx, s, sort, rest)
	return append(ids, more...), err
}

// gatherPage reads the page from the driving word's few term rows, merged
// in the database's order with the range of the sorted column that begins
// with it.
func (q *queries) gatherPage(ctx context.Context, s memberSearch, k keyset) ([]int64, error) {
	ids, err := q.pageIDs(ctx, q.termMatches(s, s.elsewhere), k)
	if err != nil || s.lead == 0 {
		return ids, err
	}
	p := new(sqlParts).add(`SELECT m.id FROM members m WHERE m.org_id = ? AND `, s.orgID)
	begin, err := q.pageIDs(ctx, q.hasWords(q.beginsWith(p, k.col, s.driver), s.others), k)
	if err != nil || len(begin) == 0 || len(ids) == 0 {
		return append(ids, begin...), err
	}
	return q.pageIDs(ctx, idsIn(s.orgID, append(ids, begin...)), k)
}

// pageByStatus reads a page sorted by status one status at a time, from the
// cursor's on. The driving word's term rows of a status tell whether its
// members have none (skipped), a few (gathered) or many: more than
// gatherLimit, so that walking the status's index testing words soon fills
// the page.
func (q *queries) pageByStatus(ctx context.Context, s memberSearch, k keyset) ([]int64, error) {
	var page []int64
	for _, status := range statusesFrom(k) {
		s.status = status
		n, err := q.countTermRows(ctx, s.orgID, s.status, s.driver, s.elsewhere, gatherLimit+1)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			continue
		}
		var ids []int64
		if n <= gatherLimit {
			ids, err = q.gatherPage(ctx, s, k)
		} else {
			p := new(sqlParts).add(`SELECT m.id FROM members m WHERE m.org_id = ? AND m.status = ?`, s.orgID, string(status))
			ids, err = q.pageIDs(ctx, q.hasWords(p, s.words), k)
		}
		if err != nil {
			return nil, err
		}
		page = append(page, ids...)
		if k.limit -= len(ids); k.limit == 0 {
			break
		}
		k.cursor = nil // the next status follows the cursor's whole
	}
	return page, nil
}

// statuses are the member statuses in the order Team Members sorts them.
var statuses = []store.MemberStatus{store.StatusActive, store.StatusDisabled, store.StatusInvited}

// statusesFrom lists the statuses a page sorted by status reads, in its
// order: the cursor's and those after it.
func statusesFrom(k keyset) []store.MemberStatus {
	order := slices.Clone(statuses)
	if k.desc {
		slices.Reverse(order)
	}
	if k.cursor == nil {
		return order
	}
	at, _ := k.cursor[0].(string)
	return slices.DeleteFunc(order, func(s store.MemberStatus) bool {
		return k.desc && string(s) > at || !k.desc && string(s) < at
	})
}

// walkWindow tests the words of the walkLimit members from the cursor. end
// is the window's last member (its sort value and ID), or nil when the
// list ends within the window.
func (q *queries) walkWindow(ctx context.Context, s memberSearch, k keyset) (ids []int64, end []any, err error) {
	end, err = q.walkEnd(ctx, s.orgID, k)
	if err != nil {
		return nil, nil, err
	}
	window := k.after(new(sqlParts).add(`SELECT m.id, `+k.col+`, m.name_words, m.email_words FROM members m WHERE m.org_id = ?`,
		s.orgID)).add(k.order() + fmt.Sprintf(` LIMIT %d`, walkLimit))
	p := q.hasWords(new(sqlParts).add(`SELECT m.id FROM (`+window.text.String()+`) m WHERE 1 = 1`, window.args...), s.words)
	ids, err = q.ids(ctx, p.add(k.order()+fmt.Sprintf(` LIMIT %d`, k.limit)).text.String(), p.args...)
	return ids, end, err
}

// walkEnd is the sort value and ID of the walkLimit-th member from the
// cursor, or nil when the list ends before.
func (q *queries) walkEnd(ctx context.Context, orgID int64, k keyset) ([]any, error) {
	p := new(sqlParts).add(`SELECT `+k.col+`, m.id FROM members m WHERE m.org_id = ?`, orgID)
	k.after(p).add(k.order() + fmt.Sprintf(` LIMIT 1 OFFSET %d`, walkLimit-1))
	var text string
	var number, id int64
	value := any(&text)
	if k.numeric {
		value = &number
	}
	err := q.queryRow(ctx, p.text.String(), p.args...).Scan(value, &id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, translate(err)
	case k.numeric:
		return []any{number, id}, nil
	}
	return []any{text, id}, nil
}

// walkOn reads the rest of a page whose matches lie further on than a
// window. The name index holds the words, so sorted by name the walk goes
// on testing them. Other indexes do not, and testing the words would read
// each member's row: the walk tests instead whether each member is among
// the driving word's, and reads rows only for those.
func (q *queries) walkOn(ctx context.Context, s memberSearch, sort store.MemberSort, k keyset) ([]int64, error) {
	p := new(sqlParts).add(`SELECT m.id FROM members m WHERE m.org_id = ?`, s.orgID)
	if sort == store.SortName {
		return q.pageIDs(ctx, q.hasWords(p, s.words), k)
	}
	n, err := q.countTermRows(ctx, s.orgID, s.status, s.driver, s.elsewhere, setLimit+1)
	if err != nil {
		return nil, err
	}
	if n > setLimit {
		return q.pageIDs(ctx, q.hasWords(p, s.words), k)
	}
	rows := termRows(s.orgID, s.status, s.elsewhere, s.driver, "t.member_id")
	p.add(` AND (+m.id IN (`+rows.text.String()+`)`, rows.args...)
	switch {
	case s.lead != 0:
		q.beginsWith(p.add(` OR `), k.col, s.driver)
	case q.d == dialectPostgres:
		// Within an OR, PostgreSQL hashes the set once and tests each
		// member as it walks the sorted index; alone, the IN became a
		// join that read every member of the organisation.
		p.add(` OR m.id < 0`)
	}
	return q.pageIDs(ctx, q.hasWords(p.add(`)`), s.others), k)
}

// countSearch counts the members having every word, up to limit+1 (0: no
// limit). The driving word's term rows lead, read in index order.
func (q *queries) countSearch(ctx context.Context, orgID int64, words []string, limit int) (int, error) {
	s := memberSearch{orgID: orgID, words: words, elsewhere: startsWithout(0)}
	if _, err := q.chooseDriver(ctx, &s); err != nil {
		return 0, err
	}
	matches := termRows(orgID, "", s.elsewhere, s.driver, "t.member_id")
	if len(s.others) > 0 {
		// A scalar subquery, which PostgreSQL runs per term row in index
		// order, stopping with the LIMIT, where a join would hash every
		// member having the word.
		others := q.hasWords(new(sqlParts).add(`SELECT TRUE FROM members m WHERE m.id = t.member_id`), s.others)
		matches.add(` AND (`+others.text.String()+`)`, others.args...)
	}
	if limit > 0 {
		if n, ok, err := q.countFirstMatches(ctx, matches, limit); ok || err != nil {
			return n, err
		}
	}
	p := new(sqlParts).add(`SELECT DISTINCT member_id FROM (`+matches.text.String()+`) t`, matches.args...)
	if limit > 0 {
		p.add(fmt.Sprintf(` LIMIT %d`, limit+1))
	}
	var n int
	err := q.queryRow(ctx, `SELECT COUNT(*) FROM (`+p.text.String()+`) matches`, p.args...).Scan(&n)
	return n, translate(err)
}

// termRowsPerMember bounds, in practice, a member's term rows that begin
// with one word: one per word of its name and email that does.
const termRowsPerMember = 4

// countFirstMatches counts the members among the first matching term rows:
// limit+1 rows, which are as many members when each has one such row (the
// rule), then termRowsPerMember times as many. ok is false when neither
// count is the answer (the rows ran out of a bound before limit+1 members).
// PostgreSQL cannot stop a DISTINCT early: it would hash or sort every term
// row of a common word.
func (q *queries) countFirstMatches(ctx context.Context, matches *sqlParts, limit int) (n int, ok bool, err error) {
	for _, bound := range []int{limit + 1, termRowsPerMember * (limit + 1)} {
		var rows int
		err = q.queryRow(ctx, fmt.Sprintf(`SELECT COUNT(DISTINCT member_id), COUNT(*) FROM (%s LIMIT %d) first_rows`,
			matches.text.String(), bound), matches.args...).Scan(&n, &rows)
		if err != nil {
			return 0, false, translate(err)
		}
		if n > limit || rows < bound {
			return min(n, limit+1), true, nil
		}
	}
	return 0, false, nil
}

// startsWithout lists the starts values without bit lead: the term rows of
// members whose sorted column does not begin with the term.
func startsWithout(lead int) string {
	var values []string
	for s := range 4 {
		if s&lead == 0 {
			values = append(values, fmt.Sprint(s))
		}
	}
	return strings.Join(values, ", ")
}

// chooseDriver sets the driving word: among the longest words, the one
// with the fewest term rows elsewhere, counted up to gatherLimit+1, which
// it returns.
func (q *queries) chooseDriver(ctx context.Context, s *memberSearch) (int, error) {
	fewest := -1
	for _, w := range s.words[:min(len(s.words), maxDrivers)] {
		n, err := q.countTermRows(ctx, s.orgID, s.status, w, s.elsewhere, gatherLimit+1)
		if err != nil {
			return 0, err
		}
		if fewest < 0 || n < fewest {
			s.driver, fewest = w, n
		}
	}
	s.others = slices.DeleteFunc(slices.Clone(s.words), func(w string) bool { return w == s.driver })
	return fewest, nil
}

// countTermRows counts the term rows among starts (and of members of status,
// unless "") of the terms beginning with word, up to limit.
func (q *queries) countTermRows(ctx context.Context, orgID int64, status store.MemberStatus, word, starts string, limit int) (int, error) {
	p := termRows(orgID, status, starts, word, "1").add(fmt.Sprintf(` LIMIT %d`, limit))
	var n int
	err := q.queryRow(ctx, `SELECT COUNT(*) FROM (`+p.text.String()+`) term_rows`, p.args...).Scan(&n)
	return n, translate(err)
}

// termRows selects from the term rows among starts (and of members of
// status, unless "") of the terms beginning with word.
func termRows(orgID int64, status store.MemberStatus, starts, word, columns string) *sqlParts {
	p := new(sqlParts).add(`SELECT `+columns+` FROM member_terms t WHERE t.org_id = ?`, orgID)
	if status != "" {
		p.add(` AND t.status = ?`, string(status))
	}
	return p.add(` AND t.starts IN (`+starts+`) AND t.term >= ? AND t.term < ?`, word, prefixEnd(word))
}

// termMatches selects the members with a term row among starts beginning
// with the driving word, and every other word. The term rows lead: each
// member is read by its ID.
func (q *queries) termMatches(s memberSearch, starts string) *sqlParts {
	rows := termRows(s.orgID, s.status, starts, s.driver, "t.member_id")
	p := new(sqlParts).add(`SELECT m.id FROM members m WHERE m.id IN (`+rows.text.String()+`) AND +m.org_id = ?`,
		append(rows.args, s.orgID)...)
	return q.hasWords(p, s.others)
}

// beginsWith adds the test that col begins with word: a range of its
// index (both dialects compare these columns byte by byte).
func (q *queries) beginsWith(p *sqlParts, col, word string) *sqlParts {
	return p.add(`(`+col+` >= ? AND `+col+` < ?)`, word, prefixEnd(word))
}

// hasWords adds a test of each word on the member's words.
func (q *queries) hasWords(p *sqlParts, words []string) *sqlParts {
	contains := "instr(%s, ?) > 0"
	if q.d == dialectPostgres {
		contains = "strpos(%s, ?) > 0"
	}
	test := ` AND (` + fmt.Sprintf(contains, "m.name_words") + ` OR ` + fmt.Sprintf(contains, "m.email_words") + `)`
	for _, w := range words {
		p.add(test, " "+w, " "+w)
	}
	return p
}

// idsIn selects the given members of the organisation.
func idsIn(orgID int64, ids []int64) *sqlParts {
	p := new(sqlParts).add(`SELECT m.id FROM members m WHERE +m.org_id = ? AND m.id IN (?`+strings.Repeat(", ?", len(ids)-1)+`)`, orgID)
	for _, id := range ids {
		p.args = append(p.args, id)
	}
	return p
}
