package password

import (
	"strings"
	"unicode/utf8"

	zxcvbn "github.com/ccojocar/zxcvbn-go"
	"golang.org/x/text/unicode/norm"
)

// Strength is the meter's reading of a password: zxcvbn's score (0 to 4),
// its estimate of the time to guess it, and advice.
type Strength struct {
	Score     int      `json:"score"`
	Label     string   `json:"label"`
	CrackTime string   `json:"crack_time"`
	Feedback  []string `json:"feedback"`
}

var labels = [...]string{"Very weak", "Weak", "Fair", "Good", "Strong"}

// estimateRunes bounds the estimator's work; the estimate of a longer
// password only grows, and the password itself is never truncated.
const estimateRunes = 64

// Estimate runs the zxcvbn estimator. userInputs (email, name,
// organisation) count as words an attacker would try first.
func Estimate(password string, userInputs ...string) Strength {
	password = norm.NFKC.String(password)
	if password == "" {
		return Strength{Label: labels[0]}
	}
	if utf8.RuneCountInString(password) > estimateRunes {
		password = string([]rune(password)[:estimateRunes])
	}
	r := zxcvbn.PasswordStrength(password, userInputs)
	score := min(max(r.Score, 0), 4)
	s := Strength{Score: score, Label: labels[score], CrackTime: r.CrackTimeDisplay}
	if score >= 3 {
		return s // strong enough: advice about its parts would only confuse
	}
	seen := map[string]bool{}
	for _, m := range r.MatchSequence {
		if advice := adviceFor(m.Pattern, m.DictionaryName); advice != "" && !seen[advice] {
			seen[advice] = true
			s.Feedback = append(s.Feedback, advice)
		}
	}
	s.Feedback = append(s.Feedback, "Add more words or characters: a few unrelated words make a long, strong password.")
	return s
}

func adviceFor(pattern, dictionary string) string {
	switch pattern {
	case "dictionary":
		switch {
		case dictionary == "Passwords":
			return "Avoid passwords that many people use."
		case strings.Contains(dictionary, "Names") || dictionary == "Surname":
			return "Names are easy to guess, especially your own."
		case dictionary == "user_inputs":
			return "Avoid your own email address, name or organisation."
		}
		return "Single common words are easy to guess."
	case "spatial":
		return "Avoid keyboard patterns such as qwerty or asdf."
	case "repeat":
		return "Avoid repeated characters such as aaa."
	case "sequence":
		return "Avoid sequences such as abc or 1234."
	case "date":
		return "Avoid dates and years linked to you."
	}
	return ""
}
