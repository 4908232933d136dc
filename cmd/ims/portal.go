package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"imslogin/internal/admin"
	"imslogin/internal/audit"
	"imslogin/internal/portal"
	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore"
)

func newPortalCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "portal", Short: "Manage an organisation's portals (single sign-on clients)"}
	cmd.AddCommand(newPortalCreateCommand(), newPortalListCommand(), newPortalShowCommand(), newPortalUpdateCommand(),
		newPortalDeleteCommand(), newPortalRotateCommand())
	return cmd
}

// portalTarget is the flags every portal command shares: the database,
// the organisation, the public URL issuers are built from, and which
// portal (for the commands on one).
type portalTarget struct {
	orgTarget
	clientID string
	name     string
}

func addPortalTarget(cmd *cobra.Command, one, withJSON bool) *portalTarget {
	t := &portalTarget{}
	t.addFlags(cmd, withJSON, "issuers are built from")
	if one {
		f := cmd.Flags()
		f.StringVar(&t.clientID, "client-id", "", "the portal's client ID (or --portal NAME)")
		f.StringVar(&t.name, "portal", "", "the portal's name (or --client-id ID)")
	}
	return t
}

// open connects to the database and finds the organisation.
func (t *portalTarget) open(ctx context.Context) (*sqlstore.DB, *portal.Service, store.Organisation, error) {
	db, o, err := t.openOrg(ctx)
	if err != nil {
		return nil, nil, o, err
	}
	return db, &portal.Service{Store: db, PublicURL: t.cfg.PublicBaseURL(), Now: time.Now}, o, nil
}

// withPortal opens the database, finds the portal the flags name and
// calls fn with it.
func (t *portalTarget) withPortal(ctx context.Context, fn func(*sqlstore.DB, *portal.Service, store.Organisation, store.Portal) error) error {
	db, svc, org, err := t.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	p, err := t.find(ctx, svc, org)
	if err != nil {
		return err
	}
	return fn(db, svc, org, p)
}

// find returns the portal --client-id or --portal names.
func (t *portalTarget) find(ctx context.Context, svc *portal.Service, org store.Organisation) (store.Portal, error) {
	if (t.clientID == "") == (t.name == "") {
		return store.Portal{}, errors.New("name the portal with --client-id ID or --portal NAME (one of them)")
	}
	list, err := svc.List(ctx, org.ID)
	if err != nil {
		return store.Portal{}, err
	}
	for _, p := range list {
		if t.clientID != "" && p.ClientID == t.clientID || t.name != "" && strings.EqualFold(p.Name, strings.TrimSpace(t.name)) {
			return p, nil
		}
	}
	if t.clientID != "" {
		return store.Portal{}, fmt.Errorf("%s has no portal with client ID %q", org.Name, t.clientID)
	}
	return store.Portal{}, fmt.Errorf("%s has no portal named %q", org.Name, t.name)
}

func operatorOf(org store.Organisation) portal.By {
	return portal.By{OrgID: org.ID, Actor: audit.ActorCommandLine}
}

// portalFlags are the settings of a portal as flags.
type portalFlags struct {
	fs                                                        *pflag.FlagSet
	name, backchannel, home, kind, access, algorithm          string
	redirects, postLogout, roles, members, scopes             []string
	firstParty, requirePKCE                                   bool
	accessLifetime, idLifetime, refreshLifetime, refreshGrace time.Duration
}

