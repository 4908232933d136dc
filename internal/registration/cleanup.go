package registration

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"imslogin/internal/audit"
	"imslogin/internal/store"
)

// CleanupStore is what the clean-up job reads and writes.
type CleanupStore interface {
	store.Transactor
	store.Jobs
	UnlinkedPastLimit(ctx context.Context, now time.Time, limit int) ([]store.Unlinked, error)
	DeleteUnlinkedMember(ctx context.Context, orgID, memberID int64, countedBefore time.Time) error
	OrganisationByID(ctx context.Context, id int64) (store.Organisation, error)
	DeleteExpiredLoginStates(ctx context.Context, now time.Time) (int64, error)
	AppendAuditEvent(ctx context.Context, e *store.AuditEvent) error
}

// Cleaner removes member profiles still unlinked after their
// organisation's "days until account removal", on one node at a time.
type Cleaner struct {
	Store CleanupStore
	Log   *slog.Logger
	Now   func() time.Time
}

// cleanupJob names the job's lock; cleanupLease bounds how long a node
// that stops mid-run keeps SQLite's lease.
const (
	cleanupJob   = "unlinked-profiles"
	cleanupLease = 10 * time.Minute
	cleanupBatch = 500
)

// RunOnce removes the profiles past their limit (and sign-ins with login
// services that were never finished), unless another node is doing it;
// ran says whether this node did.
func (c *Cleaner) RunOnce(ctx context.Context) (removed int, ran bool, err error) {
	now := c.Now()
	ran, err = c.Store.RunExclusive(ctx, cleanupJob, cleanupLease, now, func(ctx context.Context) error {
		if _, err := c.Store.DeleteExpiredLoginStates(ctx, now); err != nil {
			return err
		}
		for {
			list, err := c.Store.UnlinkedPastLimit(ctx, now, cleanupBatch)
			if err != nil || len(list) == 0 {
				return err
			}
			n, err := c.remove(ctx, list, now)
			removed += n
			if err != nil || n == 0 || len(list) < cleanupBatch {
				return err
			}
		}
	})
	return removed, ran, err
}

// remove deletes each profile, with its audit entry, in a transaction of
// its own; one that was linked or reset meanwhile is left.
func (c *Cleaner) remove(ctx context.Context, list []store.Unlinked, now time.Time) (int, error) {
	days := map[int64]int{}
	removed := 0
	for _, u := range list {
		d, ok := days[u.OrgID]
		if !ok {
			org, err := c.Store.OrganisationByID(ctx, u.OrgID)
			if err != nil {
				return removed, err
			}
			d, days[u.OrgID] = org.Settings.UnlinkedRemovalDays, org.Settings.UnlinkedRemovalDays
		}
		err := c.Store.InTx(ctx, func(ctx context.Context) error {
			if err := c.Store.DeleteUnlinkedMember(ctx, u.OrgID, u.MemberID, now.Add(-time.Duration(d)*24*time.Hour)); err != nil {
				return err
			}
			e := audit.About(audit.Event(audit.Origin{}, now, u.OrgID, audit.UnlinkedRemoval), u.Member)
			e.Actor = "clean-up"
			e.Detail = fmt.Sprintf("removed: not linked to any account %d days after registration", d)
			return c.Store.AppendAuditEvent(ctx, &e)
		})
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return removed, err
		}
		removed++
	}
	return removed, nil
}

// Run cleans up every interval until ctx ends.
func (c *Cleaner) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if removed, ran, err := c.RunOnce(ctx); err != nil && ctx.Err() == nil {
			c.Log.Warn("unlinked profiles clean-up", "err", err)
		} else if ran && removed > 0 {
			c.Log.Info("unlinked profiles removed", "count", removed)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
