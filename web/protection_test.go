package web

import (
	"strings"
	"testing"
	"time"
)

func TestInWords(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                                "1 second",
		1500 * time.Millisecond:          "2 seconds",
		time.Minute:                      "60 seconds",
		61 * time.Second:                 "2 minutes",
		15 * time.Minute:                 "15 minutes",
		14*time.Minute + 59*time.Second:  "15 minutes",
		2 * time.Hour:                    "2 hours",
		1440 * time.Minute:               "24 hours",
		23*time.Hour + 59*time.Minute:    "24 hours",
		119*time.Minute + 59*time.Second: "120 minutes",
	} {
		if got := InWords(d); got != want {
			t.Errorf("InWords(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestLockedNoticeSaysWhenInUTC(t *testing.T) {
	now := time.Date(2026, 11, 21, 23, 50, 0, 0, time.UTC)
	n := LockedNotice(now.Add(15*time.Minute).In(time.FixedZone("X", 3600)), now)
	if !strings.Contains(n.Text, "Account locked") || !strings.Contains(n.Items[0], "00:05 UTC on 22 Nov 2026 (in 15 minutes)") {
		t.Errorf("notice %+v", n)
	}
}
