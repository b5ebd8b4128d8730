package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"chatd"
	"chatd/ratelimit"
	"chatd/store"
)

// Phone OTP login (POST /api/auth/otp/send, POST /api/auth/otp/verify). Codes
// are stored only as an HMAC, one live code per phone, five minutes, at most
// five guesses compared.

const (
	otpTTL         = 5 * time.Minute
	otpMaxAttempts = 5
	otpMaxCodeLen  = 32 // anything longer cannot be a code; refuse before hashing
	aliasMaxRunes  = 50
)

// OTP errors carry the verbatim Italian messages the Login screen shows.
var (
	ErrPhoneFormat     = chatd.Errorf(chatd.EINVALID, "Formato numero non valido. Usa +39...")
	ErrOTPInvalid      = chatd.Errorf(chatd.EINVALID, "Codice non valido o scaduto")
	ErrOTPTooMany      = chatd.Errorf(chatd.EINVALID, "Troppi tentativi errati. Richiedi un nuovo codice.")
	ErrOTPNoAccount    = &chatd.Error{Code: chatd.ENOTFOUND, Message: "Account non trovato. Questa pagina consente solo l'accesso ad account esistenti.", Reason: "USER_NOT_FOUND"}
	ErrSMSFailed       = chatd.Errorf(chatd.EINTERNAL, "Errore nell'invio dell'SMS") // answered 500, as the original did
	errOTPRaceExceeded = errors.New("otp: attempt counter kept changing")
)

// RateLimitError says how long the caller must wait (POST /api/auth/otp/send's 429).
type RateLimitError struct{ RetryAfter int }

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("Troppe richieste. Riprova tra %d secondi.", e.RetryAfter)
}

var italianMobile = regexp.MustCompile(`^\+39\d{9,10}$`)

// CleanPhone removes all whitespace and checks the original's +39 pattern.
func CleanPhone(raw string) (string, error) {
	clean := strings.Join(strings.Fields(raw), "")
	if !italianMobile.MatchString(clean) {
		return "", ErrPhoneFormat
	}
	return clean, nil
}

// OTPStore is what the OTP flows need from the database.
type OTPStore interface {
	ReplaceVerifications(ctx context.Context, v store.Verification) error
	VerificationByIdentifier(ctx context.Context, identifier string) (store.Verification, error)
	SwapVerificationValue(ctx context.Context, id, old, new string) (bool, error)
	ConsumeVerification(ctx context.Context, id string) (bool, error)
	DeleteVerification(ctx context.Context, id string) error
	UserByPhone(ctx context.Context, phone string) (store.User, error)
	CreateUser(ctx context.Context, u store.User) error
}

// OTPConfig holds the HMAC key and the send limits of docs/http-routes.md, "Rate limits".
type OTPConfig struct {
	Secret           string // BETTER_AUTH_SECRET
	PhoneCooldown    time.Duration
	PhoneMaxPerHour  int
	IPMaxPerHour     int
	DisableSendLimit bool // tests of the verify path only
}

// OTP runs POST /api/auth/otp/send and POST /api/auth/otp/verify.
type OTP struct {
	cfg   OTPConfig
	store OTPStore
	sms   SMSSender
	log   *slog.Logger
	now   func() time.Time
	// The three send limits, checked and counted together under sendMu.
	sendMu        sync.Mutex
	phoneCooldown *ratelimit.Window
	phoneHourly   *ratelimit.Window
	ipHourly      *ratelimit.Window
}

// NewOTP wires the OTP flows; now is the clock for expiry and limits.
func NewOTP(cfg OTPConfig, st OTPStore, sms SMSSender, logger *slog.Logger, now func() time.Time) *OTP {
	return &OTP{cfg: cfg, store: st, sms: sms, log: logger, now: now,
		phoneCooldown: ratelimit.NewWindow(1, cfg.PhoneCooldown),
		phoneHourly:   ratelimit.NewWindow(cfg.PhoneMaxPerHour, time.Hour),
		ipHourly:      ratelimit.NewWindow(cfg.IPMaxPerHour, time.Hour),
	}
}

