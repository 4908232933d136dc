package field

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestCheckFormRefusesAnyOverlongNameOrValue(t *testing.T) {
	long := strings.Repeat("x", Default+1)
	for name, form := range map[string]url.Values{
		"value": {"about": {"fine"}, "organisation": {long}},
		"name":  {long: {"v"}},
		"later": {"a": {"fine", long}},
	} {
		if err := CheckForm(form); !errors.Is(err, ErrTooLong) {
			t.Errorf("%s: %v, want ErrTooLong", name, err)
		}
	}
	if err := CheckForm(url.Values{"about": {strings.Repeat("é", Default/2)}}); err != nil {
		t.Errorf("a value of exactly the bound: %v", err)
	}
}

func TestCheckJSONFindsNestedStrings(t *testing.T) {
	long := strings.Repeat("y", Default+1)
	if err := CheckJSON([]byte(`{"roles":[{"name":"` + long + `"}]}`)); !errors.Is(err, ErrTooLong) {
		t.Errorf("nested value: %v", err)
	}
	if err := CheckJSON([]byte(`{"` + long + `":1}`)); !errors.Is(err, ErrTooLong) {
		t.Errorf("key: %v", err)
	}
	if err := CheckJSON([]byte(`{"name":"Ana","n":[1,2]}`)); err != nil {
		t.Errorf("short body: %v", err)
	}
}

func TestForLogCutsOnACharacter(t *testing.T) {
	got := ForLog(strings.Repeat("é", 100))
	if !strings.HasSuffix(got, "… (200 bytes)") || !strings.HasPrefix(got, strings.Repeat("é", 32)+"…") {
		t.Errorf("ForLog = %q", got)
	}
	if ForLog("short") != "short" {
		t.Error("a short value is changed")
	}
}
