package oidc

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"imslogin/internal/secretbox"
	"imslogin/internal/store"
)

// Signing algorithms: ES256 by default, RS256 for portals that ask for it.
const (
	ES256 = "ES256"
	RS256 = "RS256"
)

// Key rotation defaults: a key signs for KeyPeriod; the next is published
// KeyPrepublish before it signs (relying parties cache JWKS, so a key they
// have not fetched yet must not sign); a superseded key stays published
// for KeyRetain, longer than anything it signed lives (ID tokens last an
// hour; an id_token_hint may be older, so a week).
const (
	KeyPeriod     = 30 * 24 * time.Hour
	KeyPrepublish = 24 * time.Hour
	KeyRetain     = 7 * 24 * time.Hour
)

// keyCacheTTL bounds how long a node serves a key list it read: new keys
// are published a day before they sign, so a minute is harmless.
const keyCacheTTL = time.Minute

// KeyStore is where Keys keeps keys. An organisation's first key is made
// in a transaction holding the organisation, so nodes that make it at once
// make one.
type KeyStore interface {
	store.SigningKeys
	store.Transactor
	LockOrganisation(ctx context.Context, orgID int64) (store.Organisation, error)
}

// Keys keeps each organisation's signing keys: made on first use, rotated
// as they age, private keys sealed with the server's secret key.
type Keys struct {
	Store      KeyStore
	Box        *secretbox.Box
	Now        func() time.Time
	Period     time.Duration // 0: KeyPeriod
	Prepublish time.Duration // 0: KeyPrepublish
	Retain     time.Duration // 0: KeyRetain

	mu      sync.Mutex
	lists   map[int64]cachedKeys
	private map[string]crypto.Signer // opened private keys by key ID; keys never change
}

type cachedKeys struct {
	list []store.SigningKey
	at   time.Time
}

// SigningKey is a key that signs now, ready for the op package.
type SigningKey struct {
	id     string
	alg    string
	signer crypto.Signer
}

func (k SigningKey) SignatureAlgorithm() jose.SignatureAlgorithm {
	return jose.SignatureAlgorithm(k.alg)
}
func (k SigningKey) Key() any   { return k.signer }
func (k SigningKey) ID() string { return k.id }

// PublicKey is a published key (JWKS).
type PublicKey struct {
	id  string
	alg string
	key any
}

func (k PublicKey) ID() string                         { return k.id }
func (k PublicKey) Algorithm() jose.SignatureAlgorithm { return jose.SignatureAlgorithm(k.alg) }
func (k PublicKey) Use() string                        { return "sig" }
func (k PublicKey) Key() any                           { return k.key }
func (k PublicKey) JWK() jose.JSONWebKey {
	return jose.JSONWebKey{Key: k.key, KeyID: k.id, Algorithm: k.alg, Use: "sig"}
}

func (k *Keys) period() time.Duration     { return orDefault(k.Period, KeyPeriod) }
func (k *Keys) prepublish() time.Duration { return orDefault(k.Prepublish, KeyPrepublish) }
func (k *Keys) retain() time.Duration     { return orDefault(k.Retain, KeyRetain) }

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// Signing returns the organisation's key that signs now with alg, after
// making, scheduling or retiring keys as their ages require.
func (k *Keys) Signing(ctx context.Context, orgID int64, alg string) (SigningKey, error) {
	if alg != ES256 && alg != RS256 {
		return SigningKey{}, fmt.Errorf("signing algorithm %q: want %s or %s", alg, ES256, RS256)
	}
	list, err := k.maintained(ctx, orgID, alg)
	if err != nil {
		return SigningKey{}, err
	}
	active, _ := activeKey(list, alg, k.Now())
	if active == nil {
		return SigningKey{}, errors.New("no signing key is active")
	}
	signer, err := k.open(*active)
	return SigningKey{id: active.ID, alg: alg, signer: signer}, err
}

