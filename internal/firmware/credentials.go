package firmware

import (
	"bytes"
	_ "embed"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/siegel-oss/siegel/internal/firmware/crypt"
	"github.com/siegel-oss/siegel/internal/firmware/unpack"
)

// RuleCredentials is the rule of every finding CheckCredentials makes.
const RuleCredentials = "weak-credentials"

// DefaultVerifyBudget bounds the password hashing CheckCredentials does for one image, in the
// units of crypt.Work (one SHA-512-crypt verification at 5,000 rounds, one to two milliseconds):
// an image full of slow hashes is checked for a few seconds at most, not for hours.
const DefaultVerifyBudget = 5000

//go:embed data/default-credentials.tsv
var defaultCredentialsTSV string

// DefaultCredential is a user name and password that devices ship with or botnets try.
type DefaultCredential struct {
	User     string
	Password string // "" for no password
	Source   string // "mirai" for the Mirai scanner's list, else the vendor or distribution
}

// DefaultCredentials returns the built-in list, in the order it is tried.
func DefaultCredentials() []DefaultCredential {
	return slices.Clone(loadDefaults())
}

var loadDefaults = sync.OnceValue(func() []DefaultCredential {
	creds, _ := parseDefaultCredentials(defaultCredentialsTSV) // a test checks it has no errors
	return creds
})

func parseDefaultCredentials(data string) ([]DefaultCredential, []error) {
	var out []DefaultCredential
	var errs []error
	for i, line := range strings.Split(data, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 || f[0] == "" || f[2] == "" {
			errs = append(errs, &AccountFileError{Path: "default-credentials.tsv", Line: i + 1, Rule: "columns", Err: fmt.Errorf("want user, password and source separated by tabs")})
			continue
		}
		out = append(out, DefaultCredential{User: f[0], Password: f[1], Source: f[2]})
	}
	return out, errs
}

// CheckCredentials finds the accounts of every passwd/shadow pair in t (one per "etc" directory,
// so several root file systems in one tree are each checked) that anyone can log in to: no
// password, or a password from the default list (each account is tried with its own defaults
// first, then with every other password of the list, since vendors reuse them). It also reports
// hashes in the world-readable passwd file and hashes of weak schemes. Verification work is
// bounded by DefaultVerifyBudget; a finding says so when the budget ran out.
func CheckCredentials(t *unpack.Tree) []Weakness {
	return checkCredentials(t, DefaultVerifyBudget)
}

// accountDB is one passwd file and the shadow file beside it.
type accountDB struct {
	passwdPath, shadowPath string // resolved tree paths; "" when missing
	accounts               []*account
}

type account struct {
	name        string
	uid         int // -1 when unknown
	shell       string
	inPasswd    bool
	passwdField string
	passwdLine  int
	inShadow    bool
	shadowField string
	shadowLine  int
}

// loginShell reports whether an account's shell gives a session. An account without a passwd
// entry (only a shadow file in the image) counts as able to log in: nothing shows otherwise.
func (a *account) loginShell() bool {
	if !a.inPasswd {
		return true
	}
	switch a.shell {
	case "/bin/false", "/usr/bin/false", "/sbin/nologin", "/usr/sbin/nologin", "/bin/nologin",
		"/usr/bin/nologin", "/dev/null":
		return false
	}
	return true
}

func (a *account) describe() string {
	s := "account " + a.name
	if a.uid == 0 {
		s += " (UID 0, full root privileges)"
	}
	return s
}

// locked reports whether a password field admits no password: "*", "!", "!!", "x" and
// anything starting with "!" or "*" (a locked hash).
func locked(field string) bool {
	return field == "x" || strings.HasPrefix(field, "!") || strings.HasPrefix(field, "*")
}

