package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"imslogin/internal/audit"
	"imslogin/internal/config"
	"imslogin/internal/store"
)

func newAuditCommand() *cobra.Command {
	databaseURL := config.Default().DatabaseURL
	var organisation, member, event, since string
	var asJSON bool
	var limit int
	cmd := &cobra.Command{
		Use:   "audit --org NAME [--member EMAIL] [--event KIND] [--since DURATION] [--json]",
		Short: "Read an organisation's audit log, newest first",
		Long: "Read an organisation's audit log, newest first. --since takes a duration such as 90m,\n" +
			"24h or 7d. Event kinds: " + strings.Join(audit.Kinds(), ", ") + ".",
		Example: "  ims audit --org Acme --member ana@acme.org --since 7d\n  ims audit --org Acme --event lockout --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := store.AuditFilter{Email: strings.ToLower(strings.TrimSpace(member)), Kind: event, Limit: limit}
			var problems []error
			if event != "" && !audit.ValidKind(event) {
				problems = append(problems, fmt.Errorf("--event %q: want one of %s", event, strings.Join(audit.Kinds(), ", ")))
			}
			if since != "" {
				d, err := parseSince(since)
				if err != nil {
					problems = append(problems, err)
				}
				f.Since = time.Now().Add(-d)
			}
			if limit < 1 {
				problems = append(problems, errors.New("--limit: must be at least 1"))
			}
			if len(problems) > 0 {
				return errors.Join(problems...)
			}
			db, err := openMigrated(cmd.Context(), databaseURL)
			if err != nil {
				return err
			}
			defer db.Close()
			org, err := db.OrganisationByName(cmd.Context(), organisation)
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("no organisation named %q", strings.TrimSpace(organisation))
			}
			if err != nil {
				return err
			}
			events, err := db.AuditEvents(cmd.Context(), org.ID, f)
			if err != nil {
				return err
			}
			if asJSON {
				return writeAuditJSON(cmd.OutOrStdout(), events)
			}
			return writeAuditTable(cmd.OutOrStdout(), events)
		},
	}
	f := cmd.Flags()
	f.StringVar(&organisation, "org", "", "organisation name (required)")
	f.StringVar(&member, "member", "", "only entries about this email address")
	f.StringVar(&event, "event", "", "only entries of this kind")
	f.StringVar(&since, "since", "", "only entries from this long ago until now (90m, 24h, 7d)")
	f.BoolVar(&asJSON, "json", false, "print a JSON array instead of a table")
	f.IntVar(&limit, "limit", 1000, "at most this many entries")
	cmd.MarkFlagRequired("org")
	addDatabaseFlag(cmd, &databaseURL)
	return cmd
}

// parseSince reads a Go duration, or whole days as "7d".
func parseSince(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err == nil && n > 0 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	} else if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d, nil
	}
	return 0, fmt.Errorf("--since %q: want a positive duration such as 90m, 24h or 7d", s)
}

// auditJSON is an entry as `ims audit --json` prints it.
type auditJSON struct {
	ID        int64  `json:"id"`
	At        string `json:"at"`
	Event     string `json:"event"`
	MemberID  int64  `json:"member_id,omitempty"`
	Email     string `json:"email"`
	Actor     string `json:"actor"`
	Address   string `json:"address"`
	UserAgent string `json:"user_agent"`
	Detail    string `json:"detail"`
}

func writeAuditJSON(w io.Writer, events []store.AuditEvent) error {
	out := make([]auditJSON, 0, len(events))
	for _, e := range events {
		out = append(out, auditJSON{ID: e.ID, At: e.At.UTC().Format(time.RFC3339Nano), Event: e.Kind, MemberID: e.MemberID,
			Email: e.Email, Actor: e.Actor, Address: e.Address, UserAgent: e.UserAgent, Detail: e.Detail})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func writeAuditTable(w io.Writer, events []store.AuditEvent) error {
	if len(events) == 0 {
		_, err := fmt.Fprintln(w, "No audit entries match.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME (UTC)\tEVENT\tEMAIL\tACTOR\tADDRESS\tUSER AGENT\tDETAIL")
	for _, e := range events {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.At.UTC().Format("2006-01-02 15:04:05"), e.Kind, dash(e.Email),
			dash(e.Actor), dash(e.Address), dash(clip(e.UserAgent, 40)), dash(e.Detail))
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' ' // a user agent must not break the table or the terminal
		}
		return r
	}, s)
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
