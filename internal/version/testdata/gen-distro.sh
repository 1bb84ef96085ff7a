#!/usr/bin/env bash
# Regenerates the reference orderings the distro comparators are tested against, using the
# distributions' own tools: dpkg --compare-versions (Debian's dpkg) and rpm's rpm.ver (RPM 4.18,
# Debian package "rpm"). Run from this directory; commit the .tsv files. Tests never run the tools.
set -euo pipefail
cd "$(dirname "$0")"

dpkg_versions=(
	0 1 1.0 1.0-1 1.0-0 1.0-1ubuntu1 1.0-1+deb12u1 1.0~rc1 1.0~rc1-1 1.0~~ 1.0~ 1.0+dfsg-1 1.0a
	1.0.1 1:0.9 2:0.1 0:1.0 1.00 1.01 1.1 1.10 1.9 1.0-1.1 1.0-1~bpo12+1 2.36-9+deb12u14
	3.0.11-1~deb12u2 1.2.3-4 1.2.3-10 9.9 10.0 1.0+b1 1.0-1build1 7.88.1-10+deb12u8 1.a 1.A 1.+
	1.Z 1.z 1.~ 1.0-a 1:1.0~beta1-2 1.0-1~ 1.0-1a 1.0-1.0 0.0 00 1.0+really0.9-1 2.7.4-0ubuntu1.6
)
{
	for a in "${dpkg_versions[@]}"; do
		for b in "${dpkg_versions[@]}"; do
			if dpkg --compare-versions "$a" lt "$b"; then r=-1
			elif dpkg --compare-versions "$a" eq "$b"; then r=0
			else r=1; fi
			printf '%s\t%s\t%s\n' "$a" "$b" "$r"
		done
	done
} > dpkg.tsv

rpm_versions=(
	1.0 1.0-1 1.0-1.el9 1.0-2.el9 1.0~rc1 1.0~rc1-1 1.0^git1 1.0^ 1.0.1 1.0a 1.0b 1.01 1.1 1.10
	1.9 2.0 0:1.0 1:0.9 1.0-1.fc40 3.0.7-27.el9 3.0.7-28.el9_4 3.0.7-27.el9_4.1 1_0 1.0.a 1.0.A
	1.0+1 1.0-1.el8 5.14.0-427.13.1.el9_4 5.14.0-362.24.1.el9_3 1.0~~ 1.0~ 1.0^1 1.0~rc1^git2
	2.0.0 2 a b 1.0-0.1.rc1 1.0-1.1 1.00001 0.9999 1.0.0-1
)
lua='%{lua: local vs = {'
for v in "${rpm_versions[@]}"; do lua+="\"$v\","; done
lua+='}
for _, a in ipairs(vs) do for _, b in ipairs(vs) do
  local x, y = rpm.ver(a), rpm.ver(b)
  local r = 1
  if x < y then r = -1 elseif x == y then r = 0 end
  print(a .. "\t" .. b .. "\t" .. r .. "\n")
end end}'
rpm --eval "$lua" | sed '/^$/d' > rpm.tsv
wc -l dpkg.tsv rpm.tsv