// otpValue is the verification row's value: the HMAC of the code, never the
// code itself, and the wrong attempts so far.
type otpValue struct {
	V int    `json:"v"`
	H string `json:"h"`
	A int    `json:"a"`
}

// otpHash is hex HMAC-SHA256(secret, "otp:v1:"+phone+":"+code).
func otpHash(secret, phone, code string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("otp:v1:" + phone + ":" + code))
	return hex.EncodeToString(m.Sum(nil))
}

func encodeOTPValue(v otpValue) string {
	b, _ := json.Marshal(v) // field order v, h, a as the contract writes it
	return string(b)
}

// newOTPCode draws six digits uniformly from 100000–999999.
func newOTPCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(900000))
	if err != nil {
		return "", fmt.Errorf("otp: code: %w", err)
	}
	return fmt.Sprintf("%06d", n.Int64()+100000), nil
}

// Send checks the limits, stores a fresh hashed code (replacing earlier ones)
// and texts it. A failed send deletes the row again.
func (o *OTP) Send(ctx context.Context, phone, clientIP string) error {
	if err := o.takeSendSlot(phone, clientIP); err != nil {
		return err
	}
	code, err := newOTPCode()
	if err != nil {
		return err
	}
	now := chatd.DBTime(o.now())
	v := store.Verification{ID: store.NewID(), Identifier: phone, ExpiresAt: now.Add(otpTTL), CreatedAt: now, UpdatedAt: now,
		Value: encodeOTPValue(otpValue{V: 1, H: otpHash(o.cfg.Secret, phone, code)})}
	if err := o.store.ReplaceVerifications(ctx, v); err != nil {
		return fmt.Errorf("otp: store code: %w", err)
	}
	if err := o.sms.Send(ctx, phone, "Il tuo codice di verifica è: "+code); err != nil {
		o.log.WarnContext(ctx, "otp sms failed", "error", err)
		if derr := o.store.DeleteVerification(context.WithoutCancel(ctx), v.ID); derr != nil {
			o.log.ErrorContext(ctx, "otp: delete unsent code", "error", derr)
		}
		return ErrSMSFailed
	}
	return nil
}

// takeSendSlot applies all three send limits at once: nothing is counted
// unless every limit allows the send.
func (o *OTP) takeSendSlot(phone, ip string) error {
	if o.cfg.DisableSendLimit {
		return nil
	}
	ok, wait := ratelimit.All(&o.sendMu, o.now(), ratelimit.Check{Limit: o.phoneCooldown, Key: phone},
		ratelimit.Check{Limit: o.phoneHourly, Key: phone}, ratelimit.Check{Limit: o.ipHourly, Key: ip})
	if !ok {
		return &RateLimitError{RetryAfter: ratelimit.RetrySeconds(wait)}
	}
	return nil
}

// OTPVerifyInput is POST /api/auth/otp/verify's body after decoding.
type OTPVerifyInput struct {
	Phone, Code, Alias, Gender string
	RequireExisting            bool
}

// OTPVerifyResult is either a user to log in, or NeedsAlias for a new number
// whose owner has not chosen a name yet (the code stays valid).
type OTPVerifyResult struct {
	User       store.User
	NeedsAlias bool
}

// Verify checks the code, then finds or creates the phone's user. The code is
// consumed only when a user will be logged in.
func (o *OTP) Verify(ctx context.Context, in OTPVerifyInput) (OTPVerifyResult, error) {
	row, err := o.checkCode(ctx, in.Phone, in.Code)
	if err != nil {
		return OTPVerifyResult{}, err
	}
	user, err := o.store.UserByPhone(ctx, in.Phone)
	found := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return OTPVerifyResult{}, fmt.Errorf("otp: user by phone: %w", err)
	}
	alias := strings.TrimSpace(in.Alias)
	if !found && in.RequireExisting {
		return OTPVerifyResult{}, ErrOTPNoAccount
	}
	if !found && alias == "" {
		return OTPVerifyResult{NeedsAlias: true}, nil
	}
	if consumed, err := o.store.ConsumeVerification(ctx, row.ID); err != nil {
		return OTPVerifyResult{}, fmt.Errorf("otp: consume: %w", err)
	} else if !consumed {
		return OTPVerifyResult{}, ErrOTPInvalid // a concurrent request used the code first
	}
	if found {
		return OTPVerifyResult{User: user}, nil
	}
	user = newPhoneUser(in.Phone, alias, in.Gender, chatd.DBTime(o.now()))
	if err := o.store.CreateUser(ctx, user); err != nil {
		return OTPVerifyResult{}, fmt.Errorf("otp: create user: %w", err)
	}
	return OTPVerifyResult{User: user}, nil
}

