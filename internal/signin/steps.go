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

// OutcomeKind is what a step decided.
type OutcomeKind int

const (
	KindPassed OutcomeKind = iota // the step is done
	KindShow                      // show the step's page
	KindWrong                     // a wrong answer, counted
	KindAgain                     // back to the step's page
	KindEnd                       // the sign-in ends
)

var kindNames = [...]string{"passed", "show", "wrong", "again", "end"}

func (k OutcomeKind) String() string { return kindNames[k] }

// Outcome is what a step decided; signin answers it.
type Outcome struct {
	kind       OutcomeKind
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
func Passed(cookies ...*http.Cookie) Outcome { return Outcome{kind: KindPassed, cookies: cookies} }

// Show answers with the step's page.
func Show(status int, page web.StepPage) Outcome {
	return Outcome{kind: KindShow, status: status, page: page}
}

// Wrong is a wrong answer: it counts toward the flow's MaxAttempts and the
// account lockout (audited with reason), and unless either ends the
// sign-in, page is shown again.
func Wrong(reason string, status int, page web.StepPage) Outcome {
	return Outcome{kind: KindWrong, reason: reason, status: status, page: page}
}

// Again sends the browser back to the step's page, with the flash notice
// named (a code was resent, a method chosen).
func Again(flash string) Outcome { return Outcome{kind: KindAgain, flash: flash} }

// End ends the sign-in: the flow goes and the sign-in page shows notice.
func End(status int, notice web.Notice) Outcome {
	return Outcome{kind: KindEnd, status: status, notice: notice}
}

// Kind, Status, Page, Reason, Flash, Notice and Cookies read an outcome,
// for tests and logs.
func (o Outcome) Kind() OutcomeKind       { return o.kind }
func (o Outcome) Status() int             { return o.status }
func (o Outcome) Page() web.StepPage      { return o.page }
func (o Outcome) Reason() string          { return o.reason }
func (o Outcome) Flash() string           { return o.flash }
func (o Outcome) Notice() web.Notice      { return o.notice }
func (o Outcome) Cookies() []*http.Cookie { return o.cookies }
func (o Outcome) Wait() time.Duration     { return o.retryAfter }

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
