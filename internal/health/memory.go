package health

import (
	"strings"

	"github.com/siegel-oss/siegel/internal/purl"
)

// PropNative marks a component that contains or builds native (C, C++, assembly) code; its value
// says what showed it ("cgo", "node-gyp", "prebuilt binary", "C extension", ...). FromSBOM sets it
// from what a document shows; extractors and users may set it too.
const PropNative = "siegel:native"

// PropExtractor is the property naming the extractor that found a component; components found
// by firmware signatures carry the value FirmwareSignatureExtractor.
const (
	PropExtractor              = "siegel:extractor"
	FirmwareSignatureExtractor = "firmware/signature"
)

// languageByType is the implementation language class of each purl type whose packages are
// written, unless a native-code marker says otherwise, in a memory-safe language. The languages
// are those the NSA (CSI "Software Memory Safety", 2022/2023) and CISA ("The Case for Memory Safe
// Roadmaps", 2023) name as memory safe: Go, Rust, Java and other JVM languages, C#/.NET, Python,
// JavaScript, Ruby, Swift, and the garbage-collected languages of the remaining ecosystems.
var languageByType = map[string]string{
	"golang":   "Go",
	"cargo":    "Rust",
	"npm":      "JavaScript",
	"pypi":     "Python",
	"maven":    "Java/JVM",
	"gradle":   "Java/JVM",
	"nuget":    ".NET",
	"gem":      "Ruby",
	"composer": "PHP",
	"hex":      "Erlang/Elixir",
	"pub":      "Dart",
	"swift":    "Swift",
	"hackage":  "Haskell",
	"cran":     "R",
	"cpan":     "Perl",
}

// nativeTypes are purl types whose packages are C or C++ source or binaries.
var nativeTypes = map[string]string{
	"conan":   "C/C++ (Conan)",
	"vcpkg":   "C/C++ (vcpkg)",
	"bitbake": "C/C++ (Yocto recipe)",
}

// ClassifyMemory gives a component's memory-safety class and the rule that decided it:
//  1. a native-code marker (PropNative, set for cgo, node-gyp and prebuilt binaries, Python C
//     extensions) makes it not memory-safe;
//  2. a component found by a firmware signature is C/C++, hence not memory-safe;
//  3. a Rust crate named "*-sys" binds a native library: not memory-safe;
//  4. the purl type's language decides (languageByType, nativeTypes);
//  5. anything else, distribution packages included (their language is not in the purl), is
//     unknown.
func ClassifyMemory(c Component) (MemorySafety, string) {
	typ, name := purlTypeName(c.PURL)
	return classifyMemory(c, typ, name)
}

func classifyMemory(c Component, typ, name string) (MemorySafety, string) {
	if v := c.Properties[PropNative]; v != "" && v != "false" {
		return NotMemorySafe, "native code: " + v
	}
	if c.Properties[PropExtractor] == FirmwareSignatureExtractor {
		return NotMemorySafe, "firmware component found by signature: C/C++"
	}
	if typ == "cargo" && strings.HasSuffix(name, "-sys") {
		return NotMemorySafe, "Rust -sys crate: binds a native library"
	}
	if lang, ok := languageByType[typ]; ok {
		return MemorySafe, "purl type " + typ + ": " + lang
	}
	if lang, ok := nativeTypes[typ]; ok {
		return NotMemorySafe, "purl type " + typ + ": " + lang
	}
	if typ == "" {
		return MemoryUnknown, "no package URL"
	}
	return MemoryUnknown, "purl type " + typ + ": language not known"
}

func purlTypeName(s string) (typ, name string) {
	if !strings.HasPrefix(s, "pkg:") {
		return "", ""
	}
	p, err := purl.Parse(s)
	if err != nil {
		return "", ""
	}
	return strings.ToLower(p.Type), strings.ToLower(p.Name)
}
