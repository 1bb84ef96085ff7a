package version

import "testing"

// BenchmarkCompare measures one comparison of already parsed versions per ecosystem (the hot
// path of matching): it must not allocate.
func BenchmarkCompare(b *testing.B) {
	for _, tc := range []struct{ eco, a, b string }{
		{"Go", "v1.22.3", "v1.22.10-rc.1"},
		{"npm", "4.17.21", "4.17.21-beta.2"},
		{"PyPI", "2.32.3", "2.32.0rc1.post1"},
		{"Maven", "2.17.1", "2.17.1-SNAPSHOT"},
		{"RubyGems", "7.1.3.4", "7.1.3.rc1"},
		{"Debian", "3.0.11-1~deb12u2", "3.0.13-1~deb12u1"},
		{"Alpine", "1.36.1-r28", "1.36.1_rc1-r29"},
		{"Red Hat", "1:3.0.7-27.el9", "1:3.0.7-28.el9_4"},
	} {
		c, _ := Lookup(tc.eco)
		va, _ := c.Parse(tc.a)
		vb, _ := c.Parse(tc.b)
		b.Run(tc.eco, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				va.Compare(vb)
			}
		})
	}
}

// BenchmarkAffects measures evaluating one OSV affected entry (parse the target and the events,
// sort, walk) as the matcher does for each candidate advisory.
func BenchmarkAffects(b *testing.B) {
	aff := Affected{Ecosystem: "PyPI", Ranges: []Range{{Type: RangeEcosystem, Events: []Event{
		{Introduced: "0"}, {Fixed: "2.20.0"}, {Introduced: "2.25.0"}, {Fixed: "2.31.0"}}}}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := aff.Affects(Target{Version: "2.30.1"}); err != nil {
			b.Fatal(err)
		}
	}
}
