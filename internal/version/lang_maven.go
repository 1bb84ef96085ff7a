package version

import (
	"errors"
	"fmt"
	"strings"
)

// mavenRules orders Maven artifact versions as Maven's ComparableVersion (maven-artifact 3.8)
// does: the version is split into items at '.', '-' and digit/letter transitions; '-' and a
// transition open a nested list; trailing "null" items (0, "", "final", "ga", "release") are
// dropped; qualifiers order alpha < beta < milestone < rc = cr < snapshot < (release) < sp, with
// unknown qualifiers after them in lexical order.
type mavenRules struct{}

func (mavenRules) Ecosystem() string { return "Maven" }

type mavenKind int8

const (
	mavenInt mavenKind = iota
	mavenString
	mavenList
)

// mavenItem is a node of the parsed tree, stored flat: a list item owns children[first:last].
type mavenItem struct {
	kind  mavenKind
	val   string // int: digits without leading zeros; string: comparable qualifier
	first int    // list: index of the first child in mavenV.items
	n     int    // list: number of children
}

type mavenV struct {
	raw   string
	items []mavenItem // items[0] is the root list
	kids  []int       // child indices, referenced by list items
}

func (v *mavenV) String() string { return v.raw }

// Qualifier order; release aliases map to "" (index 5).
var mavenQualifiers = []string{"alpha", "beta", "milestone", "rc", "snapshot", "", "sp"}

// mavenQualifierKeys holds the sort keys of the known qualifiers, one digit each, so that taking
// a key is a substring rather than an allocation.
const mavenQualifierKeys = "0123456"

var mavenAliases = map[string]string{"ga": "", "final": "", "release": "", "cr": "rc"}

// comparableQualifier gives a qualifier a sort key: its index among the known qualifiers, or,
// for an unknown one, "7-" followed by the qualifier.
func comparableQualifier(q string) string {
	for i, k := range mavenQualifiers {
		if k == q {
			return mavenQualifierKeys[i : i+1]
		}
	}
	return fmt.Sprintf("%d-%s", len(mavenQualifiers), q)
}

// mavenBuild is the tree under construction: lists as slices of item indices.
type mavenBuild struct {
	items []mavenItem
	lists map[int][]int // list item index -> children
}

func (b *mavenBuild) newList() int {
	b.items = append(b.items, mavenItem{kind: mavenList})
	return len(b.items) - 1
}

func (b *mavenBuild) addLeaf(list int, it mavenItem) {
	b.items = append(b.items, it)
	b.lists[list] = append(b.lists[list], len(b.items)-1)
}

func (b *mavenBuild) isNull(i int) bool {
	it := b.items[i]
	switch it.kind {
	case mavenInt:
		return it.val == ""
	case mavenString:
		return it.val == comparableQualifier("")
	}
	return len(b.lists[i]) == 0
}

// normalize drops trailing null items of a list, stopping at the first non-null non-list item.
func (b *mavenBuild) normalize(list int) {
	l := b.lists[list]
	for i := len(l) - 1; i >= 0; i-- {
		if b.isNull(l[i]) {
			l = append(l[:i], l[i+1:]...)
		} else if b.items[l[i]].kind != mavenList {
			break
		}
	}
	b.lists[list] = l
}

