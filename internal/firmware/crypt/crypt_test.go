package crypt

import (
	"bufio"
	"crypto/des"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/siegel-oss/siegel/internal/testtool"
)

// TestDESMatchesStandard checks the DES core against crypto/des: without a salt, one encryption
// is plain DES.
func TestDESMatchesStandard(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		key, block := r.Uint64(), r.Uint64()
		var kb, in, want [8]byte
		binary.BigEndian.PutUint64(kb[:], key)
		binary.BigEndian.PutUint64(in[:], block)
		c, err := des.NewCipher(kb[:])
		if err != nil {
			t.Fatal(err)
		}
		c.Encrypt(want[:], in[:])
		ks := desSchedule(key)
		if got := desEncrypt(block, &ks, 0, 1); got != binary.BigEndian.Uint64(want[:]) {
			t.Fatalf("DES(%016x, %016x) = %016x, want %x", key, block, got, want)
		}
	}
}

type vector struct {
	scheme, password, hash, source string
}

func readVectors(t *testing.T) []vector {
	t.Helper()
	f, err := os.Open("testdata/vectors.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var vs []vector
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			t.Fatalf("vectors.tsv:%d: %d columns, want 4", n, len(f))
		}
		vs = append(vs, vector{f[0], f[1], f[2], f[3]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return vs
}

// TestKnownAnswers checks the vectors generated with mkpasswd, openssl and Python's crypt module
// (testdata/vectors.tsv), each against its password and against a wrong one.
func TestKnownAnswers(t *testing.T) {
	vs := readVectors(t)
	seen := map[string]bool{}
	for _, v := range vs {
		seen[v.scheme] = true
		t.Run(fmt.Sprintf("%s/%s/%.12q", v.source, v.scheme, v.password), func(t *testing.T) {
			checkVector(t, v.scheme, v.password, v.hash)
		})
	}
	for _, s := range []string{SchemeDES, SchemeBSDi, SchemeMD5, SchemeSHA256, SchemeSHA512, SchemeBcrypt} {
		if !seen[s] {
			t.Errorf("no vector for %s", s)
		}
	}
}

func checkVector(t *testing.T, scheme, password, hash string) {
	t.Helper()
	if got := Scheme(hash); got != scheme {
		t.Errorf("Scheme(%q) = %q, want %q", hash, got, scheme)
	}
	ok, err := Verify(hash, password)
	if err != nil || !ok {
		t.Errorf("Verify(%q, %q) = %v, %v; want true", hash, password, ok, err)
	}
	wrong := password + "x"
	if scheme == SchemeDES && len(password) >= 8 || scheme == SchemeBcrypt && len(password) >= 72 {
		// These schemes ignore what follows: change the first byte instead.
		wrong = string(password[0]^1) + password[1:]
	}
	if ok, err := Verify(hash, wrong); err != nil || ok {
		t.Errorf("Verify(%q, %q) = %v, %v; want false", hash, wrong, ok, err)
	}
}

// TestSpecVectors checks the test vectors published with Drepper's SHA-crypt specification. Salts
// longer than 16 characters appear truncated in the output, as the specification says.
func TestSpecVectors(t *testing.T) {
	for _, v := range []struct{ password, hash string }{
		{"Hello world!", "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5"},
		{"Hello world!", "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA"},
		{"This is just a test", "$5$rounds=5000$toolongsaltstrin$Un/5jzAHMgOGZ5.mWJpuVolil07guHPvOW8mGRcvxa5"},
		{"a very much longer text to encrypt.  This one even stretches over morethan one line.", "$5$rounds=1400$anotherlongsalts$Rx.j8H.h8HjEDGomFU8bDkXm3XIUnzyxf12oP84Bnq1"},
		{"we have a short salt string but not a short password", "$5$rounds=77777$short$JiO1O3ZpDAxGJeaDIuqCoEFysAe1mZNJRs3pw0KQRd/"},
		{"a short string", "$5$rounds=123456$asaltof16chars..$gP3VQ/6X7UUEW3HkBn2w1/Ptq2jxPyzV/cZKmF/wJvD"},
		{"the minimum number is still observed", "$5$rounds=1000$roundstoolow$yfvwcWrQ8l/K0DAWyuPMDNHpIVlTQebY9l/gL972bIC"},
		// rounds=10 is raised to the minimum of 1000: the same checksum verifies.
		{"the minimum number is still observed", "$5$rounds=10$roundstoolow$yfvwcWrQ8l/K0DAWyuPMDNHpIVlTQebY9l/gL972bIC"},
		{"Hello world!", "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"},
		{"Hello world!", "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v."},
		{"This is just a test", "$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0"},
		{"a very much longer text to encrypt.  This one even stretches over morethan one line.", "$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1"},
		{"we have a short salt string but not a short password", "$6$rounds=77777$short$WuQyW2YR.hBNpjjRhpYD/ifIw05xdfeEyQoMxIXbkvr0gge1a1x3yRULJ5CCaUeOxFmtlcGZelFl5CxtgfiAc0"},
		{"a short string", "$6$rounds=123456$asaltof16chars..$BtCwjqMJGx5hrJhZywWvt0RLE8uZ4oPwcelCjmw2kSYu.Ec6ycULevoBK25fs2xXgMNrCzIMVcgEJAstJeonj1"},
		{"the minimum number is still observed", "$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX."},
	} {
		ok, err := Verify(v.hash, v.password)
		if err != nil || !ok {
			t.Errorf("Verify(%q, %q) = %v, %v; want true", v.hash, v.password, ok, err)
		}
		if ok, err := Verify(v.hash, v.password+"!"); err != nil || ok {
			t.Errorf("Verify(%q, wrong) = %v, %v; want false", v.hash, ok, err)
		}
	}
}

// TestAgainstTools hashes fresh random passwords with mkpasswd and openssl and checks that
// Verify accepts them.
func TestAgainstTools(t *testing.T) {
	r := rand.New(rand.NewPCG(uint64(os.Getpid()), 7))
	pw := func() string {
		const chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 !#%&()*+,-./:;<=>?@[]^_{|}~"
		b := make([]byte, 1+r.IntN(30))
		for i := range b {
			b[i] = chars[r.IntN(len(chars))]
		}
		return string(b)
	}
	run := func(t *testing.T, stdin string, name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s %v: %v", name, args, err)
		}
		return strings.TrimSpace(string(out))
	}
	t.Run("mkpasswd", func(t *testing.T) {
		mk := testtool.Path(t, "mkpasswd")
		for _, m := range []struct{ method, scheme string }{
			{"descrypt", SchemeDES}, {"bsdicrypt", SchemeBSDi}, {"md5crypt", SchemeMD5},
			{"sha256crypt", SchemeSHA256}, {"sha512crypt", SchemeSHA512}, {"bcrypt", SchemeBcrypt},
		} {
			for range 4 {
				p := pw()
				args := []string{"-s", "-m", m.method}
				switch m.method {
				case "bcrypt":
					args = append(args, "-R", "5")
				case "sha256crypt", "sha512crypt":
					args = append(args, "-R", "1000")
				}
				checkVector(t, m.scheme, p, run(t, p, mk, args...))
			}
		}
	})
	t.Run("openssl", func(t *testing.T) {
		ossl := testtool.Path(t, "openssl")
		for _, m := range []struct{ flag, scheme string }{{"-1", SchemeMD5}, {"-5", SchemeSHA256}, {"-6", SchemeSHA512}} {
			for range 4 {
				p := pw()
				checkVector(t, m.scheme, p, run(t, p+"\n", ossl, "passwd", m.flag, "-stdin"))
			}
		}
	})
}

func TestScheme(t *testing.T) {
	for _, c := range []struct{ hash, want string }{
		{"", ""},
		{"abmF1QH4PEr.E", SchemeDES},
		{"_J9..QavCOHrK9QsSj.g", SchemeBSDi},
		{"$1$abc$xyz", SchemeMD5},
		{"$5$abc$xyz", SchemeSHA256},
		{"$6$rounds=5000$abc$xyz", SchemeSHA512},
		{"$2b$10$x", SchemeBcrypt},
		{"$y$j9T$abc$def", SchemeYescrypt},
		{"$gy$j9T$abc$def", SchemeGostYescrypt},
		{"$7$CU..../....abc$def", SchemeScrypt},
		{"$argon2id$v=19$m=65536,t=2,p=1$abc$def", SchemeArgon2},
		{"$md5,rounds=5000$abc$$def", SchemeSunMD5},
		{"$3$$8846f7eaee8fb117ad06bdd830b7586c", SchemeNT},
		{"$sha1$40000$abc$def", SchemeSHA1},
		{"!", SchemeUnknown},
		{"*", SchemeUnknown},
		{"abmF1QH4PEr.", SchemeUnknown},
		{"abmF1QH4PEr!E", SchemeUnknown},
	} {
		if got := Scheme(c.hash); got != c.want {
			t.Errorf("Scheme(%q) = %q, want %q", c.hash, got, c.want)
		}
	}
}

func TestErrors(t *testing.T) {
	for _, c := range []struct {
		name, hash string
		want       error
		contains   string
	}{
		{"empty", "", ErrMalformed, "empty hash"},
		{"locked", "!", ErrUnsupported, "no known"},
		{"yescrypt", "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7", ErrUnsupported, "yescrypt"},
		{"scrypt", "$7$CU..../....abcdefgh$abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNO", ErrUnsupported, "scrypt"},
		{"argon2", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG", ErrUnsupported, "argon2"},
		{"bcrypt 2x", "$2x$05$abcdefghijklmnopqrstuuwX7y5ED1mJ7/jrC3p2OVpl0RQ0IaGwu", ErrUnsupported, "$2x$"},
		{"sha rounds above limit", "$6$rounds=1000001$salt$" + strings.Repeat("a", 86), ErrCost, "1000000"},
		{"sha rounds huge", "$5$rounds=99999999999999999999999$salt$" + strings.Repeat("a", 43), ErrCost, "allowed"},
		{"sha rounds not a number", "$5$rounds=12a$salt$" + strings.Repeat("a", 43), ErrMalformed, "digit"},
		{"sha salt too long", "$5$saltsaltsaltsaltx$" + strings.Repeat("a", 43), ErrMalformed, "at most 16"},
		{"sha short checksum", "$6$salt$abc", ErrMalformed, "want 86"},
		{"sha no dollar", "$6$salt", ErrMalformed, "no '$'"},
		{"md5 salt too long", "$1$123456789$" + strings.Repeat("a", 22), ErrMalformed, "at most 8"},
		{"bcrypt cost above limit", "$2b$15$" + strings.Repeat("a", 53), ErrCost, "14"},
		{"bcrypt cost below minimum", "$2b$03$" + strings.Repeat("a", 53), ErrMalformed, "minimum"},
		{"bcrypt short", "$2b$10$abc", ErrMalformed, "want 60"},
		{"bsdi count above limit", "_zzzzsaltabcdefghijk", ErrCost, "allowed"},
		{"bsdi zero count", "_....saltabcdefghijk", ErrMalformed, "zero"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ok, err := Verify(c.hash, "password")
			var ce *Error
			if ok || !errors.Is(err, c.want) || !errors.As(err, &ce) || !strings.Contains(err.Error(), c.contains) {
				t.Errorf("Verify(%q) = %v, %v; want false and %v mentioning %q", c.hash, ok, err, c.want, c.contains)
			}
		})
	}
}

func TestWork(t *testing.T) {
	for _, c := range []struct {
		hash string
		want int
	}{
		{"abmF1QH4PEr.E", 1},
		{"$1$abc$" + strings.Repeat("a", 22), 1},
		{"$6$salt$" + strings.Repeat("a", 86), 1},
		{"$6$rounds=500000$salt$" + strings.Repeat("a", 86), 100},
		{"$2b$10$" + strings.Repeat("a", 53), 128},
		{"$2b$05$" + strings.Repeat("a", 53), 4},
		{"$2b$15$" + strings.Repeat("a", 53), 1}, // refused by Verify
		{"_J9..QavCOHrK9QsSj.g", 1},
		{"_zzz.saltabcdefghijk", 52},
		{"garbage", 1},
	} {
		if got := Work(c.hash); got != c.want {
			t.Errorf("Work(%q) = %d, want %d", c.hash, got, c.want)
		}
	}
}

func FuzzVerify(f *testing.F) {
	for _, s := range []string{
		"", "abmF1QH4PEr.E", "_J9..QavCOHrK9QsSj.g", "$1$abcdefgh$G//4keteveJp0qb8z2DxG/",
		"$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5",
		"$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX.",
		"$2b$05$xiAG5jBnsOYP7SLjHa0Yk.uWid1ANx0NWwXw7/5wiY276tX.C0Tay", "$5$rounds=$", "$6$rounds=1$$", "$2$", "$1$",
		"$y$j9T$abc$def", "_", "$",
	} {
		f.Add(s, "password")
	}
	f.Fuzz(func(t *testing.T, hash, password string) {
		// Keep each case cheap: the limits allow up to a second of work per hash, the fuzzer
		// needs many cases per second.
		if Work(hash) > 2 {
			return
		}
		ok, err := Verify(hash, password)
		if ok && err != nil {
			t.Fatalf("Verify(%q) = true with error %v", hash, err)
		}
		var ce *Error
		if err != nil && !errors.As(err, &ce) {
			t.Fatalf("Verify(%q) error %T %v is not an *Error", hash, err, err)
		}
		_ = Scheme(hash)
	})
}

func BenchmarkVerify(b *testing.B) {
	for _, c := range []struct{ name, hash string }{
		{"des-crypt", "abmF1QH4PEr.E"},
		{"bsdi-crypt-725", "_J9..QavCOHrK9QsSj.g"},
		{"md5-crypt", "$1$abcdefgh$G//4keteveJp0qb8z2DxG/"},
		{"sha256-crypt-5000", "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5"},
		{"sha512-crypt-5000", "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"},
		{"bcrypt-5", "$2b$05$xiAG5jBnsOYP7SLjHa0Yk.uWid1ANx0NWwXw7/5wiY276tX.C0Tay"},
		{"bcrypt-10", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Verify(c.hash, "password"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestHash(t *testing.T) {
	for _, c := range []struct{ setting, password, want string }{
		{"$5$saltstring", "Hello world!", "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5"},
		{"$6$rounds=1400$anotherlongsalts$", "a very much longer text to encrypt.  This one even stretches over morethan one line.", "$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1"},
		{"$1$abcdefgh", "password", "$1$abcdefgh$G//4keteveJp0qb8z2DxG/"},
		{"ab", "", "abmF1QH4PEr.E"},
		{"_J9..QavC", "password", "_J9..QavCOHrK9QsSj.g"},
	} {
		got, err := Hash(c.setting, c.password)
		if err != nil || got != c.want {
			t.Errorf("Hash(%q, %q) = %q, %v; want %q", c.setting, c.password, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "a", "$2b$05$abcdefghijklmnopqrstuu", "$y$j9T$salt", "a!", "$6$rounds=2000000$salt"} {
		if got, err := Hash(bad, "x"); err == nil {
			t.Errorf("Hash(%q) = %q, want an error", bad, got)
		}
	}
}

// TestHashAgainstTools hashes with the settings (salt, rounds) of hashes mkpasswd and openssl
// made, scheme by scheme, and expects the same hash.
func TestHashAgainstTools(t *testing.T) {
	setting := func(h string) string {
		switch Scheme(h) {
		case SchemeDES:
			return h[:2]
		case SchemeBSDi:
			return h[:9]
		}
		return h[:strings.LastIndexByte(h, '$')]
	}
	check := func(t *testing.T, pw string, name string, args ...string) {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Stdin = strings.NewReader(pw)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s %v: %v", name, args, err)
		}
		want := strings.TrimSpace(string(out))
		if got, err := Hash(setting(want), strings.TrimSuffix(pw, "\n")); err != nil || got != want {
			t.Errorf("Hash(%q, %q) = %q, %v; %s says %q", setting(want), pw, got, err, name, want)
		}
	}
	pws := []string{"", "admin", "a rather long password, with punctuation!"}
	t.Run("mkpasswd", func(t *testing.T) {
		mk := testtool.Path(t, "mkpasswd")
		for _, m := range [][]string{{"descrypt"}, {"bsdicrypt", "-R", "5001"}, {"md5crypt"},
			{"sha256crypt", "-R", "1000"}, {"sha512crypt", "-R", "1234"}} {
			for _, pw := range pws {
				check(t, pw, mk, append([]string{"-s", "-m"}, m...)...)
			}
		}
	})
	t.Run("openssl", func(t *testing.T) {
		ossl := testtool.Path(t, "openssl")
		for _, flag := range []string{"-1", "-5", "-6"} {
			for _, pw := range pws[1:] {
				check(t, pw+"\n", ossl, "passwd", flag, "-stdin")
			}
		}
	})
}
