// Command sqfsunpack times Siegel's native squashfs unpacker on an image, for comparison with
// Debian's unsquashfs (see ../unsquashfs-compare.sh). It is a benchmark tool, not part of siegel.
//
//	sqfsunpack gen DIR        write a router-like tree of 3000 files (about 40 MB) into DIR
//	sqfsunpack unpack IMG N   unpack IMG in memory N times; print the best time in seconds
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/siegel-oss/siegel/internal/firmware/fwtest"
	"github.com/siegel-oss/siegel/internal/firmware/unpack"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "sqfsunpack:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	switch {
	case len(args) == 2 && args[0] == "gen":
		_, err := fwtest.WriteBenchTree(args[1]) // the tree BenchmarkSquashfs unpacks
		return err
	case len(args) == 3 && args[0] == "unpack":
		n, err := strconv.Atoi(args[2])
		if err != nil || n < 1 {
			return fmt.Errorf("bad count %q", args[2])
		}
		return timeUnpack(args[1], n)
	case len(args) == 2 && args[0] == "image":
		return unpackImage(args[1])
	}
	return fmt.Errorf("usage: sqfsunpack gen DIR | sqfsunpack unpack IMG N | sqfsunpack image IMG")
}

// unpackImage carves and unpacks a whole firmware image recursively (what binwalk -Me does),
// in memory, and prints its layers.
func unpackImage(img string) error {
	data, err := os.ReadFile(img)
	if err != nil {
		return err
	}
	res, err := unpack.Image(img, data, unpack.DefaultBudget(context.Background()))
	if err != nil {
		return err
	}
	for _, l := range res.Layers {
		fmt.Printf("%s\t%s\t%d\t%d files\n", l.Path, l.Format, l.Offset, l.Files)
	}
	return nil
}

func timeUnpack(img string, n int) error {
	data, err := os.ReadFile(img)
	if err != nil {
		return err
	}
	var format *unpack.Format
	for _, f := range unpack.Formats() {
		if f.Name == "squashfs" {
			format = &f
		}
	}
	if format == nil {
		return fmt.Errorf("no squashfs format")
	}
	best := time.Duration(1<<63 - 1)
	for range n {
		start := time.Now()
		tree, _, err := format.Unpack(data, unpack.DefaultBudget(context.Background()))
		if err != nil {
			return err
		}
		best = min(best, time.Since(start))
		if tree.Len() == 0 {
			return fmt.Errorf("empty tree")
		}
	}
	fmt.Printf("%.3f\n", best.Seconds())
	return nil
}
