package sms

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Twilio sends through Twilio's Messages API.
type Twilio struct {
	// BaseURL is the API's address (https://api.twilio.com); tests point
	// it at a local server.
	BaseURL    string
	AccountSID string
	AuthToken  string
	From       string // E.164 sender number
	Client     *http.Client
}

func newTwilio(u *url.URL) (*Twilio, error) {
	token, _ := u.User.Password()
	t := &Twilio{AccountSID: u.User.Username(), AuthToken: token, From: u.Query().Get("from"),
		Client: &http.Client{Timeout: 15 * time.Second}}
	switch {
	case u.Host == "default":
		t.BaseURL = "https://api.twilio.com"
	case u.Query().Get("insecure") == "true": // a local test server
		t.BaseURL = "http://" + u.Host
	default:
		t.BaseURL = "https://" + u.Host
	}
	var errs []error
	if t.AccountSID == "" || t.AuthToken == "" {
		errs = append(errs, errors.New("IMS_SMS_URL: twilio:// needs ACCOUNT_SID:AUTH_TOKEN@"))
	}
	if !strings.HasPrefix(t.From, "+") {
		errs = append(errs, errors.New("IMS_SMS_URL: twilio:// needs ?from= with an E.164 number (%2B15550100)"))
	}
	return t, errors.Join(errs...)
}

// Send posts one message. Twilio answers 201 when it accepts it; a 4xx
// other than 429 is a refusal no retry changes.
func (t *Twilio) Send(ctx context.Context, to, body string) error {
	form := url.Values{"To": {to}, "From": {t.From}, "Body": {body}}
	endpoint := t.BaseURL + "/2010-04-01/Accounts/" + url.PathEscape(t.AccountSID) + "/Messages.json"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(t.AccountSID, t.AuthToken)
	resp, err := t.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	detail, _ := io.ReadAll(io.LimitReader(resp.Body, 500))
	if resp.StatusCode/100 == 2 {
		return nil
	}
	err = fmt.Errorf("twilio: %s: %s", resp.Status, strings.TrimSpace(string(detail)))
	if resp.StatusCode/100 == 4 && resp.StatusCode != http.StatusTooManyRequests {
		return &PermanentError{err}
	}
	return err
}
