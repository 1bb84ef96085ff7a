package unpack

import (
	"encoding/binary"
	"runtime"
	"sync"
	"sync/atomic"
)

// File contents: a file's full blocks lie one after another from its start offset, each either
// compressed or (bit 24 of its size word) stored; a size of 0 is a sparse block of zeros. Its tail
// may instead lie in a fragment block shared with other files' tails. The walk plans every block
// first; readData then decompresses them, on up to two goroutines, each block independent.

// sqFileData is the content of one regular file, shared by its hard links.
type sqFileData struct {
	path       string
	at         int64 // its inode, for errors
	start      uint64
	size       uint64
	frag       uint32
	fragOff    uint32
	blocks     []sqBlock
	fragSlot   *sqFragSlot
	contiguous bool // stored whole and uncompressed at start
	data       []byte
}

// sqBlock is one stored (not sparse) data block of a file.
type sqBlock struct {
	index int   // block number within the file
	off   int64 // absolute offset in the image
	word  uint32
}

// sqFragSlot is one fragment block, decompressed by one job before the tails are copied out.
type sqFragSlot struct {
	index  uint32
	frag   sqFragment
	queued bool
	data   []byte
}

// planFile reads a file inode's block list from r and checks every block lies in the image.
func (s *sqfs) planFile(f *sqFileData, r *sqMetaReader) error {
	bs := uint64(s.sb.blockSize)
	if f.size > uint64(s.b.Remaining()) {
		return s.reserve(-1) // reports the limit
	}
	if err := s.reserve(int64(f.size)); err != nil {
		return err
	}
	hasFrag := f.frag != sqNoFragment
	n := f.size / bs
	if !hasFrag && f.size%bs != 0 {
		n++
	}
	if hasFrag {
		tail := f.size % bs
		if tail == 0 {
			return Errorf("squashfs", f.at, "file inode", "%q: fragment given but the size %d leaves no tail", f.path, f.size)
		}
		if uint64(f.fragOff)+tail > bs {
			return Errorf("squashfs", f.at, "file inode", "%q: tail of %d bytes at fragment offset %d overruns the %d-byte block", f.path, tail, f.fragOff, bs)
		}
		slot, ok := s.frags[f.frag]
		if !ok {
			fr, err := s.fragment(f.frag)
			if err != nil {
				return err
			}
			if err := s.checkBlock(fr.start, fr.size, "fragment table"); err != nil {
				return err
			}
			if fr.size&^sqDataUncompFlag == 0 {
				return Errorf("squashfs", int64(s.sb.fragTableStart), "fragment table", "fragment %d is empty", f.frag)
			}
			if err := s.reserve(int64(bs)); err != nil {
				return err
			}
			slot = &sqFragSlot{index: f.frag, frag: fr}
			s.frags[f.frag] = slot
		}
		f.fragSlot = slot
	}
	f.contiguous = n > 0 && !hasFrag
	pos := f.start
	for i := range n {
		if i%1024 == 0 {
			if err := s.b.Err(); err != nil {
				return err
			}
		}
		b, err := r.read(4)
		if err != nil {
			return err
		}
		w := binary.LittleEndian.Uint32(b)
		size := uint64(w &^ sqDataUncompFlag)
		if size == 0 {
			f.contiguous = false
			continue
		}
		if w&sqDataUncompFlag == 0 {
			f.contiguous = false
		}
		if err := s.checkBlock(pos, w, "file "+f.path); err != nil {
			return err
		}
		f.blocks = append(f.blocks, sqBlock{index: int(i), off: int64(pos), word: w})
		pos += size
	}
	return nil
}

// checkBlock checks a data block's size word and that it lies within the image.
func (s *sqfs) checkBlock(off uint64, w uint32, what string) error {
	size := uint64(w &^ sqDataUncompFlag)
	if w&^(sqDataUncompFlag|0xffffff) != 0 || size > uint64(s.sb.blockSize) {
		return Errorf("squashfs", int64(min(off, uint64(s.end))), "data block", "%s: size word %#x exceeds the block size %d", what, w, s.sb.blockSize)
	}
	if off < sqSuperSize || off > uint64(s.end) || size > uint64(s.end)-off {
		return Errorf("squashfs", int64(min(off, uint64(s.end))), "data block", "%s: %d bytes at %d outside the image's %d bytes", what, size, off, s.end)
	}
	return nil
}

// sqJob is one unit of decompression: a block of a file, or a fragment block.
type sqJob struct {
	f     *sqFileData
	block *sqBlock
	slot  *sqFragSlot
}

