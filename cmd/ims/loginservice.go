package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"imslogin/internal/admin"
	"imslogin/internal/audit"
	"imslogin/internal/loginservice"
	"imslogin/internal/store"
	"imslogin/internal/store/sqlstore"
)

func newLoginServiceCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "login-service", Short: "Manage an organisation's login services (external OpenID Connect providers)"}
	cmd.AddCommand(newLoginServiceAddCommand(), newLoginServiceListCommand(), newLoginServiceUpdateCommand(),
		newLoginServiceDeleteCommand())
	return cmd
}

// loginServiceTarget is the flags every login-service command shares.
type loginServiceTarget struct {
	orgTarget
	service string
}

func addLoginServiceTarget(cmd *cobra.Command, one bool) *loginServiceTarget {
	t := &loginServiceTarget{}
	t.addFlags(cmd, true, "redirect URIs are built from")
	if one {
		cmd.Flags().StringVar(&t.service, "service", "", "the login service's name (required)")
		cmd.MarkFlagRequired("service")
	}
	return t
}

// open connects to the database, opens the server's secret key (client
// secrets are sealed with it) and finds the organisation.
func (t *loginServiceTarget) open(ctx context.Context) (*sqlstore.DB, *loginservice.Service, store.Organisation, error) {
	db, o, err := t.openOrg(ctx)
	if err != nil {
		return nil, nil, o, err
	}
	secrets, _, err := openSecrets(ctx, t.cfg, db)
	if err != nil {
		db.Close()
		return nil, nil, o, err
	}
	svc := &loginservice.Service{Store: db, Box: secrets.Box(), Now: time.Now, PublicURL: t.cfg.PublicBaseURL(),
		Kinds: loginservice.Registry{loginservice.KindOIDC: &loginservice.OIDC{}}}
	return db, svc, o, nil
}

// withService opens the database, finds the login service --service names
// and calls fn with it.
func (t *loginServiceTarget) withService(ctx context.Context, fn func(*loginservice.Service, store.Organisation, store.LoginService) error) error {
	db, svc, org, err := t.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	ls, err := t.find(ctx, svc, org)
	if err != nil {
		return err
	}
	return fn(svc, org, ls)
}

func (t *loginServiceTarget) find(ctx context.Context, svc *loginservice.Service, org store.Organisation) (store.LoginService, error) {
	list, err := svc.List(ctx, org.ID)
	if err != nil {
		return store.LoginService{}, err
	}
	for _, ls := range list {
		if strings.EqualFold(ls.Name, strings.TrimSpace(t.service)) {
			return ls, nil
		}
	}
	return store.LoginService{}, fmt.Errorf("%s has no login service named %q", org.Name, t.service)
}

// loginServiceFlags are a login service's settings as flags.
type loginServiceFlags struct {
	cmd                           *cobra.Command
	name, issuer, clientID, claim string
	scopes                        []string
	disabled, secretStdin         bool
}

func addLoginServiceFlags(cmd *cobra.Command, update bool) *loginServiceFlags {
	p := &loginServiceFlags{cmd: cmd}
	f := cmd.Flags()
	nameHelp := "the name on the sign-in button, such as \"NIH Network Login\""
	if update {
		nameHelp = "a new name"
		f.BoolVar(&p.secretStdin, "secret-stdin", false, "read a new client secret from standard input")
	}
	f.StringVar(&p.name, "name", "", nameHelp)
	f.StringVar(&p.issuer, "issuer", "", "the provider's issuer (https://…), as its discovery document names it")
	f.StringVar(&p.clientID, "client-id", "", "the client ID the provider gave the organisation")
	f.StringArrayVar(&p.scopes, "scope", []string{"openid", "profile", "email"}, "a scope to ask for (repeat for several)")
	f.StringVar(&p.claim, "username-claim", loginservice.DefaultUsernameClaim, "the claim shown to administrators as the username")
	f.BoolVar(&p.disabled, "disabled", false, "keep it off the sign-in pages")
	return p
}

// apply writes the flags given (all of them when adding) onto in.
func (p *loginServiceFlags) apply(in *loginservice.Input, all bool) {
	set := func(name string) bool { return all || p.cmd.Flags().Changed(name) }
	if set("name") {
		in.Name = p.name
	}
	if set("issuer") {
		in.Issuer = p.issuer
	}
	if set("client-id") {
		in.ClientID = p.clientID
	}
	if set("scope") {
		in.Scopes = p.scopes
	}
	if set("username-claim") {
		in.UsernameClaim = p.claim
	}
	if set("disabled") {
		in.Enabled = !p.disabled
	}
}

// readSecret reads the client secret: the first line of standard input.
func readSecret(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	secret := strings.TrimRight(line, "\r\n")
	if secret == "" {
		return "", errors.New("give the client secret on standard input (echo \"$SECRET\" | ims login-service …)")
	}
	return secret, nil
}

func loginServiceOperator(org store.Organisation) loginservice.By {
	return loginservice.By{OrgID: org.ID, Actor: audit.ActorCommandLine}
}

