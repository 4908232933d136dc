package signin

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"time"

	"imslogin/internal/audit"
	"imslogin/internal/lockout"
	"imslogin/internal/store"
	"imslogin/web"
)

// Step is one stage of a sign-in after the password: plain logic over the
// flow and the request's data, returning an Outcome. Rendering, counting
// attempts and wrong answers, ending flows and cookies are signin's alone.
type Step interface {
	// Name is the step's path segment: /login/{name}.
	Name() string
	// Needed reports whether this sign-in must pass the step.
	Needed(ctx context.Context, f *Flow, in Input) (bool, error)
	// Show returns the step's page.
	Show(ctx context.Context, f *Flow, in Input) (Outcome, error)
	// Guess reports whether in answers the step's secret (a code), so an
	// attempt is reserved before Submit checks it: no burst of answers
	// gets more than MaxAttempts checked.
	Guess(in Input) bool
	// Submit handles the step's form. It may change f (the methods
	// passed, the method chosen); signin saves it.
	Submit(ctx context.Context, f *Flow, in Input) (Outcome, error)
}

// Enterer is a Step that acts once when a flow reaches it, such as sending
// a code, before the browser is sent to its page.
type Enterer interface {
	Enter(ctx context.Context, f *Flow) error
}

// MaxAttempts is how many answers a flow may give at one step: the last
// wrong one ends the sign-in. Each wrong answer also counts toward the
// account lockout.
const MaxAttempts = 5

// Input is what a step sees of one request.
type Input struct {
	Form    url.Values
	Origin  audit.Origin
	Cookies []*http.Cookie
	// Notice is carried over from the page before (a code was resent…).
	Notice web.Notice
	Now    time.Time
}

// Cookie returns the value of the request's cookie name, or "".
func (in Input) Cookie(name string) string {
	for _, c := range in.Cookies {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

type outcomeKind int

const (
	passed outcomeKind = iota
	show
	wrong
	again
	end
)

// Outcome is what a step decided; signin answers it.
type Outcome struct {
	kind       outcomeKind
	status     int
	page       web.StepPage
	reason     string
	notice     web.Notice
	flash      string
	cookies    []*http.Cookie
	retryAfter time.Duration
}

// Passed: the step is done; the flow moves on. Cookies are set with the
// answer (a remembered browser's).
func Passed(cookies ...*http.Cookie) Outcome { return Outcome{kind: passed, cookies: cookies} }

// Show answers with the step's page.
func Show(status int, page web.StepPage) Outcome {
	return Outcome{kind: show, status: status, page: page}
}

// Wrong is a wrong answer: it counts toward the flow's MaxAttempts and the
// account lockout (audited with reason), and unless either ends the
// sign-in, page is shown again.
func Wrong(reason string, status int, page web.StepPage) Outcome {
	return Outcome{kind: wrong, reason: reason, status: status, page: page}
}

// Again sends the browser back to the step's page, with the flash notice
// named (a code was resent, a method chosen).
func Again(flash string) Outcome { return Outcome{kind: again, flash: flash} }

// End ends the sign-in: the flow goes and the sign-in page shows notice.
func End(status int, notice web.Notice) Outcome {
	return Outcome{kind: end, status: status, notice: notice}
}

// RetryAfter asks the browser to wait before trying again (a code was
// sent moments ago).
func (o Outcome) RetryAfter(d time.Duration) Outcome { o.retryAfter = d; return o }

// Flow is a sign-in in progress with its organisation and member: data
// only, read and saved by signin.
type Flow struct {
	store.SigninFlow
	Organisation store.Organisation
	Member       store.Member
	// reservation is the password's counted attempt while it is still
	// held: released if a step is needed, cleared with the count when the
	// session starts at once.
	reservation *lockout.Reservation
	// welcome names the notice shown when the session starts in the same
	// request ("signed-in" if empty).
	welcome string
	// memo holds what the steps' Needed checks load during one advance,
	// so two steps asking about the same thing read it once.
	memo map[any]any
}

// Memo returns the value stored under key by an earlier Needed check of the
// same advance, or loads and stores it. Outside an advance it just loads:
// Show and Submit always see fresh data.
func (f *Flow) Memo(key any, load func() (any, error)) (any, error) {
	if v, ok := f.memo[key]; ok {
		return v, nil
	}
	v, err := load()
	if err == nil && f.memo != nil {
		f.memo[key] = v
	}
	return v, err
}

// saved is what UpdateSigninFlow writes of a flow, to tell whether a step
// changed it.
func saved(f *Flow) store.SigninFlow {
	s := f.SigninFlow
	s.AMR = slices.Clone(f.AMR)
	return s
}

func changed(before store.SigninFlow, f *Flow) bool {
	return before.Step != f.Step || before.MFAMethod != f.MFAMethod || !slices.Equal(before.AMR, f.AMR)
}
