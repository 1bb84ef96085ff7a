package authority

import "testing"

// From Commission Recommendation 2003/361/EC, Annex Art. 2: staff strictly below the headcount
// ceiling, and turnover or balance sheet (either) not above its ceiling.
func TestClassOf(t *testing.T) {
	for _, c := range []struct {
		f    Figures
		want string
	}{
		{Figures{Staff: 9, Turnover: 1_900_000, BalanceSheet: 5_000_000}, Micro},
		{Figures{Staff: 9, Turnover: 5_000_000, BalanceSheet: 2_000_000}, Micro}, // balance sheet at the ceiling
		{Figures{Staff: 9.5, Turnover: 2_000_001, BalanceSheet: 2_000_001}, Small},
		{Figures{Staff: 10, Turnover: 100, BalanceSheet: 100}, Small}, // 10 persons is not "fewer than 10"
		{Figures{Staff: 49, Turnover: 11_000_000, BalanceSheet: 9_000_000}, Small},
		{Figures{Staff: 49, Turnover: 11_000_000, BalanceSheet: 11_000_000}, Medium},
		{Figures{Staff: 249, Turnover: 60_000_000, BalanceSheet: 43_000_000}, Medium},
		{Figures{Staff: 100, Turnover: 50_000_000, BalanceSheet: 90_000_000}, Medium},
		{Figures{Staff: 100, Turnover: 50_000_001, BalanceSheet: 43_000_001}, Large},
		{Figures{Staff: 250, Turnover: 1, BalanceSheet: 1}, Large},
	} {
		if got, _ := ClassOf(c.f); got != c.want {
			t.Errorf("%+v: %s, want %s", c.f, got, c.want)
		}
	}
}

// Annex Art. 4(2): the status moves only after two consecutive periods across a ceiling.
func TestClassifyTwoConsecutivePeriods(t *testing.T) {
	small := Figures{Staff: 30, Turnover: 5_000_000, BalanceSheet: 5_000_000}
	medium := Figures{Staff: 120, Turnover: 30_000_000, BalanceSheet: 30_000_000}
	large := Figures{Staff: 400, Turnover: 90_000_000, BalanceSheet: 90_000_000}
	micro := Figures{Staff: 3, Turnover: 300_000, BalanceSheet: 200_000}
	seq := func(fs ...Figures) []Figures {
		for i := range fs {
			fs[i].Year = 2020 + i
		}
		return fs
	}
	for _, c := range []struct {
		name string
		fs   []Figures
		want string
	}{
		{"one period", seq(small), Small},
		{"one period above", seq(small, medium), Small},
		{"two periods above", seq(small, medium, medium), Medium},
		{"above, back, above", seq(small, medium, small, medium), Small},
		{"medium then large: the ceiling crossed twice is small's", seq(small, medium, large), Medium},
		{"large twice", seq(small, large, large), Large},
		{"below twice", seq(medium, micro, small), Small},
		{"either side", seq(small, large, micro), Small},
	} {
		s, err := Classify(c.fs)
		if err != nil {
			t.Fatal(err)
		}
		if s.Class != c.want {
			t.Errorf("%s: %s, want %s\n%v", c.name, s.Class, c.want, s.Reasons)
		}
	}
	if _, err := Classify(nil); err == nil {
		t.Error("no periods: want an error")
	}
	if _, err := Classify([]Figures{{Year: 2020}, {Year: 2022}}); err == nil {
		t.Error("a gap between periods: want an error")
	}
}
