package secretbox_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"imslogin/internal/secretbox"
)

func newBox(t *testing.T) *secretbox.Box {
	t.Helper()
	box, err := secretbox.CreateKey(filepath.Join(t.TempDir(), "secret.key"))
	if err != nil {
		t.Fatal(err)
	}
	return box
}

func TestSealOpensOnlyWithTheSameKeyAndAssociatedData(t *testing.T) {
	box, other := newBox(t), newBox(t)
	plain, bound := []byte("JBSWY3DPEHPK3PXP"), []byte("ims totp 7")
	sealed := box.Seal(plain, bound)
	if !secretbox.IsSealed(sealed) || bytes.Contains(sealed, plain) {
		t.Fatalf("sealed value %x", sealed)
	}
	if again := box.Seal(plain, bound); bytes.Equal(again, sealed) {
		t.Error("two seals of one value are equal: the nonce is not random")
	}
	if got, err := box.Open(sealed, bound); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("round trip: %q, %v", got, err)
	}
	if _, err := other.Open(sealed, bound); !errors.Is(err, secretbox.ErrCannotOpen) {
		t.Errorf("another key: %v", err)
	}
	if _, err := box.Open(sealed, []byte("ims totp 8")); !errors.Is(err, secretbox.ErrCannotOpen) {
		t.Errorf("other associated data: %v", err)
	}
	for i := range sealed {
		flipped := bytes.Clone(sealed)
		flipped[i] ^= 0x40
		if _, err := box.Open(flipped, bound); err == nil {
			t.Errorf("byte %d flipped: opened", i)
		}
	}
	if secretbox.IsSealed(plain) {
		t.Error("base32 text taken for a sealed value")
	}
	if _, err := box.Open(plain, bound); !errors.Is(err, secretbox.ErrUnknownFormat) {
		t.Errorf("plain text: %v", err)
	}
}

func TestLoadKeyReadsWhatCreateKeyWrote(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret.key")
	created, err := secretbox.CreateKey(path)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v; want 0600", info.Mode().Perm(), err)
	}
	loaded, err := secretbox.LoadKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := loaded.Open(created.Seal([]byte("x"), nil), nil); err != nil || string(got) != "x" {
		t.Errorf("the loaded key does not open what the created one sealed: %q %v", got, err)
	}
}

func TestCreateKeyRefusesToOverwrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret.key")
	os.WriteFile(path, []byte("keep me\n"), 0o600)
	if _, err := secretbox.CreateKey(path); err == nil {
		t.Fatal("an existing file was overwritten")
	}
	if b, _ := os.ReadFile(path); string(b) != "keep me\n" {
		t.Errorf("the file now holds %q", b)
	}
}

func TestLoadKeyRejectsMalformedFiles(t *testing.T) {
	good := strings.Repeat("ab", 32)
	dir := t.TempDir()
	for name, content := range map[string]string{
		"short":     good[:62] + "\n",
		"long":      good + "00\n",
		"not hex":   strings.Repeat("zz", 32),
		"two lines": good + "\n\n",
		"spaces":    " " + good,
		"empty":     "",
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
		os.WriteFile(path, []byte(content), 0o600)
		_, err := secretbox.LoadKey(path)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "64 hexadecimal") {
			t.Errorf("%s: got %v, want an error naming the file and the format", name, err)
		}
	}
	for _, content := range []string{good, good + "\n", good + "\r\n", strings.ToUpper(good)} {
		path := filepath.Join(dir, "ok")
		os.WriteFile(path, []byte(content), 0o600)
		if _, err := secretbox.LoadKey(path); err != nil {
			t.Errorf("%q: %v", content, err)
		}
	}
	if _, err := secretbox.LoadKey(filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing file: %v", err)
	}
}

func TestDeriveKey(t *testing.T) {
	a, _ := secretbox.New(bytes.Repeat([]byte{1}, secretbox.KeySize))
	b, _ := secretbox.New(bytes.Repeat([]byte{2}, secretbox.KeySize))
	if !bytes.Equal(a.DeriveKey("x"), a.DeriveKey("x")) {
		t.Error("the same label gave two keys")
	}
	if bytes.Equal(a.DeriveKey("x"), a.DeriveKey("y")) || bytes.Equal(a.DeriveKey("x"), b.DeriveKey("x")) {
		t.Error("another label or box gave the same key")
	}
	if got := len(a.DeriveKey("x")); got != 32 {
		t.Errorf("got %d bytes, want 32", got)
	}
}
