package mail

// Registration is the email a Site Administrator's registration sends:
// Step 1 (create an IMS Login Service account) and Step 2 (link an
// account). Data.Link is Step 2's link; Extra holds "step1", "portal" and
// "expires" (when Step 2's link stops working).
const Registration = "registration"

func init() {
	for name, k := range mustParse(Registration) {
		kinds[name] = k
	}
}