// Published returns every key relying parties may see a signature of:
// the active ones, the next ones and the recently superseded.
func (k *Keys) Published(ctx context.Context, orgID int64) ([]PublicKey, error) {
	if _, err := k.maintained(ctx, orgID, ES256); err != nil {
		return nil, err
	}
	list, err := k.list(ctx, orgID)
	if err != nil {
		return nil, err
	}
	out := make([]PublicKey, 0, len(list))
	for _, sk := range list {
		pub, err := x509.ParsePKIXPublicKey(sk.Public)
		if err != nil {
			return nil, fmt.Errorf("signing key %s: %w", sk.ID, err)
		}
		out = append(out, PublicKey{id: sk.ID, alg: sk.Algorithm, key: pub})
	}
	return out, nil
}

// Rotate schedules a new key that signs after the prepublication period
// (`ims keys rotate`); the current key signs until then.
func (k *Keys) Rotate(ctx context.Context, orgID int64, alg string) (store.SigningKey, error) {
	if alg != ES256 && alg != RS256 {
		return store.SigningKey{}, fmt.Errorf("signing algorithm %q: want %s or %s", alg, ES256, RS256)
	}
	now := k.Now()
	sk, err := k.create(ctx, orgID, alg, now.Add(k.prepublish()))
	k.forget(orgID)
	return sk, err
}

// maintained returns the organisation's keys after making sure one of alg
// signs now, the next is published in time, and old ones are gone.
func (k *Keys) maintained(ctx context.Context, orgID int64, alg string) ([]store.SigningKey, error) {
	list, err := k.list(ctx, orgID)
	if err != nil {
		return nil, err
	}
	now := k.Now()
	changed := false
	active, next := activeKey(list, alg, now)
	switch {
	case active == nil:
		err = k.createFirst(ctx, orgID, alg, now.Truncate(keySlot))
		changed = true
	case next == nil && !now.Before(active.ActiveFrom.Add(k.period()-k.prepublish())):
		from := active.ActiveFrom.Add(k.period())
		if earliest := slotAfter(now.Add(k.prepublish())); from.Before(earliest) {
			from = earliest
		}
		_, err = k.create(ctx, orgID, alg, from)
		changed = true
	}
	if err != nil && !errors.Is(err, store.ErrConflict) { // a conflict: another node made it
		return nil, err
	}
	for _, old := range superseded(list, now, k.retain()) {
		if err := k.Store.DeleteSigningKey(ctx, orgID, old); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		changed = true
	}
	if !changed {
		return list, nil
	}
	k.forget(orgID)
	return k.list(ctx, orgID)
}

// keySlot is what the times keys start signing are rounded to, so nodes
// whose clocks differ by less make a key for the same time when they make
// one at once, and the store keeps one of them (it takes one key per
// organisation, algorithm and time): otherwise each would sign with its
// own while another node's cached key list does not publish it.
const keySlot = time.Minute

// keySkew is how far ahead of a node's clock a key may start and still
// sign there: a first key made by a node whose clock is ahead (across a
// key slot) signs on the others at once, instead of each making its own.
// A scheduled key, published a day before, signs that much early.
const keySkew = time.Minute

// createFirst makes the organisation's first key of alg that signs now,
// unless a node made one meanwhile (store.ErrConflict): the keys are read
// again with the organisation held. The key pair is made before, outside
// the transaction (an RSA key takes tens of milliseconds).
func (k *Keys) createFirst(ctx context.Context, orgID int64, alg string, activeFrom time.Time) error {
	sk, err := k.newKey(orgID, alg, activeFrom)
	if err != nil {
		return err
	}
	return k.Store.InTx(ctx, func(ctx context.Context) error {
		if _, err := k.Store.LockOrganisation(ctx, orgID); err != nil {
			return err
		}
		list, err := k.Store.SigningKeys(ctx, orgID)
		if err != nil {
			return err
		}
		if active, _ := activeKey(list, alg, k.Now()); active != nil {
			return store.ErrConflict
		}
		return k.Store.CreateSigningKey(ctx, &sk)
	})
}

