package benchseed_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"imslogin/internal/benchseed"
	"imslogin/internal/store"
)

// TestSeedMembersInBatches seeds 45,000 members: three transactions of
// 20,000, 20,000 and 5,000, numbered without a gap, with progress after
// each; a failing batch stops the seed with how many are in.
func TestSeedMembersInBatches(t *testing.T) {
	db := &batches{failAt: -1}
	var progress []int
	if err := benchseed.SeedMembers(context.Background(), db, 7, 45_000, "hash", func(done int) { progress = append(progress, done) }); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(db.sizes) != "[20000 20000 5000]" || fmt.Sprint(progress) != "[20000 40000 45000]" {
		t.Errorf("batches %v, progress %v", db.sizes, progress)
	}
	for i, m := range db.members {
		if m.Email != benchseed.MemberEmail(i) || m.OrgID != 7 || m.PasswordHash != "hash" {
			t.Fatalf("member %d: %+v", i, m)
		}
	}

	db, progress = &batches{failAt: 1}, nil
	err := benchseed.SeedMembers(context.Background(), db, 7, 45_000, "hash", func(done int) { progress = append(progress, done) })
	if err == nil || !strings.Contains(err.Error(), "after 20000 members: disk full") || fmt.Sprint(progress) != "[20000]" {
		t.Errorf("with the second batch failing: %v, progress %v", err, progress)
	}
}

// batches records the batches it is given; the one numbered failAt fails.
type batches struct {
	failAt  int
	sizes   []int
	members []store.Member
}

func (b *batches) BulkCreateMembers(_ context.Context, members []store.Member) error {
	if len(b.sizes) == b.failAt {
		return errors.New("disk full")
	}
	b.sizes = append(b.sizes, len(members))
	b.members = append(b.members, members...)
	return nil
}
