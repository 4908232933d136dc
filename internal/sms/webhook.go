package sms

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Webhook posts {"to": …, "body": …} as JSON to any gateway, signed so the
// gateway can tell the message comes from here:
//
//	X-IMS-Timestamp: Unix seconds
//	X-IMS-Signature: sha256=hex(HMAC-SHA256(secret, timestamp + "." + body))
type Webhook struct {
	URL    string
	Secret []byte
	Client *http.Client
	Now    func() time.Time
}

func newWebhook(u *url.URL) (*Webhook, error) {
	secret, _ := u.User.Password()
	if secret == "" {
		return nil, errors.New("IMS_SMS_URL: webhook+https:// needs a signing secret as :SECRET@")
	}
	target := *u
	target.Scheme, target.User = strings.TrimPrefix(u.Scheme, "webhook+"), nil
	if target.Scheme != "https" && !(target.Scheme == "http" && Loopback(target.Hostname())) {
		return nil, fmt.Errorf("IMS_SMS_URL: webhook+%s://%s: want webhook+https:// (plain http only to this machine)",
			target.Scheme, target.Host)
	}
	// A redirect would carry the signed message elsewhere, perhaps over
	// plain http: the gateway's own answer is the result.
	client := &http.Client{Timeout: 15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &Webhook{URL: target.String(), Secret: []byte(secret), Client: client, Now: time.Now}, nil
}

// Loopback reports whether host names this machine: the only place a
// text message (a sign-in code) may travel over plain http.
func Loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Sign is the signature header's value for a timestamp and body.
func Sign(secret []byte, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(timestamp + "."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Send posts one message; any non-2xx answer is retried except 4xx.
func (h *Webhook) Send(ctx context.Context, to, text string) error {
	body, _ := json.Marshal(map[string]string{"to": to, "body": text})
	ts := strconv.FormatInt(h.Now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-IMS-Timestamp", ts)
	req.Header.Set("X-IMS-Signature", Sign(h.Secret, ts, body))
	resp, err := h.Client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		return nil
	}
	err = fmt.Errorf("sms webhook: %s", resp.Status)
	if resp.StatusCode/100 == 4 && resp.StatusCode != http.StatusTooManyRequests {
		return &PermanentError{err}
	}
	return err
}
