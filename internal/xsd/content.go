package xsd

import (
	"encoding/xml"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// automaton recognises the sequence of child elements a content model allows. It is built from
// the particles (xs:sequence, xs:choice, xs:all, xs:element, xs:any, each with minOccurs and
// maxOccurs) as a nondeterministic automaton, and run as a deterministic one whose states are
// built as documents need them and kept.
type automaton struct {
	states []nstate
	closed [][]int // epsilon closure of each state, sorted
	final  int     // the accepting state

	mu    sync.Mutex
	dfa   map[string]*dstate
	start *dstate
}

type nstate struct {
	eps   []int
	edges []edge
}

// edge consumes one element: one declared by elem, or any admitted by wild.
type edge struct {
	elem *elemDecl
	wild *wildcard
	to   int
}

// dstate is a set of automaton states.
type dstate struct {
	set      []int
	accept   bool
	mu       sync.Mutex
	next     map[xml.Name]step
	expected []string
}

// step is where an element leads from a dstate, and what it matched.
type step struct {
	to   *dstate
	elem *elemDecl
	wild *wildcard
}

// maxExpansion bounds the states a content model may expand to (minOccurs and bounded
// maxOccurs are expanded into copies).
const maxExpansion = 1 << 16

type frag struct{ start, end int }

type builder struct {
	c *compiler
	a *automaton
}

func (b *builder) state() int {
	b.a.states = append(b.a.states, nstate{})
	return len(b.a.states) - 1
}

func (b *builder) eps(from, to int) { b.a.states[from].eps = append(b.a.states[from].eps, to) }

func (c *compiler) buildAutomaton(p *node) (*automaton, error) {
	b := &builder{c: c, a: &automaton{}}
	f, err := b.particle(p)
	if err != nil {
		return nil, err
	}
	a := b.a
	a.final = f.end
	a.closed = make([][]int, len(a.states))
	for i := range a.states {
		a.closed[i] = a.closure([]int{i})
	}
	a.dfa = map[string]*dstate{}
	a.start = a.dstate(a.closed[f.start])
	return a, nil
}

func occurs(k *node) (lo, hi int, err error) {
	lo, hi = 1, 1
	if v, ok := k.attr["minOccurs"]; ok {
		if lo, err = strconv.Atoi(strings.TrimSpace(v)); err != nil || lo < 0 {
			return 0, 0, k.errf("minOccurs %q is not a non-negative integer", v)
		}
	}
	if v, ok := k.attr["maxOccurs"]; ok {
		if strings.TrimSpace(v) == "unbounded" {
			hi = -1
		} else if hi, err = strconv.Atoi(strings.TrimSpace(v)); err != nil || hi < 0 {
			return 0, 0, k.errf("maxOccurs %q is not a non-negative integer or unbounded", v)
		}
	}
	if hi >= 0 && hi < lo {
		return 0, 0, k.errf("maxOccurs %d is below minOccurs %d", hi, lo)
	}
	return lo, hi, nil
}

// particle builds a fragment for a particle with its occurrence bounds.
func (b *builder) particle(k *node) (frag, error) {
	lo, hi, err := occurs(k)
	if err != nil {
		return frag{}, err
	}
	if lo > 1000 || hi > 1000 {
		return frag{}, k.errf("occurrence bounds above 1000 are not supported")
	}
	start := b.state()
	cur := start
	for range lo {
		f, err := b.term(k)
		if err != nil {
			return frag{}, err
		}
		b.eps(cur, f.start)
		cur = f.end
	}
	switch {
	case hi < 0:
		f, err := b.term(k)
		if err != nil {
			return frag{}, err
		}
		loop := b.state()
		b.eps(cur, loop)
		b.eps(loop, f.start)
		b.eps(f.end, loop)
		cur = loop
	case hi > lo:
		end := b.state()
		for range hi - lo {
			f, err := b.term(k)
			if err != nil {
				return frag{}, err
			}
			b.eps(cur, f.start)
			b.eps(cur, end)
			cur = f.end
		}
		b.eps(cur, end)
		cur = end
	}
	if len(b.a.states) > maxExpansion {
		return frag{}, k.errf("content model too large")
	}
	return frag{start, cur}, nil
}

// term builds one occurrence of a particle's term.
func (b *builder) term(k *node) (frag, error) {
	switch k.name.Local {
	case "element":
		e, err := b.c.element(k)
		if err != nil {
			return frag{}, err
		}
		s, t := b.state(), b.state()
		b.a.states[s].edges = append(b.a.states[s].edges, edge{elem: e, to: t})
		return frag{s, t}, nil
	case "any":
		w, err := b.c.wildcard(k)
		if err != nil {
			return frag{}, err
		}
		s, t := b.state(), b.state()
		b.a.states[s].edges = append(b.a.states[s].edges, edge{wild: w, to: t})
		return frag{s, t}, nil
	case "group":
		q, err := k.qname(k.attr["ref"])
		if err != nil {
			return frag{}, err
		}
		g, ok := b.c.groups[q]
		if !ok {
			return frag{}, k.errf("group %s is not defined", q.Local)
		}
		for _, kk := range g.kids {
			if kk.is("sequence") || kk.is("choice") || kk.is("all") {
				return b.particle(kk)
			}
		}
		return frag{}, k.errf("group %s has no content", q.Local)
	}
	var kids []*node
	for _, kk := range k.kids {
		if kk.name.Space != nsXS || kk.is("annotation") || skipped(kk) {
			continue
		}
		switch kk.name.Local {
		case "element", "any", "sequence", "choice", "group":
			kids = append(kids, kk)
		default:
			return frag{}, kk.errf("not supported in a model group")
		}
	}
	s := b.state()
	switch k.name.Local {
	case "sequence":
		cur := s
		for _, kk := range kids {
			f, err := b.particle(kk)
			if err != nil {
				return frag{}, err
			}
			b.eps(cur, f.start)
			cur = f.end
		}
		return frag{s, cur}, nil
	case "choice":
		t := b.state()
		if len(kids) == 0 {
			return frag{s, t}, nil // an empty choice matches nothing
		}
		for _, kk := range kids {
			f, err := b.particle(kk)
			if err != nil {
				return frag{}, err
			}
			b.eps(s, f.start)
			b.eps(f.end, t)
		}
		return frag{s, t}, nil
	case "all":
		return b.all(k, s)
	}
	return frag{}, k.errf("not a particle")
}

// all builds xs:all: each child element at most once (or as its bounds say, which XSD 1.0 limits
// to 0..1) in any order. The automaton tracks which children were seen, so it is built over the
// subsets; XSD 1.0's limit of one occurrence keeps that exact, and the size limit keeps it small.
func (b *builder) all(k *node, s int) (frag, error) {
	type child struct {
		e        *elemDecl
		required bool
	}
	var kids []child
	for _, kk := range k.kids {
		if !kk.is("element") {
			continue
		}
		lo, hi, err := occurs(kk)
		if err != nil {
			return frag{}, err
		}
		if hi > 1 || hi < 0 {
			return frag{}, kk.errf("an element in xs:all may occur at most once")
		}
		e, err := b.c.element(kk)
		if err != nil {
			return frag{}, err
		}
		kids = append(kids, child{e, lo > 0})
	}
	if len(kids) > 12 {
		return frag{}, k.errf("xs:all with more than 12 elements is not supported")
	}
	n := 1 << len(kids)
	states := make([]int, n)
	states[0] = s
	for m := 1; m < n; m++ {
		states[m] = b.state()
	}
	end := b.state()
	for m := range n {
		done := true
		for i, ch := range kids {
			if m&(1<<i) != 0 {
				continue
			}
			b.a.states[states[m]].edges = append(b.a.states[states[m]].edges, edge{elem: ch.e, to: states[m|1<<i]})
			if ch.required {
				done = false
			}
		}
		if done {
			b.eps(states[m], end)
		}
	}
	return frag{s, end}, nil
}

func (a *automaton) closure(seed []int) []int {
	seen := map[int]bool{}
	stack := append([]int(nil), seed...)
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[s] {
			continue
		}
		seen[s] = true
		stack = append(stack, a.states[s].eps...)
	}
	out := make([]int, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	sort.Ints(out)
	return out
}

// maxDFAStates bounds the cache of deterministic states per content model; beyond it, states
// are built for the step and not kept.
const maxDFAStates = 4096

func (a *automaton) dstate(set []int) *dstate {
	var kb strings.Builder
	for _, s := range set {
		kb.WriteString(strconv.Itoa(s))
		kb.WriteByte(',')
	}
	key := kb.String()
	a.mu.Lock()
	defer a.mu.Unlock()
	if d, ok := a.dfa[key]; ok {
		return d
	}
	d := &dstate{set: set, next: map[xml.Name]step{}}
	for _, s := range set {
		if s == a.final {
			d.accept = true
		}
	}
	if len(a.dfa) < maxDFAStates {
		a.dfa[key] = d
	}
	return d
}

// step follows the element name from d. ok is false when the content model does not allow the
// element there. An element declaration wins over a wildcard that admits the same name (the
// schemas satisfy Unique Particle Attribution, so both cannot compete).
func (a *automaton) step(d *dstate, name xml.Name) (step, bool) {
	d.mu.Lock()
	st, ok := d.next[name]
	d.mu.Unlock()
	if ok {
		return st, st.to != nil
	}
	for _, s := range d.set {
		for _, e := range a.states[s].edges {
			if e.elem != nil && e.elem.name == name {
				st.elem = e.elem
				break
			}
		}
		if st.elem != nil {
			break
		}
	}
	var targets []int
	for _, s := range d.set {
		for _, e := range a.states[s].edges {
			switch {
			case st.elem != nil && e.elem != nil && e.elem.name == name:
				targets = append(targets, a.closed[e.to]...)
			case st.elem == nil && e.wild != nil && e.wild.admits(name.Space):
				if st.wild == nil {
					st.wild = e.wild
				}
				targets = append(targets, a.closed[e.to]...)
			}
		}
	}
	if len(targets) > 0 {
		sort.Ints(targets)
		targets = compactInts(targets)
		st.to = a.dstate(targets)
	}
	d.mu.Lock()
	if len(d.next) < 1024 {
		d.next[name] = st
	}
	d.mu.Unlock()
	return st, st.to != nil
}

// expected lists the elements allowed from d, for messages.
func (a *automaton) expected(d *dstate) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.expected != nil {
		return d.expected
	}
	seen := map[string]bool{}
	out := []string{}
	for _, s := range d.set {
		for _, e := range a.states[s].edges {
			var n string
			if e.elem != nil {
				n = "<" + e.elem.name.Local + ">"
			} else {
				n = "an element of another namespace"
			}
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	d.expected = out
	return out
}

func compactInts(s []int) []int {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
