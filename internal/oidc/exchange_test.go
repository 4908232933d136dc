package oidc_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2"

	"imslogin/internal/store/sqlstore"
	"imslogin/internal/store/sqlstore/sqltest"
)

// TestTwoNodesRedeemCodesAndRotateRefreshTokensOnce: two nodes, each its
// own server and database handle on one PostgreSQL database, take token
// requests at once: of 20 exchanges of one code and of 50 uses of one
// refresh token (no grace period), spread over both, exactly one each
// gets tokens.
func TestTwoNodesRedeemCodesAndRotateRefreshTokensOnce(t *testing.T) {
	database := sqltest.NewPostgresDatabase(t)
	e := newEnvOn(t, sqltest.Open(t, database))
	nodes := []string{e.app.URL, e.app.Node(t, sqltest.Open(t, database))}
	conf := e.config("web", "offline_access")
	_, verifier, code := e.login(t, conf)

	// The first token request of each node, alone, so both are known to serve.
	if status, _ := tokenRequest(nodes[1], url.Values{"grant_type": {"client_credentials"}}); status != http.StatusOK {
		t.Fatalf("the second node's token endpoint: %d", status)
	}
	wins, bodies := tokenRace(t, nodes, 20, url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {redirectURI}, "code_verifier": {verifier}})
	if len(wins) != 1 {
		t.Fatalf("%d of 20 exchanges of one code on two nodes succeeded, want 1", len(wins))
	}
	refresh, _ := wins[0]["refresh_token"].(string)
	if refresh == "" {
		t.Fatalf("no refresh token: %v", wins[0])
	}
	for _, b := range bodies {
		if !strings.Contains(b, "invalid_grant") {
			t.Errorf("a losing exchange answered %s, want invalid_grant", b)
		}
	}

	// The exchange's tokens were revoked by the losers (a code used again):
	// a fresh sign-in gives the refresh token to race with.
	_, verifier, code = e.login(t, conf)
	tok, err := conf.Exchange(context.Background(), code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	wins, _ = tokenRace(t, nodes, 50, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}})
	if len(wins) != 1 {
		t.Errorf("%d of 50 uses of one refresh token on two nodes succeeded, want 1", len(wins))
	}
}

// tokenRequest posts form to a node's token endpoint as the portal "web".
func tokenRequest(node string, form url.Values) (int, string) {
	req, _ := http.NewRequest(http.MethodPost, node+"/o/acme/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("web", "web-secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// tokenRace sends n copies of one token request at once, alternating
// between the nodes; it returns the answers that gave tokens and the
// bodies of the others.
func tokenRace(t *testing.T, nodes []string, n int, form url.Values) ([]map[string]any, []string) {
	t.Helper()
	var mu sync.Mutex
	var wins []map[string]any
	var refused []string
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			status, body := tokenRequest(nodes[i%len(nodes)], form)
			mu.Lock()
			defer mu.Unlock()
			switch status {
			case http.StatusOK:
				var tokens map[string]any
				json.Unmarshal([]byte(body), &tokens)
				wins = append(wins, tokens)
			case http.StatusBadRequest:
				refused = append(refused, body)
			default:
				t.Errorf("node %d answered %d: %s", i%len(nodes), status, body)
			}
		}()
	}
	close(start)
	wg.Wait()
	return wins, refused
}

// TestRefusedExchangeLeavesTheCode, on SQLite and PostgreSQL: exchanges
// refused for a wrong client secret, PKCE verifier or redirect URI do not
// spend the code; the right exchange then gets tokens, and a second one
// is invalid_grant. Of 20 concurrent exchanges of a code one succeeds.
func TestRefusedExchangeLeavesTheCode(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db *sqlstore.DB) {
		e := newEnvOn(t, db)
		ctx := context.Background()
		conf := e.config("web", "offline_access")
		_, verifier, code := e.login(t, conf)
		wrongSecret, wrongRedirect := *conf, *conf
		wrongSecret.ClientSecret = "not-the-secret"
		wrongRedirect.RedirectURL = "http://127.0.0.1:9/elsewhere"
		for name, try := range map[string]func() error{
			"a wrong client secret": func() error { _, err := wrongSecret.Exchange(ctx, code, oauth2.VerifierOption(verifier)); return err },
			"a wrong PKCE verifier": func() error {
				_, err := conf.Exchange(ctx, code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
				return err
			},
			"another redirect URI":    func() error { _, err := wrongRedirect.Exchange(ctx, code, oauth2.VerifierOption(verifier)); return err },
			"no PKCE verifier at all": func() error { _, err := conf.Exchange(ctx, code); return err },
		} {
			if try() == nil {
				t.Fatalf("%s exchanged the code", name)
			}
		}
		tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
		if err != nil || tok.RefreshToken == "" {
			t.Fatalf("the right exchange after refused ones: %v", err)
		}
		if _, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier)); err == nil || !strings.Contains(err.Error(), "invalid_grant") {
			t.Errorf("the code exchanged twice: %v, want invalid_grant", err)
		}
		e.concurrentExchanges(t, conf)
	})
}
