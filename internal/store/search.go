package store

import (
	"strings"
	"unicode/utf8"
)

// MaxSearchWords is how many words of a search are matched: the longest
// (most selective) ones; the others narrow nothing a member would notice.
const MaxSearchWords = 6

// SearchWords splits text into the words a Team Members search matches:
// runs of characters other than ASCII spaces, punctuation and control
// characters. "Ana-Lima" and "ana.lima@acme.test" both hold the words
// "ana" and "lima". Callers lower-case text first, as NameKey does.
func SearchWords(text string) []string {
	return strings.FieldsFunc(text, isWordSeparator)
}

// isWordSeparator is every ASCII character but letters and digits, a rule
// the database migrations repeat in SQL to fill the words of existing rows.
func isWordSeparator(r rune) bool {
	return r < utf8.RuneSelf && !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
}