// slotAfter is t rounded up to a key slot.
func slotAfter(t time.Time) time.Time {
	if s := t.Truncate(keySlot); s.Before(t) {
		return s.Add(keySlot)
	}
	return t
}

// activeKey is the newest key of alg whose time has come, and the next
// one scheduled after it, if any (list is newest first).
func activeKey(list []store.SigningKey, alg string, now time.Time) (active, next *store.SigningKey) {
	for i := range list {
		if list[i].Algorithm != alg {
			continue
		}
		if list[i].ActiveFrom.After(now.Add(keySkew)) {
			next = &list[i]
			continue
		}
		return &list[i], next
	}
	return nil, next
}

// superseded lists the keys whose successor has signed for longer than retain.
func superseded(list []store.SigningKey, now time.Time, retain time.Duration) []string {
	var out []string
	successorFrom := map[string]time.Time{} // algorithm → ActiveFrom of the newer active key
	for _, sk := range list {
		if sk.ActiveFrom.After(now) {
			continue
		}
		if from, ok := successorFrom[sk.Algorithm]; ok && !now.Before(from.Add(retain)) {
			out = append(out, sk.ID)
		}
		successorFrom[sk.Algorithm] = sk.ActiveFrom
	}
	return out
}

func (k *Keys) list(ctx context.Context, orgID int64) ([]store.SigningKey, error) {
	now := k.Now()
	k.mu.Lock()
	c, ok := k.lists[orgID]
	k.mu.Unlock()
	if ok && now.Sub(c.at) < keyCacheTTL && !now.Before(c.at) {
		return c.list, nil
	}
	list, err := k.Store.SigningKeys(ctx, orgID)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	if k.lists == nil {
		k.lists = map[int64]cachedKeys{}
	}
	k.lists[orgID] = cachedKeys{list: list, at: now}
	k.mu.Unlock()
	return list, nil
}

func (k *Keys) forget(orgID int64) {
	k.mu.Lock()
	delete(k.lists, orgID)
	k.mu.Unlock()
}

func keyBinding(orgID int64, id string) []byte {
	return []byte("ims oidc signing key " + strconv.FormatInt(orgID, 10) + " " + id)
}

// create makes a key pair and stores it with the private key sealed.
func (k *Keys) create(ctx context.Context, orgID int64, alg string, activeFrom time.Time) (store.SigningKey, error) {
	sk, err := k.newKey(orgID, alg, activeFrom)
	if err != nil {
		return sk, err
	}
	return sk, k.Store.CreateSigningKey(ctx, &sk)
}

// newKey makes a key pair, the private key sealed.
func (k *Keys) newKey(orgID int64, alg string, activeFrom time.Time) (store.SigningKey, error) {
	var priv crypto.Signer
	var err error
	if alg == RS256 {
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	} else {
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		return store.SigningKey{}, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return store.SigningKey{}, err
	}
	pub, err := x509.MarshalPKIXPublicKey(priv.Public())
	if err != nil {
		return store.SigningKey{}, err
	}
	id := randomID(12)
	return store.SigningKey{ID: id, OrgID: orgID, Algorithm: alg, Public: pub, Private: k.Box.Seal(der, keyBinding(orgID, id)),
		CreatedAt: k.Now(), ActiveFrom: activeFrom}, nil
}

// open unseals a private key, once per key and process.
func (k *Keys) open(sk store.SigningKey) (crypto.Signer, error) {
	k.mu.Lock()
	signer, ok := k.private[sk.ID]
	k.mu.Unlock()
	if ok {
		return signer, nil
	}
	der, err := k.Box.Open(sk.Private, keyBinding(sk.OrgID, sk.ID))
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", sk.ID, err)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", sk.ID, err)
	}
	signer, ok = parsed.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("signing key %s: not a signing key", sk.ID)
	}
	k.mu.Lock()
	if k.private == nil {
		k.private = map[string]crypto.Signer{}
	}
	k.private[sk.ID] = signer
	k.mu.Unlock()
	return signer, nil
}

// randomID is n random bytes, unpadded base64url.
func randomID(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