// findAccountDBs pairs every passwd file in a directory named "etc" (or "etc_ro" and the like,
// which some SDKs copy to /etc at boot) with the shadow file beside it. Backups such as
// "passwd-" are not read: the system does not use them.
func findAccountDBs(t *unpack.Tree) []*accountDB {
	dirs := map[string]bool{}
	for _, e := range t.Entries() {
		dir, base := path.Split(e.Path)
		if base != "passwd" && base != "shadow" {
			continue
		}
		d := path.Base(strings.TrimSuffix(dir, "/"))
		if dir == "" || d != "etc" && !strings.HasPrefix(d, "etc_") {
			continue
		}
		dirs[strings.TrimSuffix(dir, "/")] = true
	}
	// Pairs with a passwd file first, so that a shadow file they use through a link (often a
	// template in etc_ro) is not read a second time on its own.
	var dbs []*accountDB
	used := map[string]bool{}
	for _, withPasswd := range []bool{true, false} {
		for _, dir := range slices.Sorted(maps.Keys(dirs)) {
			root := path.Dir(dir) // the root file system the etc directory belongs to
			pe := resolveIn(t, root, dir+"/passwd")
			if (pe != nil) != withPasswd {
				continue
			}
			se := resolveIn(t, root, dir+"/shadow")
			db := &accountDB{}
			var pw, sh []byte
			if pe != nil {
				db.passwdPath, pw = pe.Path, pe.Data
			}
			if se != nil && !(pe == nil && used[se.Path]) {
				db.shadowPath, sh = se.Path, se.Data
				used[se.Path] = true
			}
			if db.passwdPath == "" && db.shadowPath == "" {
				continue
			}
			pwEntries, _ := parsePasswd(pw) // malformed lines are skipped, as the C library skips them
			shEntries, _ := parseShadow(sh)
			db.accounts = mergeAccounts(pwEntries, shEntries, db.passwdPath != "")
			dbs = append(dbs, db)
		}
	}
	return dbs
}

// resolveIn follows symbolic links from p with root (a tree path, "." for the tree's root) as
// "/", and returns the regular file it ends at, or nil.
func resolveIn(t *unpack.Tree, root, p string) *unpack.Entry {
	if root == "." || root == "" {
		e := t.Resolve(p)
		if e == nil || !e.Mode.IsRegular() {
			return nil
		}
		return e
	}
	for range 40 {
		e := t.Entry(p)
		if e == nil {
			e = t.Resolve(p) // a link on a parent directory, relative
			if e == nil || !e.Mode.IsRegular() {
				return nil
			}
			return e
		}
		if e.Mode.IsRegular() {
			return e
		}
		if e.Mode&fs.ModeSymlink == 0 {
			return nil
		}
		target := e.Link
		if strings.HasPrefix(target, "/") {
			target = root + "/" + target
		} else {
			target = path.Join(path.Dir(p), target)
		}
		target = path.Clean(target)
		if target != root && !strings.HasPrefix(target, root+"/") {
			return nil // climbs out of this root file system
		}
		p = target
	}
	return nil
}

func mergeAccounts(pw []passwdEntry, sh []shadowEntry, havePasswd bool) []*account {
	byName := map[string]*account{}
	var out []*account
	for _, p := range pw {
		if _, dup := byName[p.Name]; dup {
			continue // the C library stops at the first entry of a name
		}
		a := &account{name: p.Name, uid: p.UID, shell: p.Shell, inPasswd: true, passwdField: p.Password, passwdLine: p.Line}
		byName[p.Name] = a
		out = append(out, a)
	}
	for _, s := range sh {
		a := byName[s.Name]
		if a == nil {
			if havePasswd {
				continue // no passwd entry: the system knows no such user
			}
			a = &account{name: s.Name, uid: -1}
			byName[s.Name] = a
			out = append(out, a)
		}
		if a.inShadow {
			continue
		}
		a.inShadow, a.shadowField, a.shadowLine = true, s.Password, s.Line
	}
	return out
}

// credential is one password field to judge: where it is and whose it is.
type credential struct {
	acct  *account
	hash  string
	path  string
	line  int
	found bool // a default password matched
}

