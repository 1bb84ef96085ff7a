#!/usr/bin/env bash
# fetch-debs.sh DIR — download foreign-architecture (mipsel) Debian 12 packages
# and unpack each into DIR/<pkg>/, writing DIR/versions.tsv (package<TAB>version).
# These are real cross-compiled binaries: the ground truth for
# internal/firmware/signatures (TestDebianBinaries, SIEGEL_TEST_FIRMWARE_DEBS=DIR).
# Needs root (dpkg --add-architecture, apt-get update) and Debian's mirrors.
set -euo pipefail

dir=${1:?usage: fetch-debs.sh DIR}
arch=${FIRMWARE_DEBS_ARCH:-mipsel}

pkgs=(
	busybox-static dropbear-bin dnsmasq-base libssl3 openssh-server openssh-client
	libcurl4 curl zlib1g lighttpd hostapd wpasupplicant libmbedcrypto7 libwolfssl35
	libupnp13 libc6 libsqlite3-0 libexpat1 libpcap0.8 tcpdump iptables ppp openvpn
	libjson-c5 liblua5.1-0 libxml2 libpng16-16 libjpeg62-turbo libzstd1 liblzma5
	liblz4-1 libpcre2-8-0 libgnutls30 libsodium23 libevent-2.1-7 libssh-4
	libssh2-1 libmicrohttpd12 libwebsockets17 mosquitto libnghttp2-14 bash sudo
	vsftpd rsync libjansson4 libuv1 libfreetype6 libtiff6 libglib2.0-0 libdbus-1-3
	avahi-daemon iproute2 libpcre3 libncursesw6 libreadline8 strongswan-charon
	libcjson1 chrony libgcrypt20 libsqlite3-0 ethtool iw libnl-3-200 tftpd-hpa
	lldpd libnghttp2-14 libusb-1.0-0 libprotobuf-c1 libbz2-1.0 libldap-2.5-0
	libffi8 libgmp10 libnettle8 liblzo2-2 e2fsprogs libpopt0
)

if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
	dpkg --add-architecture "$arch"
fi
apt-get update -qq

mkdir -p "$dir/.debs"
dir=$(cd "$dir" && pwd)
# apt-get download writes into the current directory.
(
	cd "$dir/.debs"
	want=()
	for p in $(printf '%s\n' "${pkgs[@]}" | sort -u); do
		ls "${p}"_*_"$arch".deb >/dev/null 2>&1 || want+=("$p:$arch")
	done
	if ((${#want[@]})); then
		apt-get download -q "${want[@]}"
	fi
)

: >"$dir/versions.tsv.tmp"
for deb in "$dir"/.debs/*_"$arch".deb; do
	pkg=$(dpkg-deb -f "$deb" Package)
	ver=$(dpkg-deb -f "$deb" Version)
	rm -rf "${dir:?}/$pkg"
	mkdir -p "$dir/$pkg"
	dpkg-deb -x "$deb" "$dir/$pkg"
	# Documentation and manual pages are not firmware; they only add noise.
	rm -rf "$dir/$pkg/usr/share/doc" "$dir/$pkg/usr/share/man" "$dir/$pkg/usr/share/locale"
	printf '%s\t%s\n' "$pkg" "$ver" >>"$dir/versions.tsv.tmp"
done
sort "$dir/versions.tsv.tmp" >"$dir/versions.tsv"
rm "$dir/versions.tsv.tmp"
echo "fetch-debs: $(wc -l <"$dir/versions.tsv") packages in $dir"
