package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/siegel-oss/siegel/internal/monitor"
	"github.com/siegel-oss/siegel/internal/store"
)

// MaxFirmwareImage is the largest firmware image an upload may send, unless --max-upload
// allows more.
const MaxFirmwareImage = 512 << 20

// maxFirmwareQueued bounds the images waiting on disk for their analysis; more uploads are
// answered 503 until some are analysed.
const maxFirmwareQueued = 8

// FirmwareSpoolDir is where uploaded images wait for their analysis: Config.FirmwareDir, or a
// directory of the system's temporary directory made on first use.
func (s *Deps) FirmwareSpoolDir() (string, error) {
	s.fwDirOnce.Do(func() {
		dir := s.FirmwareDir
		if dir == "" {
			dir = filepath.Join(os.TempDir(), "siegel-firmware")
		}
		s.fwDirErr = os.MkdirAll(dir, 0o700)
		s.fwDir = dir
	})
	return s.fwDir, s.fwDirErr
}

// MaxImage is the largest firmware image an upload may send.
func (s *Deps) MaxImage() int64 { return max(s.MaxUpload, MaxFirmwareImage) }

// ErrImageTooLarge is a firmware upload over maxImage.
var ErrImageTooLarge = errors.New("the firmware image is larger than the limit")

// ImageTooLarge says an image is over the limit, and how to raise it.
func (s *Deps) ImageTooLarge() string {
	return fmt.Sprintf("%v of %d MiB; ask the administrator to raise --max-upload", ErrImageTooLarge, s.MaxImage()>>20)
}

// spoolFirmware writes an upload to a new file of the firmware directory while it arrives,
// stopping past maxImage: the image is never held in the request's memory. It returns the
// file's name, size and SHA-256; on error no file is left.
func (s *Deps) spoolFirmware(body io.Reader) (name string, size int64, sum string, err error) {
	dir, err := s.FirmwareSpoolDir()
	if err != nil {
		return "", 0, "", fmt.Errorf("firmware directory: %w", err)
	}
	var rnd [12]byte
	rand.Read(rnd[:])
	name = "image-" + hex.EncodeToString(rnd[:]) + ".bin"
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", 0, "", err
	}
	h := sha256.New()
	size, err = io.Copy(io.MultiWriter(f, h), io.LimitReader(body, s.MaxImage()+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && size > s.MaxImage() {
		err = ErrImageTooLarge
	}
	if err != nil {
		os.Remove(filepath.Join(dir, name))
		return "", 0, "", err
	}
	return name, size, hex.EncodeToString(h.Sum(nil)), nil
}

// FirmwareQueueFull says whether maxFirmwareQueued images already wait for their analysis.
func (s *Deps) FirmwareQueueFull(ctx context.Context) (bool, error) {
	stats, err := s.Store.QueueStats(ctx)
	if err != nil {
		return false, err
	}
	for _, q := range stats {
		if q.Kind == monitor.KindFirmware {
			return q.Due+q.Scheduled+q.Running >= maxFirmwareQueued, nil
		}
	}
	return false, nil
}

// ErrFirmwareBusy is the answer while the queue of firmware analyses is full.
var ErrFirmwareBusy = fmt.Errorf("%d firmware images already wait for their analysis; try again when some are done", maxFirmwareQueued)

// QueueFirmware spools an image of rel and queues its analysis, returning the job's id.
func (s *Deps) QueueFirmware(ctx context.Context, rel *store.Release, prod *store.Product, image string, body io.Reader) (int64, FirmwareJob, error) {
	file, size, sum, err := s.spoolFirmware(body)
	if err != nil {
		return 0, FirmwareJob{}, err
	}
	if size == 0 {
		os.Remove(filepath.Join(s.fwDir, file))
		return 0, FirmwareJob{}, ErrEmptyImage
	}
	p := FirmwareJob{Release: rel.ID, Organization: prod.Organization, File: file, Image: image, Size: size, SHA256: sum, Actor: store.Actor(ctx)}
	id, err := s.Store.EnqueueJob(ctx, monitor.KindFirmware, p)
	if err != nil {
		os.Remove(filepath.Join(s.fwDir, file))
		return 0, p, err
	}
	s.Wake()
	return id, p, nil
}

// ErrEmptyImage is an upload without an image.
var ErrEmptyImage = errors.New("the firmware image is empty; send the image file itself")
