// Package mail is the durable email outbox and its delivery worker.
//
// Sending an email is writing a row: call Enqueue with the transaction that
// makes the change the email tells about, so both are committed or neither:
//
//	err := db.InTx(ctx, func(ctx context.Context) error {
//		if err := db.SetPasswordHash(ctx, org.ID, m.ID, hash); err != nil {
//			return err
//		}
//		return mail.Enqueue(ctx, db, mail.Message{OrgID: org.ID, To: m.Email,
//			Kind: mail.PasswordChanged, Data: mail.Data{Organisation: org.Name, Name: m.Name}})
//	})
//
// Enqueue renders the message at once from the templates embedded here
// (templates/KIND.txt, whose first line is "Subject: …", and KIND.html), so a
// broken template fails the transaction instead of a later delivery. To add
// a kind, add both files and a constant below; Data has the fields every
// kind shares, and Extra carries anything else.
//
// A Worker (one per node, started by the server) claims due messages for a
// lease, so several nodes never send one message at once, and sends them
// through a Sender (SMTP in production). A failed attempt is retried with
// exponential backoff; after MaxAttempts the message stays in the outbox as
// failed and is logged. Without an SMTP server nothing is sent and messages
// wait in the outbox, where the demo's development mailbox shows them.
package mail
