package rollout

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// Order returns the plan's release order of fleet: the device identifiers of wave 1, then of
// wave 2, and so on (see Plan.WaveOf), each wave's devices in the order they are released. fleet
// must be the inventory the plan was made from (its digest is checked).
//
// The order is a stratified random draw, reproducible from the plan's seed: each stratum's
// devices (sorted by identifier) are shuffled with a PCG generator seeded by the plan, device i
// of a stratum of n devices gets the key (i + u)/n with u a random offset of the stratum, and
// the fleet is sorted by key. Every prefix of the order, so every wave and every part of a wave
// released early, holds each stratum in proportion to its size, within one device.
func (p Plan) Order(fleet []Device) ([]string, error) {
	digest, _, err := inventory(fleet)
	if err != nil {
		return nil, err
	}
	if digest != p.InventoryDigest {
		return nil, fmt.Errorf("the fleet given (digest %.12s) is not the one rollout %s was planned for (%.12s)", digest, p.Rollout, p.InventoryDigest)
	}
	byStratum := map[[2]string][]string{}
	for _, d := range fleet {
		k := [2]string{d.HardwareClass, d.Region}
		byStratum[k] = append(byStratum[k], d.ID)
	}
	rng := rand.New(rand.NewPCG(p.Seed, 0x53696567656c)) // second word: fixed, names the use
	type keyed struct {
		key     float64
		stratum int
		id      string
	}
	all := make([]keyed, 0, len(fleet))
	for si, s := range p.Strata { // sorted, so the generator's use is fixed
		ids := byStratum[[2]string{s.HardwareClass, s.Region}]
		slices.Sort(ids)
		shuffle(rng, ids)
		u := unit(rng)
		for i, id := range ids {
			all = append(all, keyed{key: (float64(i) + u) / float64(len(ids)), stratum: si, id: id})
		}
	}
	slices.SortFunc(all, func(a, b keyed) int {
		switch {
		case a.key < b.key:
			return -1
		case a.key > b.key:
			return 1
		case a.stratum != b.stratum:
			return a.stratum - b.stratum
		}
		return strings.Compare(a.id, b.id)
	})
	order := make([]string, len(all))
	for i, k := range all {
		order[i] = k.id
	}
	return order, nil
}

// WaveOf returns the wave (from 0) that position i of the release order belongs to, and the
// position within the wave.
func (p Plan) WaveOf(i int) (wave, pos int) {
	for w, wv := range p.Waves {
		if i < wv.Size {
			return w, i
		}
		i -= wv.Size
	}
	return len(p.Waves), i
}

// WaveStart returns the position in the release order of wave w's first device.
func (p Plan) WaveStart(w int) int {
	n := 0
	for _, wv := range p.Waves[:w] {
		n += wv.Size
	}
	return n
}

// shuffle is a Fisher-Yates shuffle with unbiased bounded draws, written here (not taken from
// math/rand) so that a plan's draw stays the same across Go releases.
func shuffle(rng *rand.Rand, s []string) {
	for i := len(s) - 1; i > 0; i-- {
		j := bounded(rng, uint64(i+1))
		s[i], s[j] = s[j], s[i]
	}
}

// bounded returns a uniform draw from [0, n) by rejection.
func bounded(rng *rand.Rand, n uint64) uint64 {
	limit := -n % n // 2^64 mod n: the draws below it would bias the result
	for {
		v := rng.Uint64()
		if v >= limit {
			return v % n
		}
	}
}

// unit returns a uniform draw from [0, 1).
func unit(rng *rand.Rand) float64 {
	return float64(rng.Uint64()>>11) / (1 << 53)
}