func addPortalFlags(cmd *cobra.Command) *portalFlags {
	p := &portalFlags{fs: cmd.Flags()}
	f := p.fs
	f.StringVar(&p.name, "name", "", "the portal's name, as members and administrators see it")
	f.StringArrayVar(&p.redirects, "redirect-uri", nil, "a redirect URI, matched exactly (repeat for several): https://, or http:// on 127.0.0.1, localhost or [::1]")
	f.StringArrayVar(&p.postLogout, "post-logout-redirect-uri", nil, "a post-logout redirect URI (repeat for several)")
	f.StringVar(&p.backchannel, "backchannel-logout-uri", "", "where the portal is told of sign-outs")
	f.StringVar(&p.home, "home-url", "", "where the Dashboard sends members (without it the portal is not listed there)")
	f.StringVar(&p.kind, "type", "confidential", "confidential (a server with a client secret) or public (a browser or mobile app)")
	f.BoolVar(&p.firstParty, "first-party", false, "the organisation's own application: members are not asked for consent")
	f.StringVar(&p.access, "access", "all", "who may use it: all, roles or members")
	f.StringArrayVar(&p.roles, "role", nil, "with --access roles: owner, administrator, member, or a custom role's name (repeat for several)")
	f.StringArrayVar(&p.members, "member", nil, "with --access members: a member's email address (repeat for several)")
	f.DurationVar(&p.accessLifetime, "access-token-lifetime", portal.AccessTokenLifetime.Default, "access token lifetime (1m to 24h)")
	f.DurationVar(&p.idLifetime, "id-token-lifetime", portal.IDTokenLifetime.Default, "ID token lifetime (1m to 24h)")
	f.DurationVar(&p.refreshLifetime, "refresh-token-lifetime", portal.RefreshTokenLifetime.Default, "refresh token lifetime (1h to 8760h)")
	f.DurationVar(&p.refreshGrace, "refresh-grace", 0, "how long a used refresh token still works, for clients that race (0 to 1m)")
	f.StringVar(&p.algorithm, "signing-algorithm", portal.ES256, "ID token signing: ES256 or RS256")
	f.BoolVar(&p.requirePKCE, "require-pkce", true, "refuse sign-in requests without a PKCE code challenge (--require-pkce=false: a confidential portal may omit it; public portals always require it)")
	f.StringArrayVar(&p.scopes, "scope", nil, "a scope the portal may ask for, openid among them (repeat for several; default all: "+strings.Join(portal.Scopes, ", ")+")")
	return p
}

// apply writes the flags given (all of them for a new portal) onto in.
func (p *portalFlags) apply(in *portal.Input, all bool) error {
	set := func(name string) bool { return all || p.fs.Changed(name) }
	if set("type") {
		switch p.kind {
		case "confidential", "public":
			in.Confidential = p.kind == "confidential"
		default:
			return fmt.Errorf("--type %q: want confidential or public", p.kind)
		}
	}
	for _, f := range []struct {
		name string
		do   func()
	}{
		{"name", func() { in.Name = p.name }},
		{"redirect-uri", func() { in.RedirectURIs = p.redirects }},
		{"post-logout-redirect-uri", func() { in.PostLogoutRedirectURIs = p.postLogout }},
		{"backchannel-logout-uri", func() { in.BackchannelLogoutURI = p.backchannel }},
		{"home-url", func() { in.HomeURL = p.home }},
		{"first-party", func() { in.FirstParty = p.firstParty }},
		{"access", func() { in.Access = store.PortalAccess(p.access) }},
		{"role", func() { in.Roles = p.roles }},
		{"member", func() { in.MemberIDs, in.MemberEmails = nil, p.members }},
		{"access-token-lifetime", func() { in.AccessTokenLifetime = p.accessLifetime }},
		{"id-token-lifetime", func() { in.IDTokenLifetime = p.idLifetime }},
		{"refresh-token-lifetime", func() { in.RefreshTokenLifetime = p.refreshLifetime }},
		{"refresh-grace", func() { in.RefreshGrace = p.refreshGrace }},
		{"signing-algorithm", func() { in.SigningAlgorithm = p.algorithm }},
		{"require-pkce", func() { in.RequirePKCE = &p.requirePKCE }},
		{"scope", func() { in.AllowedScopes = p.scopes }},
	} {
		if set(f.name) {
			f.do()
		}
	}
	return nil
}

