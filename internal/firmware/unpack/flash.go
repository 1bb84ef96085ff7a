package unpack

import (
	"errors"
	"io/fs"
	"slices"
	"strconv"
	"strings"
)

// What the inode-based flash file systems (JFFS2, UBIFS) share: Linux modes, and naming inodes
// from their directory entries.

// errFlashSkip marks an entry whose inode cannot be read (JFFS2, UBIFS); it is left out, as a
// corrupt node is.
var errFlashSkip = errors.New("unreadable node")

// flashMode converts a Linux st_mode to an fs.FileMode; an unknown type is kept as irregular.
func flashMode(m uint32) fs.FileMode {
	mode, ok := linuxMode(m)
	if !ok {
		mode |= fs.ModeIrregular
	}
	return mode
}

// flashDirent is a live directory entry of an inode-based flash file system.
type flashDirent struct {
	parent uint64
	name   string
	ino    uint64
}

type flashPath struct {
	path string
	ino  uint64
}

// flashPaths names every inode that directory entries reach, walking breadth-first from root.
// A directory is entered once, which breaks loops and ignores extra links to directories. Entries
// under directories the root does not reach go under "lost+found/ino-N". Names that cannot be a
// path component are skipped. An inode reached by several names appears once per name, first
// reached first.
func flashPaths(root uint64, dents []flashDirent, isDir func(uint64) bool) []flashPath {
	children := map[uint64][]flashDirent{}
	for _, d := range dents {
		if d.name == "" || d.name == "." || d.name == ".." || strings.ContainsAny(d.name, "/\x00") {
			continue
		}
		children[d.parent] = append(children[d.parent], d)
	}
	parents := make([]uint64, 0, len(children))
	for p, c := range children {
		slices.SortFunc(c, func(x, y flashDirent) int { return strings.Compare(x.name, y.name) })
		parents = append(parents, p)
	}
	slices.Sort(parents)

	var out []flashPath
	entered := map[uint64]bool{}
	walk := func(top uint64, base string) {
		type dir struct {
			ino  uint64
			path string
		}
		entered[top] = true
		queue := []dir{{top, base}}
		for len(queue) > 0 {
			d := queue[0]
			queue = queue[1:]
			for _, c := range children[d.ino] {
				p := c.name
				if d.path != "" {
					p = d.path + "/" + c.name
				}
				if isDir(c.ino) {
					if entered[c.ino] {
						continue
					}
					entered[c.ino] = true
					queue = append(queue, dir{c.ino, p})
				}
				out = append(out, flashPath{path: p, ino: c.ino})
			}
		}
	}
	walk(root, "")
	for _, p := range parents {
		if !entered[p] {
			walk(p, "lost+found/ino-"+strconv.FormatUint(p, 10))
		}
	}
	return out
}

// flashTree adds an entry for each of paths, built by entry from its inode. A later name of an
// inode already added becomes a hard link to the first name (content shared, Link naming it), as
// the other readers record hard links; an inode entry cannot read (errFlashSkip) is left out.
func flashTree(t *Tree, paths []flashPath, entry func(path string, ino uint64) (Entry, error)) error {
	first := map[uint64]*Entry{}
	for _, p := range paths {
		if prev := first[p.ino]; prev != nil {
			e := *prev
			e.Path, e.Link, e.Offset = p.path, prev.Path, -1
			if err := t.Add(e); err != nil {
				return err
			}
			continue
		}
		e, err := entry(p.path, p.ino)
		if errors.Is(err, errFlashSkip) {
			continue
		}
		if err != nil {
			return err
		}
		if err := t.Add(e); err != nil {
			return err
		}
		if !e.Mode.IsDir() {
			first[p.ino] = t.Entry(e.Path)
		}
	}
	return nil
}