func newPhoneUser(phone, alias, gender string, now time.Time) store.User {
	if gender != "male" && gender != "female" && gender != "other" {
		gender = "other"
	}
	if utf8.RuneCountInString(alias) > aliasMaxRunes {
		alias = string([]rune(alias)[:aliasMaxRunes])
	}
	return store.User{ID: store.NewID(), Name: sql.NullString{String: alias, Valid: true},
		PhoneNumber:   sql.NullString{String: phone, Valid: true},
		Gender:        sql.NullString{String: gender, Valid: true},
		EmailVerified: sql.NullBool{Bool: false, Valid: true}, Role: "USER", CreatedAt: now, UpdatedAt: now}
}

// checkCode returns the live row when code matches it. Every comparison,
// right or wrong, first takes one of the code's otpMaxAttempts slots with a
// conditional UPDATE (a compare-and-swap on the value holding the count), and
// only the request whose UPDATE changed the row compares: however many
// guesses arrive at once, at most five are ever compared against one code.
// The request holding the last slot destroys a code it did not match.
func (o *OTP) checkCode(ctx context.Context, phone, code string) (store.Verification, error) {
	for range otpMaxAttempts + 3 { // a lost swap means another request took a slot: at most five do
		row, err := o.store.VerificationByIdentifier(ctx, phone)
		if errors.Is(err, store.ErrNotFound) {
			return store.Verification{}, ErrOTPInvalid
		} else if err != nil {
			return store.Verification{}, fmt.Errorf("otp: load code: %w", err)
		}
		if !row.ExpiresAt.After(o.now()) {
			return store.Verification{}, ErrOTPInvalid
		}
		val, ok := o.parseValue(phone, row.Value)
		if !ok {
			return store.Verification{}, ErrOTPInvalid
		}
		if val.A >= otpMaxAttempts {
			return store.Verification{}, ErrOTPTooMany // the holder of the last slot is destroying it
		}
		val.A++
		taken, err := o.store.SwapVerificationValue(ctx, row.ID, row.Value, encodeOTPValue(val))
		if err != nil {
			return store.Verification{}, fmt.Errorf("otp: count attempt: %w", err)
		} else if !taken {
			continue
		}
		if len(code) <= otpMaxCodeLen && subtle.ConstantTimeCompare([]byte(val.H), []byte(otpHash(o.cfg.Secret, phone, code))) == 1 {
			return row, nil
		}
		if val.A >= otpMaxAttempts {
			if err := o.store.DeleteVerification(ctx, row.ID); err != nil {
				return store.Verification{}, fmt.Errorf("otp: destroy code: %w", err)
			}
			return store.Verification{}, ErrOTPTooMany
		}
		return store.Verification{}, ErrOTPInvalid
	}
	return store.Verification{}, errOTPRaceExceeded
}

// parseValue reads a hashed row, or a legacy row holding the bare six-digit
// code (written before cutover), which is hashed here so that both compare
// the same way and a legacy row's attempts are counted too.
func (o *OTP) parseValue(phone, raw string) (otpValue, bool) {
	var v otpValue
	if err := json.Unmarshal([]byte(raw), &v); err == nil && v.V == 1 && v.H != "" {
		return v, true
	}
	if len(raw) == 6 && strings.Trim(raw, "0123456789") == "" {
		return otpValue{V: 1, H: otpHash(o.cfg.Secret, phone, raw)}, true
	}
	return otpValue{}, false
}