// zeroLifetimes refuses a lifetime given as 0, which the rules would
// otherwise read as "the default".
func (p *portalFlags) zeroLifetimes() error {
	for _, name := range []string{"access-token-lifetime", "id-token-lifetime", "refresh-token-lifetime"} {
		if d, _ := p.fs.GetDuration(name); p.fs.Changed(name) && d <= 0 {
			return fmt.Errorf("--%s %s: give a positive duration such as 10m or 720h", name, d)
		}
	}
	return nil
}

// invalid writes the rules' refusal as one line per field.
func invalid(err error) error {
	var inv *portal.Invalid
	if !errors.As(err, &inv) {
		return err
	}
	flags := map[string]string{"name": "--name", "redirect_uris": "--redirect-uri", "post_logout_redirect_uris": "--post-logout-redirect-uri",
		"backchannel_logout_uri": "--backchannel-logout-uri", "home_url": "--home-url", "access": "--access", "roles": "--role",
		"members": "--member", "access_token_lifetime": "--access-token-lifetime", "id_token_lifetime": "--id-token-lifetime",
		"refresh_token_lifetime": "--refresh-token-lifetime", "refresh_grace": "--refresh-grace",
		"signing_algorithm": "--signing-algorithm", "overlap": "--overlap", "allowed_scopes": "--scope"}
	var lines []string
	for field, msg := range inv.Fields {
		if flag := flags[field]; flag != "" {
			msg = flag + ": " + msg
		}
		lines = append(lines, msg)
	}
	sort.Strings(lines)
	return fmt.Errorf("nothing was changed:\n  %s", strings.Join(lines, "\n  "))
}

