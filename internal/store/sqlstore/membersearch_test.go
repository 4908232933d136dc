package sqlstore_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore"
	"imslogin/internal/store/sqlstore/sqltest"
	"imslogin/internal/store/storetest"
)

// TestSearchPathsAgree pages through searches in every sort and direction
// with limits small enough that each way of reading a page runs (term rows
// sorted at once, a walk that fills the page, a walk that goes on testing
// words or membership of the driving word's members), and
// checks each gives the members the unfiltered list holds, in its order.
func TestSearchPathsAgree(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		org := storetest.NewOrganisation(t, db, "Acme")
		storetest.NewMember(t, db, storetest.NewOrganisation(t, db, "Globex").ID, "carla.costa@globex.test")
		first := []string{"Ana", "Bruno", "Carla", "Diego"}
		last := []string{"Lima", "Silva", "Costa", "Dias", "Reis"}
		statuses := []store.MemberStatus{store.StatusActive, store.StatusInvited, store.StatusDisabled}
		var batch []store.Member
		for i := range 120 {
			m := store.Member{OrgID: org.ID, Name: fmt.Sprintf("%s %s %d", first[i%4], last[i/4%5], i%7),
				Email: fmt.Sprintf("%s.%s%d@acme.test", strings.ToLower(first[i%4]), strings.ToLower(last[i/4%5]), i),
				Role:  store.RoleMember, Status: statuses[i%3], CreatedAt: time.Now()}
			if i%3 == 0 {
				m.Email = fmt.Sprintf("m%d@partner.example", i)
			}
			if i%4 != 0 {
				m.LastSignInAt = time.UnixMilli(int64(i % 9 * 1000))
			}
			batch = append(batch, m)
		}
		// One member with more words beginning "zz" than a member usually
		// has, and one after it in term order: counting the first term rows
		// alone would find only the first.
		batch = append(batch,
			store.Member{OrgID: org.ID, Name: "Zza Zzb Zzc Zzd Zze Zzf Zzg Zzh", Email: "zzi@acme.test",
				Role: store.RoleMember, Status: store.StatusActive, CreatedAt: time.Now()},
			store.Member{OrgID: org.ID, Name: "Zzz", Email: "z@acme.test", Role: store.RoleMember,
				Status: store.StatusActive, CreatedAt: time.Now()})
		if err := db.BulkCreateMembers(ctx, batch); err != nil {
			t.Fatal(err)
		}
		// Members whose status changed are found under their new one: the
		// only "zz" member disabled, and a few others moved on.
		for i, email := range []string{"z@acme.test", "m0@partner.example", "bruno.lima1@acme.test", "carla.lima2@acme.test"} {
			m, err := db.MemberByEmail(ctx, org.ID, email)
			if err != nil {
				t.Fatal(email, err)
			}
			if err := db.SetMemberStatus(ctx, org.ID, m.ID, statuses[(slices.Index(statuses, m.Status)+1+i%2)%3]); err != nil {
				t.Fatal(err)
			}
		}
		searches := []string{"carla", "costa", "c", "di", "acme", "partner.example", "carla costa", "m1", "Ana Lima 3",
			"nobody", "r", "costa@acme", "zz"}
		for _, limits := range [][3]int{{10_000, 20_000, 200_000}, {2, 3, 1_000}, {2, 3, 2}, {2, 1_000, 1_000}} {
			sqlstore.SetSearchLimits(t, limits[0], limits[1], limits[2])
			for _, sort := range []store.MemberSort{store.SortName, store.SortEmail, store.SortStatus, store.SortLastSignIn} {
				for _, desc := range []bool{false, true} {
					everyone := pages(t, db, org.ID, store.MemberQuery{Sort: sort, Desc: desc, Limit: 7})
					for _, search := range searches {
						var want []int64
						for _, m := range everyone {
							if matches(m, search) {
								want = append(want, m.ID)
							}
						}
						q := store.MemberQuery{Search: search, Sort: sort, Desc: desc, Limit: 4}
						if got := ids(pages(t, db, org.ID, q)); !slices.Equal(got, want) {
							t.Errorf("limits %v, %q by %s (desc %v): got %v, want %v", limits, search, sort, desc, got, want)
						}
						for _, limit := range []int{0, 1, 3} {
							wantN := len(want)
							if limit > 0 {
								wantN = min(wantN, limit+1)
							}
							if n, err := db.CountMembers(ctx, org.ID, search, limit); n != wantN || err != nil {
								t.Errorf("limits %v, count of %q up to %d: got %d (%v), want %d", limits, search, limit, n, err, wantN)
							}
						}
					}
				}
			}
		}
	})
}

