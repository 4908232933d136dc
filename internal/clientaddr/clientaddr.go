// Package clientaddr finds the address a request came from: the connection's
// peer, or, behind a reverse proxy, a header that proxy sets. The header is
// read only when the operator names it, since any client can send it.
package clientaddr

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

type contextKey struct{}

// Middleware resolves each request's client address once and keeps it in
// the request's context for Of. With header empty the peer address is used;
// otherwise the last address in that header (the one the trusted proxy
// added), falling back to the peer when the header is missing or malformed.
func Middleware(header string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr := peer(r)
		if header != "" {
			if a, ok := fromHeader(r.Header.Values(header)); ok {
				addr = a
			}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), contextKey{}, addr)))
	})
}

// Of returns the request's client address: what Middleware resolved, or the
// connection's peer when the request did not pass through it.
func Of(r *http.Request) string {
	if a, ok := r.Context().Value(contextKey{}).(string); ok {
		return a
	}
	return peer(r)
}

func peer(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// fromHeader takes the right-most address of an X-Forwarded-For style list
// (or of "for=" in a Forwarded header): the proxy appends the peer it saw,
// so entries to its left are whatever the client claimed.
func fromHeader(values []string) (string, bool) {
	if len(values) == 0 {
		return "", false
	}
	items := strings.Split(values[len(values)-1], ",")
	item := strings.TrimSpace(items[len(items)-1])
	for _, part := range strings.Split(item, ";") {
		if v, ok := strings.CutPrefix(strings.ToLower(strings.TrimSpace(part)), "for="); ok {
			item = v
			break
		}
	}
	item = strings.Trim(item, `"`)
	if ap, err := netip.ParseAddrPort(item); err == nil {
		return ap.Addr().Unmap().String(), true
	}
	item = strings.TrimSuffix(strings.TrimPrefix(item, "["), "]")
	if a, err := netip.ParseAddr(item); err == nil {
		return a.Unmap().String(), true
	}
	return "", false
}