// loginServiceInvalid writes the rules' refusal as one line per field.
func loginServiceInvalid(err error) error {
	var inv *loginservice.Invalid
	if !errors.As(err, &inv) {
		return err
	}
	flags := map[string]string{"name": "--name", "issuer": "--issuer", "client_id": "--client-id", "secret": "the secret",
		"scopes": "--scope", "username_claim": "--username-claim"}
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

func (t *loginServiceTarget) print(w io.Writer, svc *loginservice.Service, org store.Organisation, ls store.LoginService) error {
	v := admin.LoginServiceViewOf(ls, svc.RedirectURI(org.URLName, ls.ID))
	if t.asJSON {
		return printJSON(w, v)
	}
	fmt.Fprintf(w, "Login service %q in %s (%s).\nIssuer:        %s\nClient ID:     %s\nRedirect URI:  %s\n                (register it at the login service)\n",
		v.Name, org.Name, map[bool]string{true: "enabled", false: "disabled"}[v.Enabled], v.Issuer, v.ClientID, v.RedirectURI)
	return nil
}

func newLoginServiceAddCommand() *cobra.Command {
	var t *loginServiceTarget
	var flags *loginServiceFlags
	cmd := &cobra.Command{
		Use:   "add --org NAME --name NAME --issuer URL --client-id ID [flags] < secret",
		Short: "Add a login service; its client secret is read from standard input",
		Example: `  echo "$CLIENT_SECRET" | ims login-service add --org Acme --name "NIH Network Login" \
    --issuer https://login.nih.example --client-id acme-ims`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in := loginservice.Input{Kind: loginservice.KindOIDC}
			flags.apply(&in, true)
			secret, err := readSecret(cmd.InOrStdin())
			if err != nil {
				return err
			}
			in.Secret = secret
			db, svc, org, err := t.open(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			ls, err := svc.Create(cmd.Context(), loginServiceOperator(org), in)
			if err != nil {
				return loginServiceInvalid(err)
			}
			return t.print(cmd.OutOrStdout(), svc, org, ls)
		},
	}
	t = addLoginServiceTarget(cmd, false)
	flags = addLoginServiceFlags(cmd, false)
	return cmd
}

func newLoginServiceUpdateCommand() *cobra.Command {
	var t *loginServiceTarget
	var flags *loginServiceFlags
	cmd := &cobra.Command{
		Use:   "update --org NAME --service NAME [flags]",
		Short: "Change a login service: only the flags given change",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var secret string
			if flags.secretStdin {
				s, err := readSecret(cmd.InOrStdin())
				if err != nil {
					return err
				}
				secret = s
			}
			return t.withService(cmd.Context(), func(svc *loginservice.Service, org store.Organisation, ls store.LoginService) error {
				in := loginservice.Input{Kind: ls.Kind, Name: ls.Name, Issuer: ls.Issuer, ClientID: ls.ClientID, Secret: secret,
					Scopes: ls.Scopes, UsernameClaim: ls.UsernameClaim, Enabled: ls.Enabled}
				flags.apply(&in, false)
				ls, err := svc.Update(cmd.Context(), loginServiceOperator(org), ls.ID, in)
				if err != nil {
					return loginServiceInvalid(err)
				}
				return t.print(cmd.OutOrStdout(), svc, org, ls)
			})
		},
	}
	t = addLoginServiceTarget(cmd, true)
	flags = addLoginServiceFlags(cmd, true)
	return cmd
}

func newLoginServiceListCommand() *cobra.Command {
	var t *loginServiceTarget
	cmd := &cobra.Command{
		Use:   "list --org NAME",
		Short: "List the organisation's login services",
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
			views := make([]admin.LoginServiceView, 0, len(list))
			for _, ls := range list {
				views = append(views, admin.LoginServiceViewOf(ls, svc.RedirectURI(org.URLName, ls.ID)))
			}
			if t.asJSON {
				return printJSON(cmd.OutOrStdout(), views)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tISSUER\tCLIENT ID\tENABLED\tREDIRECT URI")
			for _, v := range views {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%s\n", v.Name, v.Issuer, v.ClientID, v.Enabled, v.RedirectURI)
			}
			return tw.Flush()
		},
	}
	t = addLoginServiceTarget(cmd, false)
	return cmd
}

func newLoginServiceDeleteCommand() *cobra.Command {
	var t *loginServiceTarget
	cmd := &cobra.Command{
		Use:   "delete --org NAME --service NAME",
		Short: "Delete a login service; members linked through it are not linked any more",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return t.withService(cmd.Context(), func(svc *loginservice.Service, org store.Organisation, ls store.LoginService) error {
				if err := svc.Delete(cmd.Context(), loginServiceOperator(org), ls.ID); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Deleted login service %q of %s.\n", ls.Name, org.Name)
				return nil
			})
		},
	}
	t = addLoginServiceTarget(cmd, true)
	return cmd
}
