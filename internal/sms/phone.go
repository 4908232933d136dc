package sms

import (
	"errors"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// ErrInvalidNumber explains a number that cannot receive a code.
var ErrInvalidNumber = errors.New("Enter a valid mobile number, for example +44 7400 123456, or choose its country and enter the national number.")

// Normalise validates number, read as a national number of region (an ISO
// 3166 code such as "GB") unless it starts with "+", and returns it in
// E.164 form (+447700900123).
func Normalise(number, region string) (string, error) {
	number = strings.TrimSpace(number)
	if number == "" || len(number) > 32 {
		return "", ErrInvalidNumber
	}
	region = strings.ToUpper(strings.TrimSpace(region))
	if strings.HasPrefix(number, "+") {
		region = ""
	}
	n, err := phonenumbers.Parse(number, region)
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", ErrInvalidNumber
	}
	switch phonenumbers.GetNumberType(n) {
	case phonenumbers.FIXED_LINE, phonenumbers.VOIP, phonenumbers.TOLL_FREE, phonenumbers.PREMIUM_RATE, phonenumbers.SHARED_COST:
		return "", errors.New("That number cannot receive text messages: enter a mobile number.")
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}

// Country is one entry of the country selector.
type Country struct {
	Region string // ISO 3166 code
	Name   string
	Code   int // calling code
}

// Countries is the selector's list: common ones first; any other country
// works by typing the number with its "+" prefix.
var Countries = []Country{
	{"US", "United States", 1}, {"GB", "United Kingdom", 44}, {"CA", "Canada", 1}, {"IE", "Ireland", 353},
	{"AU", "Australia", 61}, {"NZ", "New Zealand", 64}, {"IN", "India", 91}, {"BR", "Brazil", 55},
	{"DE", "Germany", 49}, {"FR", "France", 33}, {"ES", "Spain", 34}, {"IT", "Italy", 39}, {"NL", "Netherlands", 31},
	{"MX", "Mexico", 52}, {"ZA", "South Africa", 27}, {"SG", "Singapore", 65}, {"JP", "Japan", 81},
}

// Mask shows only a number's last digits, for pages and logs.
func Mask(e164 string) string {
	if len(e164) < 4 {
		return "••••"
	}
	return strings.Repeat("•", len(e164)-4) + e164[len(e164)-4:]
}
