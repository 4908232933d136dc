package password

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha1"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"golang.org/x/text/unicode/norm"
)

// Blocklist answers whether a password is known to attackers.
type Blocklist interface {
	Contains(password string) (bool, error)
}

// The 30,000 most common passwords from the frequency list zxcvbn ships
// (MIT licence, data/LICENSE-zxcvbn.txt), lower-case, gzip-compressed.
//
//go:embed data/common-passwords.txt.gz
var commonGz []byte

var common = sync.OnceValue(func() map[string]struct{} {
	zr, err := gzip.NewReader(bytes.NewReader(commonGz))
	if err != nil {
		panic(err)
	}
	set := make(map[string]struct{}, 30000)
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		set[sc.Text()] = struct{}{}
	}
	if sc.Err() != nil {
		panic(sc.Err())
	}
	return set
})

// CommonCount is how many passwords the embedded list holds.
func CommonCount() int { return len(common()) }

// IsCommon reports whether password, ignoring letter case, is one of the
// embedded common passwords.
func IsCommon(password string) bool {
	_, found := common()[strings.ToLower(norm.NFKC.String(password))]
	return found
}

// FileBlocklist looks passwords up in a large sorted file by binary search
// on disk, so the file is never loaded into memory. Each line is either a
// password or the upper- or lower-case hex SHA-1 of one, optionally followed
// by ":count" (the format of the Have I Been Pwned downloads). The file must
// be sorted bytewise (LC_ALL=C sort); SHA-1 lines compare case-insensitively.
type FileBlocklist struct {
	f    *os.File
	size int64
	sha1 bool
}

// OpenBlocklist opens and checks a blocklist file.
func OpenBlocklist(path string) (*FileBlocklist, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("password blocklist: %w", err)
	}
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		f.Close()
		return nil, fmt.Errorf("password blocklist %s: empty or unreadable", path)
	}
	b := &FileBlocklist{f: f, size: st.Size()}
	first, err := b.lineAt(0)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("password blocklist %s: %w", path, err)
	}
	key, _, _ := strings.Cut(first, ":")
	b.sha1 = isSHA1(key)
	if err := b.checkSorted(); err != nil {
		f.Close()
		return nil, fmt.Errorf("password blocklist %s: %w", path, err)
	}
	return b, nil
}

// Close releases the file.
func (b *FileBlocklist) Close() error { return b.f.Close() }

// Contains reports whether password (or its SHA-1) is in the file.
func (b *FileBlocklist) Contains(password string) (bool, error) {
	password = norm.NFKC.String(password)
	key := password
	if b.sha1 {
		sum := sha1.Sum([]byte(password))
		key = strings.ToUpper(hex.EncodeToString(sum[:]))
	}
	return b.search(key)
}

// search finds key by bisecting byte offsets. lo is always the start of
// a line; the line holding key, if any, starts in [lo, hi).
func (b *FileBlocklist) search(key string) (bool, error) {
	lo, hi := int64(0), b.size
	for lo < hi {
		s, err := b.nextStart(lo + (hi-lo)/2)
		if err != nil {
			return false, err
		}
		if s >= hi { // no line starts in the upper half: step from lo
			s = lo
		}
		line, err := b.lineAt(s)
		if err != nil {
			return false, err
		}
		switch c := strings.Compare(b.keyOf(line), key); {
		case c == 0:
			return true, nil
		case c < 0:
			lo = s + int64(len(line)) + 1
		case s == lo:
			return false, nil
		default:
			hi = s
		}
	}
	return false, nil
}

func (b *FileBlocklist) keyOf(line string) string {
	line = strings.TrimRight(line, "\r")
	if b.sha1 {
		k, _, _ := strings.Cut(line, ":")
		return strings.ToUpper(k)
	}
	return line
}

// nextStart is the first line start at or after off (the file size if none).
func (b *FileBlocklist) nextStart(off int64) (int64, error) {
	if off == 0 {
		return 0, nil
	}
	pos := off - 1
	buf := make([]byte, 512)
	for pos < b.size {
		n, err := b.f.ReadAt(buf, pos)
		if i := bytes.IndexByte(buf[:n], '\n'); i >= 0 {
			return pos + int64(i) + 1, nil
		}
		pos += int64(n)
		if err == io.EOF || n == 0 {
			break
		}
		if err != nil {
			return 0, err
		}
	}
	return b.size, nil
}

// lineAt reads the line starting at off, without its newline.
func (b *FileBlocklist) lineAt(off int64) (string, error) {
	var out []byte
	buf := make([]byte, 256)
	for {
		n, err := b.f.ReadAt(buf, off)
		if i := bytes.IndexByte(buf[:n], '\n'); i >= 0 {
			return string(append(out, buf[:i]...)), nil
		}
		out = append(out, buf[:n]...)
		off += int64(n)
		if len(out) > 4096 {
			return "", errors.New("a line is longer than 4096 bytes")
		}
		if err == io.EOF || (n == 0 && err == nil) {
			return string(out), nil
		}
		if err != nil {
			return "", err
		}
	}
}

// checkSorted reads the first lines to catch an unsorted file early: a
// binary search over an unsorted file would silently miss entries.
func (b *FileBlocklist) checkSorted() error {
	prev, off := "", int64(0)
	for i := 0; i < 1000 && off < b.size; i++ {
		line, err := b.lineAt(off)
		if err != nil {
			return err
		}
		off += int64(len(line)) + 1
		k := b.keyOf(line)
		if b.sha1 && !isSHA1(k) {
			return fmt.Errorf("line %d: %q is not a hex SHA-1 like the first line", i+1, line)
		}
		if i > 0 && k < prev {
			return fmt.Errorf("line %d is out of order: sort the file with LC_ALL=C sort", i+1)
		}
		prev = k
	}
	return nil
}

func isSHA1(s string) bool {
	if len(s) != 40 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}
