package admin

import (
	"context"
	"strings"
	"time"

	"imslogin/internal/audit"
	"imslogin/internal/store"
	"imslogin/web"
)

// AuditQuery filters the audit log; zero fields select everything.
type AuditQuery struct {
	Email string
	Kind  string
	Since time.Time // from this day on
	Until time.Time // up to the end of this day
}

// auditPageSize bounds one page of the audit log.
const auditPageSize = 200

// AuditLog returns the newest entries matching q.
func (s *Service) AuditLog(ctx context.Context, a Actor, q AuditQuery) ([]store.AuditEvent, error) {
	if q.Kind != "" && !audit.ValidKind(q.Kind) {
		return nil, refuse("kind", "Choose an event from the list.")
	}
	f := store.AuditFilter{Email: strings.ToLower(strings.TrimSpace(q.Email)), Kind: q.Kind, Since: q.Since, Limit: auditPageSize}
	if !q.Until.IsZero() {
		f.Until = q.Until.Add(day)
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && q.Until.Before(q.Since) {
		return nil, refuse("until", "The end date must not be before the start date.")
	}
	return s.Store.AuditEvents(ctx, a.OrgID, f)
}

// ChartDays is how many days the activity chart shows.
const ChartDays = 30

// ChartSeries are the kinds the chart shows, in drawing order.
var ChartSeries = []string{audit.SigninSuccess, audit.SigninFailure, audit.Lockout}

// DayCounts is one day of the chart.
type DayCounts struct {
	Day    time.Time
	Counts []int // one per ChartSeries
}

// Activity counts sign-ins, failures and lockouts per day over the last
// ChartDays days, today included; days without events count zero.
func (s *Service) Activity(ctx context.Context, a Actor) ([]DayCounts, error) {
	today := s.Now().UTC().Truncate(day)
	first := today.Add(-(ChartDays - 1) * day)
	counts, err := s.Store.AuditDailyCounts(ctx, a.OrgID, ChartSeries, first)
	if err != nil {
		return nil, err
	}
	days := make([]DayCounts, ChartDays)
	for i := range days {
		days[i] = DayCounts{Day: first.Add(time.Duration(i) * day), Counts: make([]int, len(ChartSeries))}
	}
	for _, c := range counts {
		i := int(c.Day.Sub(first) / day)
		if i < 0 || i >= ChartDays {
			continue
		}
		for k, kind := range ChartSeries {
			if kind == c.Kind {
				days[i].Counts[k] += c.Count
			}
		}
	}
	return days, nil
}

// parseDay reads a yyyy-mm-dd date input; empty is the zero time.
func parseDay(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return t, refuse(field, "Enter a date like 2026-01-31.")
	}
	return t, nil
}

// kindLabel names an audit event kind for people.
func kindLabel(kind string) string { return web.EventLabel(kind) }
