package extract

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver, registered as "sqlite"

	"github.com/siegel-oss/siegel/internal/input"
	"github.com/siegel-oss/siegel/internal/purl"
	"github.com/siegel-oss/siegel/internal/sbom"
)

// dbRPM reads the SQLite RPM database of Fedora 33+, RHEL 9, SUSE and their relatives: table
// Packages holds one RPM header blob per installed package.
type dbRPM struct{}

func (dbRPM) Name() string { return "os/rpm-sqlite" }
func (dbRPM) Match(f File) bool {
	return f.Path == "var/lib/rpm/rpmdb.sqlite" || strings.HasSuffix(f.Path, "/var/lib/rpm/rpmdb.sqlite") ||
		f.Path == "usr/lib/sysimage/rpm/rpmdb.sqlite" || strings.HasSuffix(f.Path, "/usr/lib/sysimage/rpm/rpmdb.sqlite")
}

// RPM header tags and types used (rpmtag.h).
const (
	rpmTagName      = 1000
	rpmTagVersion   = 1001
	rpmTagRelease   = 1002
	rpmTagEpoch     = 1003
	rpmTagLicense   = 1014
	rpmTagVendor    = 1011
	rpmTagArch      = 1022
	rpmTagSourceRPM = 1044

	rpmTypeInt32       = 4
	rpmTypeString      = 6
	rpmTypeStringArray = 8
	rpmTypeI18NString  = 9
)

type rpmPackage struct {
	name, version, release, arch, license, vendor, sourceRPM string
	epoch                                                    int64
	hasEpoch                                                 bool
}

// parseRPMHeader reads the fields Siegel needs from an RPM header blob (without the leading
// magic): a count of index entries, the size of the data store, the entries, then the data.
// Every offset is checked against the blob: it comes from an untrusted image.
func parseRPMHeader(blob []byte) (rpmPackage, error) {
	var p rpmPackage
	if len(blob) < 8 {
		return p, errors.New("header shorter than 8 bytes")
	}
	il := binary.BigEndian.Uint32(blob[0:4])
	dl := binary.BigEndian.Uint32(blob[4:8])
	if il > 1<<16 || dl > 1<<28 {
		return p, fmt.Errorf("header claims %d entries and %d data bytes", il, dl)
	}
	dataStart := 8 + 16*int(il)
	if dataStart+int(dl) > len(blob) {
		return p, fmt.Errorf("header of %d entries and %d data bytes does not fit in %d bytes", il, dl, len(blob))
	}
	data := blob[dataStart : dataStart+int(dl)]
	str := func(off uint32) (string, error) {
		if int(off) >= len(data) {
			return "", fmt.Errorf("string offset %d beyond data of %d bytes", off, len(data))
		}
		end := strings.IndexByte(string(data[off:]), 0)
		if end < 0 {
			return "", errors.New("string not terminated")
		}
		return string(data[off : int(off)+end]), nil
	}
	for i := 0; i < int(il); i++ {
		e := blob[8+16*i : 8+16*(i+1)]
		tag := binary.BigEndian.Uint32(e[0:4])
		typ := binary.BigEndian.Uint32(e[4:8])
		off := binary.BigEndian.Uint32(e[8:12])
		var target *string
		switch tag {
		case rpmTagName:
			target = &p.name
		case rpmTagVersion:
			target = &p.version
		case rpmTagRelease:
			target = &p.release
		case rpmTagArch:
			target = &p.arch
		case rpmTagLicense:
			target = &p.license
		case rpmTagVendor:
			target = &p.vendor
		case rpmTagSourceRPM:
			target = &p.sourceRPM
		case rpmTagEpoch:
			if typ != rpmTypeInt32 || int(off)+4 > len(data) {
				return p, fmt.Errorf("epoch entry of type %d at offset %d is malformed", typ, off)
			}
			p.epoch, p.hasEpoch = int64(binary.BigEndian.Uint32(data[off:off+4])), true
			continue
		default:
			continue
		}
		if typ != rpmTypeString && typ != rpmTypeI18NString && typ != rpmTypeStringArray {
			return p, fmt.Errorf("tag %d has type %d, want a string", tag, typ)
		}
		s, err := str(off)
		if err != nil {
			return p, fmt.Errorf("tag %d: %w", tag, err)
		}
		*target = s
	}
	if p.name == "" || p.version == "" {
		return p, errors.New("header has no name or version")
	}
	return p, nil
}

