package extract

import (
	"io/fs"
	"testing/fstest"
)

var (
	fs_Stat     = fs.Stat
	fs_ReadFile = fs.ReadFile
)

// Fixtures of the other ecosystems and of root filesystems, run by TestLockfileGolden and
// FuzzLockfiles beside the JavaScript and Python ones.
var (
	otherGoldenCases = []struct {
		file string
		ex   Extractor
	}{
		{"cargo/Cargo.lock", lockCargo{}},
		{"ruby/Gemfile.lock", lockGemfile{}},
		{"php/composer.lock", lockComposer{}},
		{"gradle/gradle.lockfile", lockGradle{}},
		{"maven/pom.xml", manifestPom{}},
		{"nuget/packages.lock.json", lockNuGet{}},
		{"pub/pubspec.lock", lockPubspec{}},
		{"mix/mix.lock", lockMix{}},
		{"rootfs/debian/var/lib/dpkg/status", dbDpkg{}},
		{"rootfs/alpine/lib/apk/db/installed", dbApk{}},
		{"rootfs/openwrt/usr/lib/opkg/status", dbOpkg{}},
	}
	otherFuzzSeeds = []string{"cargo/Cargo.lock", "ruby/Gemfile.lock", "php/composer.lock", "gradle/gradle.lockfile",
		"maven/pom.xml", "nuget/packages.lock.json", "pub/pubspec.lock", "mix/mix.lock"}
)

func mapFS(name, data string) fs.FS {
	return fstest.MapFS{name: {Data: []byte(data)}}
}
