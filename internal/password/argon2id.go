// Package password hashes and verifies passwords with argon2id, encoded as
// PHC strings, through a pool that bounds how many hashes run at once.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/text/unicode/norm"

	"imslogin/internal/password/argon2"
)

// Params are argon2id's cost parameters.
type Params struct {
	MemoryKiB uint32
	Time      uint32
	Threads   uint8
}

// DefaultParams follow OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane.
var DefaultParams = Params{MemoryKiB: 19 * 1024, Time: 2, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
)

// work is the argon2 blocks one hash with p processes.
func (p Params) work() uint64 { return argon2.Work(p.Time, p.MemoryKiB, p.Threads) }

// Validate reports parameters too weak or too costly to run.
func (p Params) Validate() error {
	var errs []error
	if p.MemoryKiB < 8*1024 || p.MemoryKiB > 1024*1024 {
		errs = append(errs, fmt.Errorf("argon2 memory %d KiB: want 8192 to 1048576", p.MemoryKiB))
	}
	if p.Time < 1 || p.Time > 20 {
		errs = append(errs, fmt.Errorf("argon2 time %d: want 1 to 20", p.Time))
	}
	if p.Threads < 1 {
		errs = append(errs, fmt.Errorf("argon2 threads %d: want at least 1", p.Threads))
	}
	return errors.Join(errs...)
}

// ErrMalformedHash means a stored hash is not an argon2id PHC string.
var ErrMalformedHash = errors.New("password hash is not an argon2id PHC string")

var b64 = base64.RawStdEncoding

// hash computes the PHC string for password with a fresh random salt,
// working in mem. The password is NFKC-normalised first (NIST SP 800-63B),
// so the same text typed on different keyboards matches; it is never
// truncated.
func hash(mem *argon2.Memory, password string, p Params) string {
	password = norm.NFKC.String(password)
	salt := make([]byte, saltLen)
	rand.Read(salt)
	key := argon2.IDKey(mem, []byte(password), salt, p.Time, p.MemoryKiB, p.Threads, keyLen)
	return encode(p, salt, key)
}

// unmatchable returns a well-formed PHC string whose key is random rather
// than derived from any password: verifying against it costs one hash and
// fails.
func unmatchable(p Params) string {
	salt, key := make([]byte, saltLen), make([]byte, keyLen)
	rand.Read(salt)
	rand.Read(key)
	return encode(p, salt, key)
}

func encode(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.MemoryKiB, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// verify reports whether password matches the PHC string, comparing in
// constant time, and the parameters the hash was made with. It works in mem.
func verify(mem *argon2.Memory, password, phc string) (bool, Params, error) {
	p, salt, key, err := decode(phc)
	if err != nil {
		return false, p, err
	}
	got := argon2.IDKey(mem, []byte(norm.NFKC.String(password)), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, p, nil
}

func decode(phc string) (p Params, salt, key []byte, err error) {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, ErrMalformedHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return p, nil, nil, ErrMalformedHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil {
		return p, nil, nil, ErrMalformedHash
	}
	if p.Validate() != nil {
		return p, nil, nil, ErrMalformedHash
	}
	if salt, err = b64.DecodeString(parts[4]); err != nil || len(salt) < 8 {
		return p, nil, nil, ErrMalformedHash
	}
	if key, err = b64.DecodeString(parts[5]); err != nil || len(key) < 16 {
		return p, nil, nil, ErrMalformedHash
	}
	return p, salt, key, nil
}