func checkCredentials(t *unpack.Tree, budget int) []Weakness {
	var out []Weakness
	var creds []*credential
	for _, db := range findAccountDBs(t) {
		for _, a := range db.accounts {
			out, creds = judgeAccount(db, a, out, creds)
		}
	}
	out = append(out, verifyDefaults(creds, budget)...)
	slices.SortStableFunc(out, func(a, b Weakness) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

var (
	reqNoDefault = []string{"ETSI EN 303 645 5.1-1", "BSI TR-03148 (passwords)", "CRA Annex I Part I (2)(b)", "CRA Annex I Part I (2)(d)"}
	reqStorage   = []string{"ETSI EN 303 645 5.4-1", "CRA Annex I Part I (2)(d)", "CRA Annex I Part I (2)(e)"}
	reqHash      = []string{"ETSI EN 303 645 5.1-3", "CRA Annex I Part I (2)(d)", "CRA Annex I Part I (2)(e)"}
)

// judgeAccount reports what one account's password fields show by themselves, and queues the
// hashes to try default passwords on.
func judgeAccount(db *accountDB, a *account, out []Weakness, creds []*credential) ([]Weakness, []*credential) {
	// The passwd field decides first: "x" defers to shadow, anything else is the password.
	var field, file string
	var line int
	switch {
	case a.inPasswd && a.passwdField != "x":
		field, file, line = a.passwdField, db.passwdPath, a.passwdLine
	case a.inShadow:
		field, file, line = a.shadowField, db.shadowPath, a.shadowLine
	default:
		return out, creds // "x" without a shadow entry: no password can match
	}

	// A hash in passwd is exposed even when the account is locked with a leading "!".
	if h := strings.TrimLeft(a.passwdField, "!*"); a.inPasswd && h != "" && a.passwdField != "x" && crypt.Scheme(h) != crypt.SchemeUnknown {
		out = append(out, Weakness{
			Rule: RuleCredentials, ID: "passwd-hash", Severity: "medium", Path: db.passwdPath, Line: a.passwdLine,
			Message:      fmt.Sprintf("The password hash of %s is in /etc/passwd, which every user and process can read, instead of /etc/shadow: anyone on the device can copy it and guess the password offline.", a.describe()),
			Evidence:     fmt.Sprintf("user %q, %s hash", a.name, crypt.Scheme(h)),
			Requirements: reqStorage,
		})
	}
	if locked(field) {
		return out, creds
	}
	if field == "" {
		if a.loginShell() {
			where := "/etc/shadow"
			if file == db.passwdPath {
				where = "/etc/passwd"
			}
			out = append(out, emptyPassword(a, file, line, fmt.Sprintf("its password field in %s is empty", where)))
		}
		return out, creds
	}
	switch s := crypt.Scheme(field); s {
	case crypt.SchemeDES, crypt.SchemeBSDi, crypt.SchemeMD5:
		sev, why := "low", "DES-based crypt uses at most 8 characters of the password and a 12-bit salt, and one GPU tries about a billion candidates a second"
		if s == crypt.SchemeMD5 {
			sev, why = "info", "MD5-crypt is fast enough to guess billions of passwords a day on a GPU"
		} else if s == crypt.SchemeBSDi {
			why = "BSDi DES crypt is a 56-bit DES construction with a small, attacker-readable iteration count"
		}
		out = append(out, Weakness{
			Rule: RuleCredentials, ID: "weak-hash-scheme", Severity: sev, Path: file, Line: line,
			Message:      fmt.Sprintf("The password of %s is hashed with %s: %s. Use SHA-512-crypt, bcrypt or yescrypt.", a.describe(), s, why),
			Evidence:     fmt.Sprintf("user %q, %s hash", a.name, s),
			Requirements: reqHash,
		})
	}
	if a.loginShell() {
		creds = append(creds, &credential{acct: a, hash: field, path: file, line: line})
	}
	return out, creds
}

func emptyPassword(a *account, file string, line int, why string) Weakness {
	sev, reach := "critical", "anyone who reaches a login (serial console, telnet, SSH, a web interface that checks system accounts) gets a shell"
	if a.uid == 0 {
		reach += " with root privileges"
	}
	return Weakness{
		Rule: RuleCredentials, ID: "empty-password", Severity: sev, Path: file, Line: line,
		Message:      fmt.Sprintf("The %s logs in without a password (%s): %s.", a.describe(), why, reach),
		Evidence:     fmt.Sprintf("user %q, password \"\"", a.name),
		Requirements: reqNoDefault,
	}
}

// verifyDefaults tries the default list against the queued hashes. Identical hashes are
// verified once; each hash stops at its first match. The account's own defaults and the empty
// password go first for every hash, then the rest of the list, so a spent budget costs the least
// likely guesses.
func verifyDefaults(creds []*credential, budget int) []Weakness {
	defaults := loadDefaults()
	type target struct {
		hash  string
		creds []*credential
		tried map[string]bool
		done  bool
	}
	var targets []*target
	byHash := map[string]*target{}
	for _, c := range creds {
		tg := byHash[c.hash]
		if tg == nil {
			tg = &target{hash: c.hash, tried: map[string]bool{}}
			byHash[c.hash] = tg
			targets = append(targets, tg)
		}
		tg.creds = append(tg.creds, c)
	}

	var out []Weakness
	spent, skipped := 0, 0
	try := func(tg *target, pw string) {
		if tg.done || tg.tried[pw] {
			return
		}
		tg.tried[pw] = true
		w := crypt.Work(tg.hash)
		if spent+w > budget {
			skipped++
			return
		}
		spent += w
		ok, err := crypt.Verify(tg.hash, pw)
		if err != nil {
			tg.done = true // unsupported scheme or above the work limits: nothing to learn
			return
		}
		if !ok {
			return
		}
		tg.done = true
		for _, c := range tg.creds {
			c.found = true
			out = append(out, defaultPassword(c, pw, defaults))
		}
	}
	for _, tg := range targets {
		try(tg, "")
		for _, c := range tg.creds {
			for _, d := range defaults {
				if d.User == c.acct.name {
					try(tg, d.Password)
				}
			}
		}
	}
	for _, tg := range targets {
		for _, d := range defaults {
			try(tg, d.Password)
		}
	}
	if skipped > 0 {
		var files []string
		for _, tg := range targets {
			for _, c := range tg.creds {
				if !c.found && !slices.Contains(files, c.path) {
					files = append(files, c.path)
				}
			}
		}
		out = append(out, Weakness{
			Rule: RuleCredentials, ID: "check-incomplete", Severity: "info", Path: files[0],
			Evidence:     "unchecked accounts in " + strings.Join(files, ", "),
			Message:      fmt.Sprintf("Default passwords were not all tried: %d verifications were skipped once the budget of %d work units (about %d default SHA-512-crypt hashes) was spent. Accounts not reported may still have a default password.", skipped, budget, budget),
			Requirements: reqNoDefault,
		})
	}
	return out
}

func defaultPassword(c *credential, pw string, defaults []DefaultCredential) Weakness {
	a := c.acct
	if pw == "" {
		return emptyPassword(a, c.path, c.line, "its hash is the hash of the empty password")
	}
	var sources []string
	own := false
	for _, d := range defaults {
		if d.Password == pw {
			own = own || d.User == a.name
			if !slices.Contains(sources, d.Source) {
				sources = append(sources, d.Source)
			}
		}
	}
	what := "a password from the default list"
	if slices.Contains(sources, "mirai") {
		what = "a password the Mirai botnet and its successors try on every device they reach"
	}
	if !own {
		what += " (listed for another user: vendors reuse them)"
	}
	reach := "anyone who reaches a login (serial console, telnet, SSH, a web interface that checks system accounts) gets a shell"
	if a.uid == 0 {
		reach += " with root privileges"
	}
	return Weakness{
		Rule: RuleCredentials, ID: "default-password", Severity: "critical", Path: c.path, Line: c.line,
		Message:      fmt.Sprintf("The %s has the password %q, %s: %s.", a.describe(), pw, what, reach),
		Evidence:     fmt.Sprintf("user %q, password %q (%s)", a.name, pw, strings.Join(sources, ", ")),
		Requirements: reqNoDefault,
	}
}

// AccountFileError says what is wrong with a line of a passwd or shadow file.
type AccountFileError struct {
	Path string // the file, when known
	Line int    // 1-based
	Rule string // what was violated, such as "fields" or "uid"
	Err  error
}

func (e *AccountFileError) Error() string {
	return fmt.Sprintf("%s:%d: %s: %v", e.Path, e.Line, e.Rule, e.Err)
}

func (e *AccountFileError) Unwrap() error { return e.Err }

// Limits on account files: real ones have a few dozen short lines.
const (
	maxAccountLine  = 64 << 10
	maxAccountLines = 100_000
)

type passwdEntry struct {
	Name, Password string
	UID            int // -1 when the field is missing
	Shell          string
	Line           int
}

type shadowEntry struct {
	Name, Password string
	Line           int
}

// accountLines calls f with the fields of every line that is not blank, a comment or an NIS
// "+"/"-" inclusion, and collects the errors f and the limits produce.
func accountLines(file string, data []byte, f func(n int, fields []string) error) []error {
	var errs []error
	n := 0
	for len(data) > 0 {
		n++
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if n > maxAccountLines {
			return append(errs, &AccountFileError{Path: file, Line: n, Rule: "size", Err: fmt.Errorf("more than %d lines", maxAccountLines)})
		}
		if len(line) > maxAccountLine {
			errs = append(errs, &AccountFileError{Path: file, Line: n, Rule: "line length", Err: fmt.Errorf("%d bytes, more than %d", len(line), maxAccountLine)})
			continue
		}
		text := strings.TrimSuffix(string(line), "\r")
		if strings.TrimSpace(text) == "" || text[0] == '#' || text[0] == '+' || text[0] == '-' {
			continue
		}
		if err := f(n, strings.Split(text, ":")); err != nil {
			errs = append(errs, &AccountFileError{Path: file, Line: n, Rule: "fields", Err: err})
		}
	}
	return errs
}

// parsePasswd reads passwd(5) lines, name:password:UID:GID:GECOS:home:shell. Lines the C library
// would reject (no name, a UID that is not a number) are skipped and reported; short lines keep
// what they have, as BusyBox does.
func parsePasswd(data []byte) ([]passwdEntry, []error) {
	var out []passwdEntry
	errs := accountLines("passwd", data, func(n int, f []string) error {
		if len(f) < 2 || f[0] == "" {
			return fmt.Errorf("want at least name and password separated by ':'")
		}
		e := passwdEntry{Name: f[0], Password: f[1], UID: -1, Line: n}
		if len(f) > 2 {
			uid, err := strconv.ParseUint(f[2], 10, 32)
			if err != nil {
				return fmt.Errorf("UID %q is not a number", f[2])
			}
			e.UID = int(uid)
		}
		if len(f) > 6 {
			e.Shell = f[6]
		}
		out = append(out, e)
		return nil
	})
	return out, errs
}

// parseShadow reads shadow(5) lines, name:hash:lastchange:min:max:warn:inactive:expire:. Only the
// first two fields matter here.
func parseShadow(data []byte) ([]shadowEntry, []error) {
	var out []shadowEntry
	errs := accountLines("shadow", data, func(n int, f []string) error {
		if len(f) < 2 || f[0] == "" {
			return fmt.Errorf("want at least name and password separated by ':'")
		}
		out = append(out, shadowEntry{Name: f[0], Password: f[1], Line: n})
		return nil
	})
	return out, errs
}