// credentialsJSON is what `--json` prints for a new or rotated secret.
type credentialsJSON struct {
	ClientID     string  `json:"client_id"`
	ClientSecret *string `json:"client_secret"` // null for a public portal
	Issuer       string  `json:"issuer"`
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func printCredentials(w io.Writer, creds portal.Credentials, asJSON bool) error {
	if asJSON {
		out := credentialsJSON{ClientID: creds.ClientID, Issuer: creds.Issuer}
		if creds.Secret != "" {
			out.ClientSecret = &creds.Secret
		}
		return printJSON(w, out)
	}
	fmt.Fprintf(w, "Client ID:     %s\n", creds.ClientID)
	if creds.Secret != "" {
		fmt.Fprintf(w, "Client secret: %s\n               (shown only now: only a hash is kept; if it is lost, rotate it)\n", creds.Secret)
	}
	fmt.Fprintf(w, "Issuer:        %s\n", creds.Issuer)
	return nil
}

func newPortalCreateCommand() *cobra.Command {
	var t *portalTarget
	var flags *portalFlags
	cmd := &cobra.Command{
		Use:   "create --org NAME --name NAME --redirect-uri URI… [flags]",
		Short: "Register a portal and print its client ID, client secret (once) and issuer",
		Example: `  ims portal create --org Acme --name "Team Wiki" --redirect-uri https://wiki.acme.org/callback \
    --home-url https://wiki.acme.org/ --first-party --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var in portal.Input
			if err := flags.apply(&in, true); err != nil {
				return err
			}
			if err := flags.zeroLifetimes(); err != nil {
				return err
			}
			db, svc, org, err := t.open(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			p, creds, err := svc.Create(cmd.Context(), operatorOf(org), in)
			if err != nil {
				return invalid(err)
			}
			if !t.asJSON {
				fmt.Fprintf(cmd.OutOrStdout(), "Registered portal %q in %s.\n", p.Name, org.Name)
			}
			return printCredentials(cmd.OutOrStdout(), creds, t.asJSON)
		},
	}
	t = addPortalTarget(cmd, false, true)
	flags = addPortalFlags(cmd)
	cmd.MarkFlagRequired("name")
	return cmd
}

func newPortalListCommand() *cobra.Command {
	var t *portalTarget
	cmd := &cobra.Command{
		Use:   "list --org NAME [--json]",
		Short: "List an organisation's portals",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, svc, org, err := t.open(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			list, err := svc.List(cmd.Context(), org.ID)
			if err != nil {
				return err
			}
			issuer := portal.Issuer(t.cfg.PublicBaseURL(), org)
			if t.asJSON {
				out := []admin.PortalView{}
				for _, p := range list {
					out = append(out, admin.PortalViewOf(p, issuer, ""))
				}
				return printJSON(cmd.OutOrStdout(), out)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "CLIENT ID\tNAME\tTYPE\tWHO MAY USE IT\tHOME URL")
			for _, p := range list {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", p.ClientID, p.Name, clientType(p), portal.AccessWords(p), p.HomeURL)
			}
			w.Flush()
			fmt.Fprintf(cmd.OutOrStdout(), "%d portals; issuer %s\n", len(list), issuer)
			return nil
		},
	}
	t = addPortalTarget(cmd, false, true)
	return cmd
}

func clientType(p store.Portal) string {
	kind := "public"
	if p.Confidential {
		kind = "confidential"
	}
	if p.FirstParty {
		kind += ", first-party"
	}
	return kind
}

func newPortalShowCommand() *cobra.Command {
	var t *portalTarget
	cmd := &cobra.Command{
		Use:   "show --org NAME (--client-id ID | --portal NAME) [--json]",
		Short: "Show one portal (never its secret: only a hash is kept)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return t.withPortal(cmd.Context(), func(db *sqlstore.DB, svc *portal.Service, org store.Organisation, p store.Portal) error {
				issuer := portal.Issuer(t.cfg.PublicBaseURL(), org)
				if t.asJSON {
					return printJSON(cmd.OutOrStdout(), admin.PortalViewOf(p, issuer, ""))
				}
				return showPortal(cmd.Context(), cmd.OutOrStdout(), db, p, issuer)
			})
		},
	}
	t = addPortalTarget(cmd, true, true)
	return cmd
}

func showPortal(ctx context.Context, out io.Writer, db *sqlstore.DB, p store.Portal, issuer string) error {
	access := portal.AccessWords(p)
	if p.Access == store.PortalAccessMembers {
		var emails []string
		for _, id := range p.MemberIDs {
			m, err := db.MemberByID(ctx, p.OrgID, id)
			if err != nil {
				return err
			}
			emails = append(emails, m.Email)
		}
		access += ": " + strings.Join(emails, ", ")
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	for _, row := range [][2]string{
		{"Name", p.Name}, {"Client ID", p.ClientID}, {"Issuer", issuer}, {"Type", clientType(p)},
		{"Redirect URIs", strings.Join(p.RedirectURIs, " ")}, {"Post-logout redirect URIs", strings.Join(p.PostLogoutRedirectURIs, " ")},
		{"Back-channel logout URI", p.BackchannelLogoutURI}, {"Home URL", p.HomeURL}, {"Who may use it", access},
		{"Access tokens", portal.Words(p.AccessTokenLifetime)}, {"ID tokens", portal.Words(p.IDTokenLifetime)},
		{"Refresh tokens", portal.Words(p.RefreshTokenLifetime)}, {"Refresh grace", portal.Words(p.RefreshGrace)},
		{"Signing", p.SigningAlgorithm}, {"PKCE", pkceWords(p)}, {"Scopes", strings.Join(p.AllowedScopes, " ")}, {"Registered", p.CreatedAt.UTC().Format(time.RFC3339)},
		{"Changed", p.UpdatedAt.UTC().Format(time.RFC3339)},
	} {
		fmt.Fprintf(w, "%s:\t%s\n", row[0], row[1])
	}
	return w.Flush()
}

func pkceWords(p store.Portal) string {
	if !p.Confidential {
		return "required (a public portal)"
	}
	if p.RequirePKCE {
		return "required"
	}
	return "optional (the client secret alone signs in)"
}

func newPortalUpdateCommand() *cobra.Command {
	var t *portalTarget
	var flags *portalFlags
	cmd := &cobra.Command{
		Use:   "update --org NAME (--client-id ID | --portal NAME) [flags to change]",
		Short: "Change a portal: only the flags given change; a repeated flag replaces its whole list",
		Long: "Change a portal: only the flags given change; --redirect-uri, --post-logout-redirect-uri,\n" +
			"--role and --member replace their whole list (give \"\" to empty it); --scope replaces the\n" +
			"allowed scopes (openid must be among them). A portal made confidential (--type confidential)\n" +
			"gets a client secret, printed once; one made public loses its secrets. The new name is --name.",
		Example: `  ims portal update --org Acme --portal "Team Wiki" --access roles --role administrator --role Editors`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := flags.zeroLifetimes(); err != nil {
				return err
			}
			return t.withPortal(cmd.Context(), func(db *sqlstore.DB, svc *portal.Service, org store.Organisation, p store.Portal) error {
				in := portal.InputOf(p)
				if err := flags.apply(&in, false); err != nil {
					return err
				}
				updated, creds, err := svc.Update(cmd.Context(), operatorOf(org), p.ID, in)
				if err != nil {
					return invalid(err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Saved portal %q.\n", updated.Name)
				if creds.Secret != "" {
					return printCredentials(cmd.OutOrStdout(), creds, false)
				}
				return nil
			})
		},
	}
	t = addPortalTarget(cmd, true, false)
	flags = addPortalFlags(cmd)
	return cmd
}

func newPortalDeleteCommand() *cobra.Command {
	var t *portalTarget
	cmd := &cobra.Command{
		Use:   "delete --org NAME (--client-id ID | --portal NAME)",
		Short: "Delete a portal: its client ID and secrets stop working at once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return t.withPortal(cmd.Context(), func(db *sqlstore.DB, svc *portal.Service, org store.Organisation, p store.Portal) error {
				if err := svc.Delete(cmd.Context(), operatorOf(org), p.ID); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Deleted portal %q (client ID %s) from %s.\n", p.Name, p.ClientID, org.Name)
				return nil
			})
		},
	}
	t = addPortalTarget(cmd, true, false)
	return cmd
}

func newPortalRotateCommand() *cobra.Command {
	var t *portalTarget
	var overlap time.Duration
	cmd := &cobra.Command{
		Use:   "rotate-secret --org NAME (--client-id ID | --portal NAME) [--overlap 24h] [--json]",
		Short: "Give a confidential portal a new client secret, printed once; the previous one works for the overlap",
		Long: "Give a confidential portal a new client secret, printed once. The previous secrets keep working\n" +
			"for --overlap (default 24h, at most 720h), so the portal can be moved to the new one without an\n" +
			"outage; --overlap 0 stops them at once (a leaked secret).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return t.withPortal(cmd.Context(), func(db *sqlstore.DB, svc *portal.Service, org store.Organisation, p store.Portal) error {
				creds, until, err := svc.RotateSecret(cmd.Context(), operatorOf(org), p.ID, overlap)
				if err != nil {
					return invalid(err)
				}
				if !t.asJSON {
					old := "The previous secret has stopped working."
					if overlap > 0 {
						old = "The previous secret works until " + until.UTC().Format("2006-01-02 15:04 UTC") + "."
					}
					fmt.Fprintf(cmd.OutOrStdout(), "Rotated the client secret of %q. %s\n", p.Name, old)
				}
				return printCredentials(cmd.OutOrStdout(), creds, t.asJSON)
			})
		},
	}
	t = addPortalTarget(cmd, true, true)
	cmd.Flags().DurationVar(&overlap, "overlap", portal.DefaultOverlap, "how long the previous secret keeps working (0 to 720h)")
	return cmd
}
