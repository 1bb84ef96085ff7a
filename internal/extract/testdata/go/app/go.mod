module example.com/gateway

go 1.22.0

toolchain go1.22.4

require (
	github.com/google/uuid v1.6.0
	golang.org/x/net v0.25.0
	example.com/forked v1.0.0
	example.com/local v0.0.0
)

require (
	golang.org/x/text v0.15.0 // indirect
	golang.org/x/sys v0.20.0 // indirect
)

replace example.com/forked v1.0.0 => github.com/acme/forked v1.0.1-acme.2

replace example.com/local => ../local

exclude golang.org/x/net v0.24.0
