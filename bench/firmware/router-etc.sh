# router-etc.sh: sourced by the firmware benchmarks. router_etc ROOT writes an OpenWrt-like /etc
# into ROOT with what the weakness checks look for: a root password in MD5-crypt, telnet
# started at boot, and the OpenWrt release file.
router_etc() {
	mkdir -p "$1/etc"
	cat > "$1/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/ash
daemon:*:1:1:daemon:/var:/bin/false
P
	printf 'root:$1$RouterXY$Bv8u7Wr7yvzZ2y1N0kYk4/:19000:0:99999:7:::\ndaemon:*:0:0:99999:7:::\n' > "$1/etc/shadow"
	printf '::sysinit:/etc/init.d/rcS S boot\n::respawn:/usr/sbin/telnetd -F -l /bin/login\n' > "$1/etc/inittab"
	printf "DISTRIB_ID='OpenWrt'\nDISTRIB_RELEASE='23.05.2'\n" > "$1/etc/openwrt_release"
}