// pages reads every page forward, then checks that paging back from the
// last page gives the same pages.
func pages(t *testing.T, db *sqlstore.DB, orgID int64, q store.MemberQuery) []store.MemberRow {
	t.Helper()
	ctx := context.Background()
	var all []store.MemberRow
	var starts []int
	for {
		rows, err := db.ListMembers(ctx, orgID, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) == 0 {
			break
		}
		starts = append(starts, len(all))
		all = append(all, rows...)
		c := rows[len(rows)-1].Cursor(q.Sort)
		q.After = &c
	}
	q.After = nil
	for i := len(starts) - 1; i > 0; i-- {
		c := all[starts[i]].Cursor(q.Sort)
		q.Before = &c
		rows, err := db.ListMembers(ctx, orgID, q)
		if err != nil {
			t.Fatal(err)
		}
		if want := all[starts[i-1]:starts[i]]; !slices.Equal(ids(rows), ids(want)) {
			t.Errorf("%+v: page %d backwards: got %v, want %v", q, i-1, ids(rows), ids(want))
		}
	}
	return all
}

func ids(rows []store.MemberRow) []int64 {
	var out []int64
	for _, r := range rows {
		out = append(out, r.ID)
	}
	return out
}

// matches is what a search means, written plainly: every word of the
// search begins a word of the name or the email.
func matches(m store.MemberRow, search string) bool {
	words := append(store.SearchWords(store.NameKey(m.Name)), store.SearchWords(m.Email)...)
	for _, w := range store.SearchWords(strings.ToLower(search)) {
		if !slices.ContainsFunc(words, func(word string) bool { return strings.HasPrefix(word, w) }) {
			return false
		}
	}
	return true
}

// Searches of any number of words, sorts and page sizes prepare no
// statement: only constant texts are kept prepared, so the caches do not
// grow with the searches people type. Words past store.MaxSearchWords are
// not matched.
func TestSearchesPrepareNothing(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		org := storetest.NewOrganisation(t, db, "Acme")
		storetest.NewMember(t, db, org.ID, "ana.lima@acme.test")
		if _, err := db.ListMembers(ctx, org.ID, store.MemberQuery{Limit: 10}); err != nil {
			t.Fatal(err)
		}
		before := db.PreparedStatements()
		words := strings.Fields("a b c d e f g h i j k l m n o p q r s t u v w x y z")
		for i := range 300 {
			search := strings.Join(words[:1+i%len(words)], " ")
			mq := store.MemberQuery{Search: search, Limit: 1 + i%50, Sort: []store.MemberSort{store.SortName, store.SortEmail,
				store.SortStatus, store.SortLastSignIn}[i%4], Desc: i%2 == 0}
			if _, err := db.ListMembers(ctx, org.ID, mq); err != nil {
				t.Fatal(err)
			}
			if _, err := db.CountMembers(ctx, org.ID, search, 100); err != nil {
				t.Fatal(err)
			}
		}
		if after := db.PreparedStatements(); after != before {
			t.Errorf("300 searches left %d prepared statements, %d before", after, before)
		}
		// The six longest words are matched (each a prefix of Ana's); a
		// seventh, shorter one that matches nobody is not.
		search := "z acme lima test ana acm lim"
		if n, err := db.CountMembers(ctx, org.ID, search, 10); err != nil || n != 1 {
			t.Errorf("count %q: %d, %v; want Ana", search, n, err)
		}
		if rows, err := db.ListMembers(ctx, org.ID, store.MemberQuery{Search: search, Limit: 5}); err != nil || len(rows) != 1 {
			t.Errorf("list %q: %d rows, %v; want Ana", search, len(rows), err)
		}
	})
}
