#!/usr/bin/env bash
# Regenerates the reference orderings the language comparators are tested against, using each
# ecosystem's own implementation: Python's packaging (pip's version rules; Debian package
# python3-packaging), RubyGems' Gem::Version (ruby), Maven's ComparableVersion (maven-artifact
# from Debian's maven) and node-semver (npm package "semver"). Run from this directory; commit
# the .tsv files. Tests never run these tools.
set -euo pipefail
cd "$(dirname "$0")"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

pypi_versions=(
	0 0.1 1 1.0 1.0.0 1.0.post1 1.0-1 1.0.post1.dev1 1.0.dev1 1.0.dev0 1.0a1 1.0a1.dev1 1.0a1.post1
	1.0a1.post1.dev1 1.0a2 1.0b1 1.0B2 1.0c1 1.0rc1 1.0RC2 1.0pre3 1.0preview4 1.0alpha5 1.0beta6
	1.0+local 1.0+local.1 1.0+local.a 1.0+1 1.0+1.a 1.0+1.1 1.0+abc.5 1!0.5 1!1.0 v1.0 1.0.1 1.1
	1.10 1.2 2.0.0rc1 2.0 2.0.0.0.1 1.0_post2 1.0.r3 1.0rev4 " 1.0 " 1.0-dev7 1.0-a.1
	1.0a. 1.0.post 1.0-r 1.0.dev 1.0a1-1 1.0a1.post 1.0-post-2 1.0_rc_3 1.0.pre.4 1.0+ubuntu-1
	1.0+ABC 1.0a1dev1 1.0post1dev1 0!0 00.01 1.0.0.0.0 1.0b-2 1.0-0 1.0.post0
	1.0+ 1.0++1 1.0-foo 1..0 a1.0 1.0a1a2 1.0.post1.post2 1.0+local..1 1.0dev1.post1 v 1.0- "1.0 a"
)
/usr/bin/python3 - "${pypi_versions[@]}" > pypi.tsv 3> pypi-invalid.txt <<'PY'
import os, sys
from packaging.version import Version, InvalidVersion
valid = []
with os.fdopen(3, "w") as invalid:
    for v in sys.argv[1:]:
        try:
            Version(v)
            valid.append(v)
        except InvalidVersion:
            print(v, file=invalid)
for a in valid:
    for b in valid:
        x, y = Version(a), Version(b)
        print(f"{a}\t{b}\t{(x > y) - (x < y)}")
PY

gem_versions=(
	0 1 1.0 1.0.0 1.0.a 1.0.b 1.0.a1 1.0.a2 1.0.a10 1.0.rc1 1.0.pre 1.0-pre 1.0-1 1.0.0.1 1.1
	1.10 1.9 2.0.0.beta1 2.0.0.beta.1 2.0.0 2.0.0.1 1.0.A 1.0.0.a 1.a 1.0.0-rc.1 0.9.9 10.0.0
	1.16.6 7.1.3.4 3.0.0.rc1
)
ruby -e 'vs = ARGV; vs.each { |a| vs.each { |b| puts "#{a}\t#{b}\t#{Gem::Version.new(a) <=> Gem::Version.new(b)}" } }' "${gem_versions[@]}" > rubygems.tsv

maven_versions=(
	1 1.0 1.0.0 1-0 1.0-0 1.1 1.10 1.9 1.0.1 1.0-1 1-1 1.0-alpha-1 1.0-alpha1 1.0-a1 1.0-alpha
	1.0-beta 1.0-b1 1.0-milestone-1 1.0-m1 1.0-rc1 1.0-cr1 1.0-RC2 1.0-SNAPSHOT 1.0-snapshot
	1.0-ga 1.0-final 1.0-release 1.0-sp 1.0-sp1 1.0-foo 1.0-bar 1.0.foo 1.0-1-foo 1.0-xyz-1
	2.0.0.Final 2.0.0.RC1 2.0.0.CR1 2.0.0.Beta1 2.0 2.0-1 2.0.1-SNAPSHOT 1.2.3-jre 1.2.3-android
	33.2.1-jre 0.0.1 1.0.0.0.0.1 1.0.0.0.0 a b 1a 1b 1.0a 1.0-a 1.0.a 1.0-2 1.0-10
)
mkdir -p "$tmp/mvn"
cat > "$tmp/mvn/Ref.java" <<'JAVA'
import org.apache.maven.artifact.versioning.ComparableVersion;
public class Ref {
  public static void main(String[] args) {
    for (String a : args) for (String b : args) {
      int r = Integer.signum(new ComparableVersion(a).compareTo(new ComparableVersion(b)));
      System.out.println(a + "\t" + b + "\t" + r);
    }
  }
}
JAVA
jar=/usr/share/maven/lib/maven-artifact-3.x.jar
javac -cp "$jar" -d "$tmp/mvn" "$tmp/mvn/Ref.java"
java -cp "$jar:$tmp/mvn" Ref "${maven_versions[@]}" > maven.tsv

npm_versions=(
	0.0.0 0.0.1 0.1.0 1.0.0 1.0.1 1.1.0 1.10.0 1.2.0 2.0.0 10.0.0 1.0.0-alpha 1.0.0-alpha.1
	1.0.0-alpha.beta 1.0.0-beta 1.0.0-beta.2 1.0.0-beta.11 1.0.0-rc.1 1.0.0-0 1.0.0-1 1.0.0-10
	1.0.0-2 1.0.0-a.10 1.0.0-a.9 1.0.0+build.1 1.0.0+build.2 v1.0.0 1.0.0-x-y-z.- 1.0.0-Beta
	4.17.21 20.11.5 1.0.0-alpha.1+meta
)
(cd "$tmp" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund semver@7.6.3 >/dev/null)
NODE_PATH="$tmp/node_modules" node -e '
const semver = require("semver");
const vs = process.argv.slice(1);
for (const a of vs) for (const b of vs) console.log(`${a}\t${b}\t${semver.compare(a, b)}`);
' "${npm_versions[@]}" > npm.tsv

wc -l pypi.tsv rubygems.tsv maven.tsv npm.tsv
