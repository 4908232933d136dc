package password

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestEmbeddedListHoldsTheCommonPasswords(t *testing.T) {
	if n := CommonCount(); n < 30000 {
		t.Errorf("embedded list has %d passwords, want at least 30,000", n)
	}
	for _, pw := range []string{"password", "123456", "Qwerty", "iloveyou", "PASSWORD1"} {
		if !IsCommon(pw) {
			t.Errorf("%q is not reported as common", pw)
		}
	}
	if IsCommon("correct horse battery staple zebra") {
		t.Error("a long passphrase is reported as common")
	}
}

func writeList(t *testing.T, lines []string) string {
	t.Helper()
	slices.Sort(lines)
	path := filepath.Join(t.TempDir(), "list.txt")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestFileBlocklistFindsEveryLineAndNothingElse(t *testing.T) {
	var lines []string
	for i := range 5000 {
		lines = append(lines, fmt.Sprintf("breached-password-%05d", i*3))
	}
	b, err := OpenBlocklist(writeList(t, lines))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for i := range 15000 {
		want := i%3 == 0
		got, err := b.Contains(fmt.Sprintf("breached-password-%05d", i))
		if err != nil || got != want {
			t.Fatalf("password %d: got %v, %v; want %v", i, got, err, want)
		}
	}
	for _, pw := range []string{"", "a", "zzzz", "breached-password-", "breached-password-99999"} {
		if got, _ := b.Contains(pw); got {
			t.Errorf("%q found but not in the file", pw)
		}
	}
}

func TestFileBlocklistOfSHA1Hashes(t *testing.T) {
	var lines []string
	for _, pw := range []string{"Tr0ub4dor&3 is weak", "hunter2 hunter2 hunter2", "ünïcödé pässwörd"} {
		sum := sha1.Sum([]byte(pw))
		lines = append(lines, strings.ToUpper(hex.EncodeToString(sum[:]))+":42")
	}
	b, err := OpenBlocklist(writeList(t, lines))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if got, _ := b.Contains("hunter2 hunter2 hunter2"); !got {
		t.Error("password whose SHA-1 is listed was not found")
	}
	if got, _ := b.Contains("Hunter2 hunter2 hunter2"); got {
		t.Error("SHA-1 lookup ignored letter case of the password")
	}
	p := Policy{MinLength: 8, Blocklist: b}
	if err := p.Check("ünïcödé pässwörd", Context{}); !IsPolicyError(err) {
		t.Errorf("policy with the file: got %v, want the password rejected", err)
	}
}

func TestOpenBlocklistRejectsAnUnsortedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "unsorted.txt")
	os.WriteFile(path, []byte("zebra\napple\n"), 0o600)
	if _, err := OpenBlocklist(path); err == nil || !strings.Contains(err.Error(), "sort") {
		t.Errorf("got %v, want an error asking to sort the file", err)
	}
}

func TestPolicyRejectsCommonPasswordsAndContext(t *testing.T) {
	p := Policy{MinLength: MinLengthFor(true, 0)}
	if err := p.Check("iloveyou", Context{}); !IsPolicyError(err) || !strings.Contains(err.Error(), "too common") {
		t.Errorf("common password: got %v", err)
	}
	if err := p.Check("ana.lima rides bikes", Context{Email: "ana.lima@acme.org"}); !IsPolicyError(err) {
		t.Errorf("password with the email local part: got %v", err)
	}
	if err := p.Check("we love Acme Research", Context{OrganisationName: "acme research"}); !IsPolicyError(err) {
		t.Errorf("password with the organisation name: got %v", err)
	}
	long := strings.Repeat("lang Pässwort mit Leerzeichen ", 3) // 87 characters, spaces and Unicode
	if err := (Policy{MinLength: 15}).Check(long, Context{}); err != nil {
		t.Errorf("long passphrase with spaces: %v", err)
	}
}

func TestMinLengthFor(t *testing.T) {
	for _, c := range []struct {
		mfa    bool
		raised int
		want   int
	}{{false, 0, 15}, {true, 0, 8}, {true, 12, 12}, {false, 10, 15}, {false, 20, 20}} {
		if got := MinLengthFor(c.mfa, c.raised); got != c.want {
			t.Errorf("MinLengthFor(%v, %d) = %d, want %d", c.mfa, c.raised, got, c.want)
		}
	}
}

func TestEstimateRanksPasswords(t *testing.T) {
	weak, strong := Estimate("password123"), Estimate("violet mango tractor glacier 47")
	if weak.Score > 1 || len(weak.Feedback) == 0 {
		t.Errorf("weak password: %+v", weak)
	}
	if strong.Score < 3 || len(strong.Feedback) != 0 {
		t.Errorf("passphrase: %+v", strong)
	}
	if own := Estimate("ana.lima2026", "ana.lima"); own.Score > 2 {
		t.Errorf("password made of the email: %+v", own)
	}
}