// readData fills every file's content.
func (s *sqfs) readData() error {
	var jobs []sqJob
	for i := range s.nodes {
		f := s.nodes[i].file
		if f == nil || f.data != nil || s.nodes[i].e.Link != "" {
			continue
		}
		f.data = make([]byte, f.size)
		for j := range f.blocks {
			jobs = append(jobs, sqJob{f: f, block: &f.blocks[j]})
		}
		if sl := f.fragSlot; sl != nil && !sl.queued {
			sl.queued = true
			jobs = append(jobs, sqJob{slot: sl})
		}
	}
	workers := min(runtime.GOMAXPROCS(0), 2)
	if len(jobs) < 8 {
		workers = 1
	}
	var (
		next     atomic.Int64
		failed   atomic.Bool
		firstErr error
		errOnce  sync.Once
		wg       sync.WaitGroup
	)
	work := func(dec sqDecompressor) {
		defer wg.Done()
		for !failed.Load() {
			i := next.Add(1) - 1
			if i >= int64(len(jobs)) {
				return
			}
			err := error(nil)
			if i%256 == 0 {
				err = s.b.Err()
			}
			if err == nil {
				err = s.runJob(dec, jobs[i])
			}
			if err != nil {
				errOnce.Do(func() { firstErr = err })
				failed.Store(true)
				return
			}
		}
	}
	decs := []sqDecompressor{s.dec}
	for len(decs) < workers {
		dec, err := newSqDecompressor(s.sb.compression, int(s.sb.blockSize))
		if err != nil {
			return Errorf("squashfs", 20, "superblock compressor", "%v", err)
		}
		defer closeSqDecompressor(dec)
		decs = append(decs, dec)
	}
	wg.Add(workers)
	for _, dec := range decs[1:] {
		go work(dec)
	}
	work(decs[0]) // the calling goroutine is a worker too
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	// Tails last: every fragment block is whole by now.
	for i := range s.nodes {
		f := s.nodes[i].file
		if f == nil || f.fragSlot == nil || s.nodes[i].e.Link != "" {
			continue
		}
		slot := f.fragSlot
		tail := int(f.size % uint64(s.sb.blockSize))
		off := int(f.fragOff)
		if off+tail > len(slot.data) {
			return Errorf("squashfs", int64(slot.frag.start), "fragment block", "%q: tail of %d bytes at offset %d beyond the fragment's %d bytes", f.path, tail, off, len(slot.data))
		}
		copy(f.data[len(f.data)-tail:], slot.data[off:off+tail])
	}
	return nil
}

// runJob decompresses one block of a file, or one fragment block.
func (s *sqfs) runJob(dec sqDecompressor, j sqJob) error {
	f := j.f
	bs := int(s.sb.blockSize)
	if j.slot != nil {
		var err error
		j.slot.data, err = s.readFragment(dec, j.slot)
		return err
	}
	blk := j.block
	lo := blk.index * bs
	dst := f.data[lo:min(lo+bs, len(f.data))]
	size := int64(blk.word &^ sqDataUncompFlag)
	src := s.data[blk.off : blk.off+size]
	if blk.word&sqDataUncompFlag != 0 {
		if len(src) != len(dst) {
			return Errorf("squashfs", blk.off, "data block", "%q block %d: %d bytes stored, %d expected", f.path, blk.index, len(src), len(dst))
		}
		copy(dst, src)
		return nil
	}
	n, err := dec.decompress(dst, src)
	if err != nil {
		return Errorf("squashfs", blk.off, "data block", "%q block %d: %s: %v", f.path, blk.index, s.compName, err)
	}
	if n != len(dst) {
		return Errorf("squashfs", blk.off, "data block", "%q block %d: expands to %d bytes, %d expected", f.path, blk.index, n, len(dst))
	}
	return nil
}

// readFragment decompresses a fragment block.
func (s *sqfs) readFragment(dec sqDecompressor, slot *sqFragSlot) ([]byte, error) {
	fr := slot.frag
	size := int64(fr.size &^ sqDataUncompFlag)
	src := s.data[fr.start : int64(fr.start)+size]
	if fr.size&sqDataUncompFlag != 0 {
		return src, nil
	}
	buf := make([]byte, s.sb.blockSize)
	n, err := dec.decompress(buf, src)
	if err != nil {
		return nil, Errorf("squashfs", int64(fr.start), "fragment block", "fragment %d: %s: %v", slot.index, s.compName, err)
	}
	return buf[:n], nil
}
