package config

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func TestProtectionSettings(t *testing.T) {
	cfg := Default()
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	cfg.BindFlags(fs)
	env := map[string]string{"IMS_TRUSTED_PROXY_HEADER": "X-Forwarded-For", "IMS_THROTTLE_ADDRESS_PER_MINUTE": "120",
		"IMS_THROTTLE_ORGANISATION_BURST": "50", "IMS_AUDIT_RETENTION": "2160h", "IMS_MAIL_RETENTION": "48h"}
	if err := ApplyEnvironment(fs, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if cfg.TrustedProxyHeader != "X-Forwarded-For" || cfg.ThrottleAddressPerMinute != 120 || cfg.ThrottleOrganisationBurst != 50 ||
		cfg.AuditRetention != 90*24*time.Hour || cfg.MailRetention != 48*time.Hour || cfg.Validate() != nil {
		t.Errorf("from the environment: %+v, %v", cfg, cfg.Validate())
	}
	bad := Default()
	bad.TrustedProxyHeader = "X-Forwarded-For: 1.2.3.4"
	bad.ThrottleAddressPerMinute = 0
	bad.ThrottleOrganisationBurst = 0
	bad.AuditRetention = -time.Hour
	bad.MailRetention = -time.Hour
	err := bad.Validate()
	for _, want := range []string{"trusted-proxy-header", "throttle-address-per-minute", "throttle-organisation-burst", "audit-retention", "mail-retention"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
}
