// Package secretbox seals secrets the server must read back (so cannot
// hash) before they are stored: AES-256-GCM with a random nonce, and
// associated data that binds each sealed value to where it belongs, so a
// value copied elsewhere does not open.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// KeySize is the key's length in bytes (AES-256).
const KeySize = 32

// version is the first byte of every sealed value: it names the format,
// and no base32 or otpauth:// text starts with it, so sealed and plain
// values are told apart.
const version = 0x01

const nonceSize = 12

// overhead is what sealing adds to the plain text: version, nonce, tag.
const overhead = 1 + nonceSize + 16

var (
	// ErrUnknownFormat is a value that is not sealed by this package.
	ErrUnknownFormat = errors.New("secretbox: not a sealed value of a known format")
	// ErrCannotOpen is a wrong key, other associated data, or a changed value:
	// GCM cannot tell these apart.
	ErrCannotOpen = errors.New("secretbox: cannot open: wrong key, or the sealed value or what it is bound to was changed")
)

// Box seals and opens with one key.
type Box struct {
	aead cipher.AEAD
	key  []byte
}

// New returns a box for a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secretbox: key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead, key: append([]byte(nil), key...)}, nil
}

// DeriveKey returns a 32-byte key for one purpose, named by label
// (HMAC-SHA256 of the label under the box's key): every node with the same
// key derives the same one, and no purpose's key reveals the box's.
func (b *Box) DeriveKey(label string) []byte {
	mac := hmac.New(sha256.New, b.key)
	mac.Write([]byte("imslogin derived key: " + label))
	return mac.Sum(nil)
}

// Seal returns the version byte, a random nonce, and plain encrypted and
// authenticated together with associated.
func (b *Box) Seal(plain, associated []byte) []byte {
	out := make([]byte, 1+nonceSize, overhead+len(plain))
	out[0] = version
	rand.Read(out[1:]) // never fails (crypto/rand panics rather than return short)
	return b.aead.Seal(out, out[1:], plain, associated)
}

// Open returns the plain text of a sealed value, if it was sealed with
// this key and the same associated data, and is unchanged.
func (b *Box) Open(sealed, associated []byte) ([]byte, error) {
	if !IsSealed(sealed) {
		return nil, ErrUnknownFormat
	}
	plain, err := b.aead.Open(nil, sealed[1:1+nonceSize], sealed[1+nonceSize:], associated)
	if err != nil {
		return nil, ErrCannotOpen
	}
	return plain, nil
}

// IsSealed reports whether v has the sealed format (not whether it opens).
func IsSealed(v []byte) bool { return len(v) >= overhead && v[0] == version }

// LoadKey reads a key file: 64 hexadecimal characters, optionally
// followed by a newline.
func LoadKey(path string) (*Box, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("secret key file: %w", err)
	}
	text := strings.TrimSuffix(strings.TrimSuffix(string(raw), "\n"), "\r")
	key, err := hex.DecodeString(text)
	if err != nil || len(key) != KeySize {
		return nil, fmt.Errorf("secret key file %s: want %d hexadecimal characters (a %d-byte key) and nothing else",
			path, 2*KeySize, KeySize)
	}
	return New(key)
}

// CreateKey writes a new random key to path, readable by its owner only.
// It refuses to replace an existing file: that would lose the key every
// sealed value needs.
func CreateKey(path string) (*Box, error) {
	key := make([]byte, KeySize)
	rand.Read(key)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create secret key file: %w", err)
	}
	_, err = f.WriteString(hex.EncodeToString(key) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		os.Remove(path) // a partial key would be refused at the next start anyway
		return nil, fmt.Errorf("write secret key file %s: %w", path, err)
	}
	return New(key)
}