func (e dbRPM) Extract(ctx context.Context, fsys fs.FS, f File, limits input.Limits) (Result, error) {
	data, err := readFile(fsys, f, limits)
	if err != nil {
		return Result{}, err
	}
	// SQLite needs a real file; the image may be anywhere (an archive, a read-only mount).
	tmp, err := os.CreateTemp("", "siegel-rpmdb-*.sqlite")
	if err != nil {
		return Result{}, fmt.Errorf("rpm database %s: %w", f.Path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return Result{}, fmt.Errorf("rpm database %s: %w", f.Path, err)
	}
	if err := tmp.Close(); err != nil {
		return Result{}, fmt.Errorf("rpm database %s: %w", f.Path, err)
	}
	dsn := "file:" + (&url.URL{Path: filepath.ToSlash(tmp.Name())}).EscapedPath() + "?mode=ro&immutable=1"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return Result{}, &input.Error{File: f.Path, Rule: "rpm database", Err: err}
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "SELECT hnum, blob FROM Packages ORDER BY hnum")
	if err != nil {
		return Result{}, &input.Error{File: f.Path, Rule: "rpm database", Err: fmt.Errorf("not an rpmdb.sqlite: %w", err)}
	}
	defer rows.Close()
	root := "."
	if i := strings.Index(f.Path, "var/lib/rpm/"); i >= 0 {
		root = rootOf(f.Path[:i], "")
	} else if i := strings.Index(f.Path, "usr/lib/sysimage/"); i >= 0 {
		root = rootOf(f.Path[:i], "")
	}
	rel := readOSRelease(fsys, root, limits)
	ns := rpmNamespace(rel.ID)
	distro := ""
	if rel.ID != "" && rel.VersionID != "" {
		distro = rel.ID + "-" + rel.VersionID
	}
	b := newBuilder(e.Name(), f)
	for rows.Next() {
		var hnum int64
		var blob []byte
		if err := rows.Scan(&hnum, &blob); err != nil {
			return Result{}, &input.Error{File: f.Path, Rule: "rpm database", Err: err}
		}
		p, err := parseRPMHeader(blob)
		if err != nil {
			return Result{}, &input.Error{File: f.Path, Pointer: "Packages/hnum=" + strconv.FormatInt(hnum, 10), Rule: "rpm header", Err: err}
		}
		if p.name == "gpg-pubkey" {
			continue // imported signing keys, not software
		}
		ver := p.version
		if p.release != "" {
			ver += "-" + p.release
		}
		epoch := ""
		if p.hasEpoch {
			epoch = strconv.FormatInt(p.epoch, 10)
		}
		ref := b.add(p.name, ver, purl.New("rpm", ns, p.name, ver, "arch", p.arch, "epoch", epoch, "distro", distro))
		c := b.component(ref)
		if p.hasEpoch && p.epoch != 0 {
			c.Version = epoch + ":" + ver
		}
		if p.license != "" {
			c.Licenses = []sbom.License{{Expression: p.license, Kind: sbom.LicenseDeclared}}
		}
		c.Supplier = p.vendor
		if src := rpmSourceName(p.sourceRPM); src != "" {
			c.Properties = append(c.Properties, sbom.Property{Name: PropSourcePackage, Value: src})
		}
	}
	if err := rows.Err(); err != nil {
		return Result{}, &input.Error{File: f.Path, Rule: "rpm database", Err: err}
	}
	return b.result(), nil
}

// rpmSourceName returns the name part of a source RPM file name: "openssl-3.0.7-27.el9.src.rpm"
// -> "openssl" (the name is what precedes the last two dash-separated fields).
func rpmSourceName(srpm string) string {
	s := strings.TrimSuffix(strings.TrimSuffix(srpm, ".rpm"), ".src")
	s = strings.TrimSuffix(s, ".nosrc")
	for range 2 {
		i := strings.LastIndexByte(s, '-')
		if i <= 0 {
			return ""
		}
		s = s[:i]
	}
	return s
}

// rpmNamespace maps an os-release ID to the purl namespace of its RPMs.
func rpmNamespace(id string) string {
	switch id {
	case "rhel":
		return "redhat"
	case "opensuse-leap", "opensuse-tumbleweed", "opensuse":
		return "opensuse"
	case "sles", "sled":
		return "suse"
	case "":
		return "unknown"
	}
	return id
}