func (mavenRules) Parse(s string) (Version, error) {
	version := strings.ToLower(strings.TrimSpace(s))
	if version == "" {
		return nil, errors.New("Maven version is empty")
	}
	for i := 0; i < len(version); i++ {
		if c := version[i]; c < 0x21 || c > 0x7e {
			return nil, fmt.Errorf("Maven version %q: invalid character %q", s, c)
		}
	}
	b := &mavenBuild{lists: map[int][]int{}}
	root := b.newList()
	list := root
	stack := []int{root}
	parseItem := func(isDigit, followedByDigit bool, tok string) mavenItem {
		if isDigit {
			return mavenItem{kind: mavenInt, val: strings.TrimLeft(tok, "0")}
		}
		if followedByDigit && len(tok) == 1 {
			switch tok {
			case "a":
				tok = "alpha"
			case "b":
				tok = "beta"
			case "m":
				tok = "milestone"
			}
		}
		if a, ok := mavenAliases[tok]; ok {
			tok = a
		}
		return mavenItem{kind: mavenString, val: comparableQualifier(tok)}
	}
	openList := func() {
		n := b.newList()
		b.lists[list] = append(b.lists[list], n)
		list = n
		stack = append(stack, n)
	}
	isDigit := false
	start := 0
	for i := 0; i < len(version); i++ {
		c := version[i]
		switch {
		case c == '.':
			if i == start {
				b.addLeaf(list, mavenItem{kind: mavenInt})
			} else {
				b.addLeaf(list, parseItem(isDigit, false, version[start:i]))
			}
			start = i + 1
		case c == '-':
			if i == start {
				b.addLeaf(list, mavenItem{kind: mavenInt})
			} else {
				b.addLeaf(list, parseItem(isDigit, false, version[start:i]))
			}
			start = i + 1
			openList()
		case asciiDigit(c):
			if !isDigit && i > start {
				// ".X" is read as "-X" for a qualifier X: 1.0.0.X1 < 1.0.0-X2.
				if len(b.lists[list]) > 0 {
					openList()
				}
				b.addLeaf(list, parseItem(false, true, version[start:i]))
				start = i
				openList()
			}
			isDigit = true
		default:
			if isDigit && i > start {
				b.addLeaf(list, parseItem(true, false, version[start:i]))
				start = i
				openList()
			}
			isDigit = false
		}
		if len(stack) > 256 {
			return nil, fmt.Errorf("Maven version %q has too many parts", s)
		}
	}
	if len(version) > start {
		if !isDigit && len(b.lists[list]) > 0 {
			openList() // ".X" as "-X" for a trailing qualifier too
		}
		b.addLeaf(list, parseItem(isDigit, false, version[start:]))
	}
	for i := len(stack) - 1; i >= 0; i-- {
		b.normalize(stack[i])
	}
	// Flatten the child lists into one slice so the version is a compact, immutable value.
	v := &mavenV{raw: s, items: b.items}
	for i := range v.items {
		if v.items[i].kind == mavenList {
			v.items[i].first = len(v.kids)
			v.items[i].n = len(b.lists[i])
			v.kids = append(v.kids, b.lists[i]...)
		}
	}
	return v, nil
}

func (v *mavenV) Compare(other Version) int {
	o := other.(*mavenV)
	return mavenCmp(v, 0, o, 0)
}

// mavenCmpNull compares item i of v with an absent item.
func mavenCmpNull(v *mavenV, i int) int {
	it := v.items[i]
	switch it.kind {
	case mavenInt:
		if it.val == "" {
			return 0
		}
		return 1
	case mavenString:
		return strings.Compare(it.val, comparableQualifier(""))
	}
	for k := 0; k < it.n; k++ {
		if r := mavenCmpNull(v, v.kids[it.first+k]); r != 0 {
			return r
		}
	}
	return 0
}

func mavenCmp(v *mavenV, i int, o *mavenV, j int) int {
	a, b := v.items[i], o.items[j]
	switch a.kind {
	case mavenInt:
		switch b.kind {
		case mavenInt:
			return cmpDigits(a.val, b.val)
		default:
			return 1 // a number is newer than a qualifier or a sub-list
		}
	case mavenString:
		switch b.kind {
		case mavenInt:
			return -1
		case mavenString:
			return strings.Compare(a.val, b.val)
		default:
			return -1
		}
	}
	switch b.kind {
	case mavenInt:
		return -1
	case mavenString:
		return 1
	}
	for k := 0; k < a.n || k < b.n; k++ {
		var r int
		switch {
		case k >= a.n:
			r = -mavenCmpNull(o, o.kids[b.first+k])
		case k >= b.n:
			r = mavenCmpNull(v, v.kids[a.first+k])
		default:
			r = mavenCmp(v, v.kids[a.first+k], o, o.kids[b.first+k])
		}
		if r != 0 {
			return r
		}
	}
	return 0
}
